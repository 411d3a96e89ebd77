import { afterAll, describe, expect, it } from 'vitest';
import { storageBuffer } from '../src/gpu/buffers';
import { dispatchPrepared } from '../src/gpu/bind';
import { prepareRmsNorm } from './rmsnorm';
import { rmsNormRef } from './reference/qwen2';
import { ErrorLog, TOLERANCE, randn, relErr, rng, runPass, testGpu } from './testing';

const log = new ErrorLog('rmsnorm');
afterAll(() => log.print());

// [m, w, eps]
const CASES: [number, number, number][] = [[1, 8, 1e-6], [7, 64, 1e-6], [33, 200, 1e-5], [640, 896, 1e-6]];

describe('rmsnorm', () => {
  it.each(CASES)('M %i, W %i, eps %f', async (m, w, eps) => {
    const gpu = await testGpu();
    const rand = rng(m * 131 + w);
    const x = randn(m * w, rand, 3);
    const weight = Float32Array.from(randn(w, rand, 0.1), (v) => 1 + v);
    const ref = rmsNormRef(x, m, w, weight, eps);
    const y = storageBuffer(gpu.device, m * w * 4);
    const call = prepareRmsNorm(gpu, { m, w, eps }, { x: storageBuffer(gpu.device, x), weight: storageBuffer(gpu.device, weight), y });
    const got = await runPass(gpu, (pass) => dispatchPrepared(pass, call), y, m * w);
    expect(log.add(relErr(got, ref))).toBeLessThanOrEqual(TOLERANCE);
  });
});
