// Which LLM path a backend runs (model.ts llmPath): the choice, the package's llm.safetensors, the
// backend, and a clear error for a path that cannot run.

import { describe, expect, it } from 'vitest';
import type { Backend } from './backend';
import { EngineError } from './errors';
import { AUTO_WEBGPU, llmPath } from './model';
import type { LoadedPackage } from './package';

const webgpu = { kind: 'webgpu', gpu: {} } as unknown as Backend;
const wasm = { kind: 'wasm' } as unknown as Backend;
const pkg = (files: string[], dtype = 'fp32') =>
  ({ manifest: { dtype, files: Object.fromEntries(files.map((f) => [f, {}])) } }) as unknown as LoadedPackage;
const withWeights = pkg(['llm.onnx', 'llm.safetensors']);
const without = pkg(['llm.onnx']);

describe('llmPath', () => {
  it('auto: the measured choice on webgpu when an fp32 package carries the weights, onnx otherwise', () => {
    expect(AUTO_WEBGPU).toBe('kernels');
    expect(llmPath(webgpu, withWeights, 'auto')).toBe('kernels');
    // fp16 / q4: the kernels would hold the layers as f32, the graph keeps them small
    expect(llmPath(webgpu, pkg(['llm.onnx', 'llm.safetensors'], 'fp16'), 'auto')).toBe('onnx');
    expect(llmPath(webgpu, pkg(['llm.onnx', 'llm.safetensors'], 'q4'), 'auto')).toBe('onnx');
    expect(llmPath(webgpu, pkg(['llm.onnx', 'llm.safetensors'], 'q4'), 'kernels')).toBe('kernels');
    expect(llmPath(webgpu, without, 'auto')).toBe('onnx');
    expect(llmPath(wasm, withWeights, 'auto')).toBe('onnx');
  });

  it('onnx runs anywhere; kernels only on webgpu with llm.safetensors, else a clear error', () => {
    expect(llmPath(webgpu, withWeights, 'onnx')).toBe('onnx');
    expect(llmPath(wasm, without, 'onnx')).toBe('onnx');
    expect(llmPath(webgpu, withWeights, 'kernels')).toBe('kernels');
    expect(() => llmPath(wasm, withWeights, 'kernels')).toThrow(/webgpu backend only/);
    expect(() => llmPath(webgpu, without, 'kernels')).toThrow(/llm\.safetensors/);
    expect(() => llmPath(webgpu, withWeights, 'fast' as never)).toThrow(EngineError);
  });
});
