// fit.ts on the manifests of the released sizes' real packages (fixtures/manifests: `npm run convert`
// of the random-weight official-layout checkpoints `npm run bench:model -- --preset` writes, trimmed
// by trim.py) against the limits of the backends and adapters a user meets.

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fitMessage, fitProblems, type FitTarget, PROTOBUF_BYTES, probeArrayBuffer } from './fit';
import type { Manifest } from './package';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const DIR = new URL('./fixtures/manifests/', import.meta.url);
const manifest = (name: string) => JSON.parse(readFileSync(new URL(`harmon-${name}.json`, DIR), 'utf8')) as Manifest;

// Chromium here allocates ArrayBuffers of 8 GiB (measured); browsers that stop at 2 GiB exist
const CHROMIUM = 8 * GiB;
const wasm: FitTarget = { backend: 'wasm', maxArrayBufferBytes: CHROMIUM };
const wasm2GiB: FitTarget = { backend: 'wasm', maxArrayBufferBytes: 2 * GiB - 1 };
// SwiftShader in Chromium here: 1 GiB buffers, no shader-f16 (measured)
const swiftshader: FitTarget = { backend: 'webgpu', maxArrayBufferBytes: CHROMIUM,
  gpu: { maxBufferSize: GiB, maxStorageBufferBindingSize: GiB, f16: false } };
// WebGPU's default limits (what an adapter that raises nothing gives) with shader-f16
const defaults: FitTarget = { backend: 'webgpu', maxArrayBufferBytes: CHROMIUM,
  gpu: { maxBufferSize: 256 * MiB, maxStorageBufferBindingSize: 128 * MiB, f16: true } };
// a discrete GPU's: 4 GiB buffers and bindings, shader-f16
const discrete: FitTarget = { backend: 'webgpu', maxArrayBufferBytes: CHROMIUM,
  gpu: { maxBufferSize: 4 * GiB, maxStorageBufferBindingSize: 4 * GiB - 4, f16: true } };

const TARGETS = { wasm, wasm2GiB, swiftshader, defaults, discrete };

/** The first problem's limit, or 'fits'. */
const verdict = (name: string, t: FitTarget) => fitProblems(manifest(name), t)[0]?.limit ?? 'fits';

