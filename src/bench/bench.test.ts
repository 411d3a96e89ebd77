// `npm run bench`'s arguments and printout (no browser: a made-up report).
import { describe, expect, it } from 'vitest';
import type { BenchReport, ModelReport } from './page';
import { parseBenchArgs } from './run';
import { reportLines, samplingLabel } from './table';
import { usageMessage } from '../cli/usage-testing';

const usage = (argv: string[]) => usageMessage(() => parseBenchArgs(argv));

describe('arguments', () => {
  it('backends: auto by default, one, a list, all', () => {
    expect(parseBenchArgs([])).toEqual({ backends: ['auto'], models: [], settings: {} });
    expect(parseBenchArgs(['--backend', 'wasm'])).toMatchObject({ backends: ['wasm'] });
    expect(parseBenchArgs(['--backend', 'webgpu,wasm,webgpu'])).toMatchObject({ backends: ['webgpu', 'wasm'] });
    expect(parseBenchArgs(['--backend', 'all'])).toMatchObject({ backends: ['webgpu', 'wasm'] });
    expect(usage(['--backend', 'cpu'])).toBe('--backend must be auto, webgpu or wasm (got "cpu")');
    expect(usage(['--backend'])).toBe('--backend needs a value');
  });

  it('models and settings', () => {
    expect(parseBenchArgs(['--model', 'a', '--model', 'b', '--steps', '2', '--size', '64', '--sampling-steps', '3', '--matmul', '256']))
      .toEqual({ backends: ['auto'], models: ['a', 'b'], settings: { steps: 2, size: 64, samplingSteps: 3 }, matmul: 256 });
    expect(usage(['--size', '100'])).toBe('--size must be a positive multiple of 16 (got "100")');
    expect(usage(['--steps', '0'])).toBe('--steps must be an integer from 1 to 1024 (got "0")');
    expect(usage(['--matmul', '8'])).toBe('--matmul must be an integer ≥ 16 (got "8")');
    expect(usage(['--model', 'a', '--steps', '2', '--steps', '3'])).toBe('--steps given more than once');
    expect(usage(['--frobnicate'])).toBe('unknown option --frobnicate for bench (see --help)');
    expect(usage(['stray'])).toBe('unexpected argument "stray"');
    expect(parseBenchArgs(['--fast'])).toMatchObject({ settings: { preset: 'fast' } });
    expect(parseBenchArgs(['--help'])).toBe('help');
  });
});

it('names how the sampling steps were chosen', () => {
  expect(samplingLabel({ samplingSteps: 100 })).toBe('100 sampling steps');
  expect(samplingLabel({ samplingSteps: 100, preset: 'fast' })).toBe('fast preset (50 → 5 sampling steps over the MAR steps)');
});

