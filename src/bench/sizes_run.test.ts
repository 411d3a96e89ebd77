// `npm run bench -- --preset`'s command line and printout (the runs themselves are the command's).

import { describe, expect, it } from 'vitest';
import type { EngineStats } from '../engine/api';
import { parseSizesArgs, sizesLines } from './sizes_run';

const stats = (over: Partial<EngineStats> = {}): EngineStats => ({
  gpuBytes: 0, gpuBytesUndestroyed: 0, gpuBuffers: 0, gpuBytesByOwner: { sessions: 0, kernels: 0, kvCache: 0, scratch: 0 },
  gpuPeakBytes: 0, wasmMemoryBytes: 4.18e9, kernelWasmBytes: 2e8, kvCacheBytes: 0, conversations: 0, pending: 0, ...over,
});

describe('bench --preset', () => {
  it('parses its flags, with the packages folder from the flag or the environment', () => {
    expect(parseSizesArgs(['--preset', '1.5b', '--dtypes', 'q4', '--sizes', '256,512'], { HARMON_SIZES_DIR: '/x' })).toEqual({
      preset: '1.5b', dir: '/x', dtypes: ['q4'], backends: ['wasm'], sizes: [256, 512], steps: 2, samplingSteps: 2, answerTokens: 3, askSize: undefined,
    });
    expect(parseSizesArgs(['--preset', '0.5b', '--packages', '/p', '--backend', 'all'], {})).toMatchObject({ dir: '/p', backends: ['webgpu', 'wasm'] });
    expect(() => parseSizesArgs(['--preset', '7b'], { HARMON_SIZES_DIR: '/x' })).toThrow('--preset must be 0.5b or 1.5b');
    expect(() => parseSizesArgs(['--preset', '0.5b'], {})).toThrow('--packages DIR');
    expect(() => parseSizesArgs(['--preset', '0.5b', '--dtypes', 'int8'], { HARMON_SIZES_DIR: '/x' })).toThrow('int8 is not');
    expect(() => parseSizesArgs(['--preset', '0.5b', '--sampling-steps', '1'], { HARMON_SIZES_DIR: '/x' })).toThrow('≥ 2');
  });

  it('prints a run with its memory, and a refusal with what was downloaded before it', () => {
    const job = { label: 'Harmon-1.5b q4', url: '/', backend: 'wasm' as const, size: 256, steps: 1, samplingSteps: 2, answerTokens: 3 };
    const ok = sizesLines(job, { label: job.label, loadMs: 1000, imageMs: 2000, answerMs: 500, answerTokens: 3, answerText: 'ab', askSize: 512,
      afterLoad: stats(), afterImage: stats({ wasmMemoryBytes: 4.25e9 }), afterAnswer: stats({ kvCacheBytes: 3e7 }) }, 3.63e9);
    expect(ok[0]).toBe('Harmon-1.5b q4 on wasm, 256²: package 3.63 GB on disk; load 1.0 s; image (1 MAR, 2 sampling steps) 2.0 s; answer at 512²: 3 tokens in 0.5 s "ab"');
    expect(ok.slice(1)).toEqual(['    after load:   ORT wasm heap 4.18 GB, kernels\' wasm 0.20 GB; KV caches 0.00 GB',
      '    after image:  ORT wasm heap 4.25 GB, kernels\' wasm 0.20 GB; KV caches 0.00 GB',
      '    after answer: ORT wasm heap 4.18 GB, kernels\' wasm 0.20 GB; KV caches 0.03 GB']);
    const no = sizesLines(job, { label: job.label, error: { message: 'the 1.5b fp32 package cannot run on the wasm backend here: …', downloadedBytes: 0, ms: 40 } }, 1.1e10);
    expect(no).toEqual(['Harmon-1.5b q4 on wasm, 256²: package 11.00 GB on disk', '    refused after 0.0 s, 0.00 GB downloaded: the 1.5b fp32 package cannot run on the wasm backend here: …']);
  });
});