describe('fit: the released sizes against each backend', () => {
  it('has the real packages of both sizes in every dtype', () => {
    expect(readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()).toEqual(
      ['0.5b-fp16', '0.5b-fp32', '0.5b-q4', '1.5b-fp16', '1.5b-fp32', '1.5b-q4'].map((n) => `harmon-${n}.json`));
    for (const n of ['0.5b-fp32', '1.5b-fp32']) {
      const m = manifest(n);
      // the 1.5B's embedding table and tied lm_head: 151936 × 1536 f32 = 933 MB
      expect(m.weights!.lm_head.largest.shape).toEqual([m.config.llm.hidden_size, m.config.llm.vocab_size]);
    }
  });

  it.each([
    // [package, target, first limit met]
    ['0.5b-fp32', 'wasm', 'fits'],
    ['0.5b-fp16', 'wasm', "onnxruntime-web's 4 GiB WebAssembly memory (wasm32)"],
    ['0.5b-q4', 'wasm', 'fits'],
    ['0.5b-fp32', 'swiftshader', 'fits'],
    ['0.5b-q4', 'swiftshader', 'fits'],
    ['0.5b-fp16', 'swiftshader', "the GPU's shader-f16 feature"],
    ['0.5b-fp32', 'defaults', "this GPU's maxStorageBufferBindingSize (128 MiB)"],
    ['0.5b-q4', 'defaults', 'fits'],
    ['1.5b-fp32', 'wasm', "onnxruntime-web's 4 GiB WebAssembly memory (wasm32)"],
    ['1.5b-fp16', 'wasm', "onnxruntime-web's 4 GiB WebAssembly memory (wasm32)"],
    ['1.5b-q4', 'wasm', 'fits'],
    ['1.5b-fp32', 'discrete', 'fits'],
    ['1.5b-fp32', 'swiftshader', 'fits'], // its lm_head, 933 MB, is under SwiftShader's 1 GiB buffers
    ['1.5b-fp16', 'discrete', 'fits'],
    ['1.5b-q4', 'discrete', 'fits'],
    ['1.5b-q4', 'swiftshader', 'fits'],
    ['1.5b-fp16', 'swiftshader', "the GPU's shader-f16 feature"],
    ['1.5b-fp16', 'wasm2GiB', "this browser's largest ArrayBuffer"],
    ['1.5b-q4', 'wasm2GiB', 'fits'],
  ] as const)('%s on %s: %s', (name, target, limit) => {
    expect(verdict(name, TARGETS[target])).toBe(limit);
  });

  it('says which limit, with the numbers, and what to choose instead', () => {
    expect(fitMessage(manifest('1.5b-fp32'), wasm)).toMatch(
      /^the 1\.5b fp32 package cannot run on the wasm backend here: onnxruntime-web's 4 GiB WebAssembly memory \(wasm32\): the graphs' weights are \d+\.\d\d GiB, and loading them takes ~\d+\.\d\d GiB of the wasm heap\. Choose instead: its q4 package .*, or the webgpu backend on a GPU .*, or Harmon-0\.5B$/);
    // fp16 would not fit either (6.4 GiB to load): it is not proposed
    expect(fitMessage(manifest('1.5b-fp32'), wasm)).not.toContain('fp16');
    const gpu = fitMessage(manifest('0.5b-fp32'), defaults)!;
    expect(gpu).toContain("the lm_head graph's largest weight");
    expect(gpu).toContain('[896, 151936]) is 519 MiB in one GPU buffer');
    // fp16's lm_head (260 MiB) would not fit a 128 MiB binding either: only q4 and the wasm backend
    expect(gpu).toMatch(/Choose instead: its q4 package \(4-bit LLM and MAR weights: a quarter of the fp32 bytes\), or the wasm backend$/);
    // what a refusal proposes fits where the refused one did not
    expect(verdict('0.5b-q4', defaults)).toBe('fits');
    expect(verdict('1.5b-q4', wasm)).toBe('fits');
    expect(fitMessage(manifest('0.5b-q4'), wasm)).toBeUndefined();
    // fp16 on wasm is held twice over (fp16 and the fp32 the CPU computes in): fp32 itself still fits
    expect(fitMessage(manifest('0.5b-fp16'), wasm)).toMatch(/weights are 1\.37 GiB in fp16, which the WASM execution provider also holds as fp32, and loading them takes ~\d\.\d\d GiB.*Choose instead: its fp32 package, or its q4 package .*, or the webgpu backend on a GPU .*$/);
    expect(verdict('0.5b-fp32', wasm)).toBe('fits');
    // without shader-f16: fp32 and q4 (their weights fit the buffers)
    expect(fitMessage(manifest('0.5b-fp16'), swiftshader)).toMatch(/Choose instead: its q4 package, or its fp32 package$/);
    expect(fitMessage(manifest('1.5b-fp16'), swiftshader)).toMatch(/Choose instead: its q4 package, or its fp32 package, or Harmon-0\.5B$/);
  });

  it('refuses a graph protobuf cannot parse, and counts file bytes where a manifest lists no weights', () => {
    const m = manifest('0.5b-fp32');
    const big = { ...m, files: { ...m.files, 'llm.onnx': { ...m.files['llm.onnx'], bytes: PROTOBUF_BYTES } } };
    expect(fitProblems(big, wasm)[0]).toMatchObject({ limit: "protobuf's 2 GiB per .onnx file", detail: 'llm.onnx is 2.00 GiB' });
    const old = { ...manifest('1.5b-fp32'), weights: undefined };
    expect(fitProblems(old, wasm)[0].limit).toBe("onnxruntime-web's 4 GiB WebAssembly memory (wasm32)");
  });

  it('probes the largest ArrayBuffer without keeping it', () => {
    expect(probeArrayBuffer(3 * MiB)).toBe(3 * MiB);
    // Node's own limit (2^53 − 1 would be an absurd request): the probe falls back to a power of two
    const n = probeArrayBuffer(2 ** 52);
    expect(n).toBeGreaterThanOrEqual(MiB - 1);
    expect(n).toBeLessThanOrEqual(2 * GiB - 1);
  });
});