it('prints per backend: the peak, then per model the engine time, the answer and the stage table', () => {
  const model: ModelReport = {
    label: 'embedded default', name: 'shapes', dtype: 'fp32', size: 64, steps: 4, samplingSteps: 100, firstMs: 2345, engineMs: 1234,
    stages: [
      { stage: 'prefill', ms: 10, flops: 2e7, calls: 1, ortRuns: 1, dispatches: 0, copyBytes: 0 },
      { stage: 'diffusion_head', ms: 400, flops: 4e9, calls: 4, ortRuns: 0, dispatches: 0, copyBytes: 0 },
      { stage: 'vae_decode', ms: 40, flops: 1e8, calls: 1, ortRuns: 1, dispatches: 0, copyBytes: 0 },
    ],
    profiledMs: 500, totalFlops: 4.12e9, dispatches: 0, readbacks: 0, readbacksInLoop: 0,
    answer: { tokens: 8, ms: 400, text: 'a red circle' },
  };
  const report: BenchReport = {
    backends: [
      {
        asked: 'auto', models: [model], skipped: ['big: skipped on a software adapter'], peak: { gflops: 20, n: 512, what: 'MatMul graph, onnxruntime-web WASM, 2 threads, best of 10' },
        backend: { kind: 'wasm', reason: 'a software GPU adapter (swiftshader)', adapter: 'swiftshader', software: true, threads: 2, crossOriginIsolated: true, features: [] },
      },
      { asked: 'webgpu', models: [], skipped: [], error: 'WebGPU is not available' },
    ],
  };
  const text = reportLines(report).join('\n');
  expect(text).toContain('== --backend auto → backend wasm: a software GPU adapter (swiftshader); 2 threads, cross-origin isolated');
  expect(text).toContain('matmul peak: 20.00 GFLOP/s (f32 512³, MatMul graph, onnxruntime-web WASM, 2 threads, best of 10)');
  expect(text).toContain('one image: 1.23 s engine time (no profiling hooks; the first after load: 2.35 s)');
  expect(text).toContain('answer: 8 tokens in 0.40 s (50 ms/token');
  // the head: 100 ms and 1 GFLOP per MAR step → 10 GFLOP/s = 50% of the peak, 88.9% of the time
  const head = text.split('\n').find((l) => l.includes('diffusion_head'))!;
  expect(head.trim().split(/\s+/)).toEqual(['diffusion_head', '100.0', '1.0000', '10.00', '50.0%', '88.9%']);
  expect(text.split('\n').find((l) => l.includes('vae_decode'))).toMatch(/\(once per image\)$/);
  expect(text).toContain('whole image, every stage timed: 0.50 s, 4.120 GFLOP → 8.24 GFLOP/s = 41.2% of the matmul peak');
  expect(text).not.toContain('dispatches'); // WebGPU counts only on webgpu
  expect(text).toContain('\nbig: skipped on a software adapter\n');
  expect(text).toContain('--backend webgpu: could not run: WebGPU is not available');
});

it('prints both LLM paths of a webgpu run: per step time, runs, dispatches, bytes; and their ratio', () => {
  const base = { label: 'golden', name: 'tiny', dtype: 'fp32', size: 64, steps: 2, samplingSteps: 4, firstMs: 900, profiledMs: 500,
    totalFlops: 1e9, dispatches: 100, readbacks: 1, readbacksInLoop: 0, answer: { tokens: 2, ms: 300, text: 'ab' } };
  const llm = (path: 'onnx' | 'kernels', ms: number, ortRuns: number, dispatches: number, copyBytes: number, kv: number): ModelReport => ({
    ...base, llmPath: path, engineMs: 10 * ms,
    stages: [{ stage: 'llm', ms: 2 * ms, flops: 1e6, calls: 2, ortRuns: 2 * ortRuns, dispatches: 2 * dispatches, copyBytes: 2 * copyBytes,
      llm: { path, ortRuns: 2 * ortRuns, dispatches: path === 'kernels' ? 2 * dispatches : 0, gpuCopyBytes: 2 * kv, uploadBytes: 0 } }],
  });
  const report: BenchReport = { backends: [{
    asked: 'webgpu', skipped: [], peak: { gflops: 2, n: 512, what: 'kernels/matmul_peak (WGSL), best of 10' },
    backend: { kind: 'webgpu', reason: 'asked for (backend: webgpu)', adapter: 'swiftshader', software: true, threads: 1, crossOriginIsolated: false, features: [] },
    models: [llm('onnx', 30, 1, 40, 2048, 4096), llm('kernels', 20, 0, 25, 1024, 1024)],
  }] };
  const text = reportLines(report).join('\n');
  expect(text).toContain('golden [llm: onnx]: tiny (fp32)');
  expect(text).toContain('LLM path onnx: 30.0 ms per MAR step (prefill — ms once); per step 1.0 onnxruntime runs, 40.0 compute dispatches, 2.0 KiB copied/uploaded (measured)');
  expect(text).toContain("engine's count per step: 0.0 onnxruntime runs, 25.0 of our dispatches, 1.0 KiB copied on the GPU");
  expect(text).toContain('golden: LLM per MAR step, kernels 20.0 ms vs onnx 30.0 ms (×1.50); one image 0.20 s vs 0.30 s');
});
