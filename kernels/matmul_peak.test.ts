import { afterAll, describe, expect, it } from 'vitest';
import { storageBuffer } from '../src/gpu/buffers';
import { encodeMatmulPeak } from './matmul_peak';
import { matmulRef } from './reference/matmul';
import { ErrorLog, TOLERANCE, randn, relErr, rng, runPass, testGpu } from './testing';

const log = new ErrorLog('matmul_peak');
afterAll(() => log.print());

// [m, n, k]
const CASES: [number, number, number][] = [
  [4, 4, 4],
  [1, 8, 12], // one row: three of the four rows in the block are padding
  [37, 20, 16], // M not a multiple of 4, N not a multiple of the workgroup width
  [64, 96, 128],
];

describe('matmul_peak', () => {
  it.each(CASES)('%i×%i, K %i', async (m, n, k) => {
    const gpu = await testGpu();
    const rand = rng(m * 131 + n * 17 + k);
    const a = randn(m * k, rand);
    const b = randn(k * n, rand);
    const ref = matmulRef(a, b, m, n, k);
    const dev = gpu.device;
    const c = storageBuffer(dev, ref.byteLength);
    const got = await runPass(
      gpu,
      (pass) => encodeMatmulPeak(gpu, pass, { a: storageBuffer(dev, a), b: storageBuffer(dev, b), c, m, n, k }),
      c,
      ref.length,
    );
    expect(log.add(relErr(got, ref))).toBeLessThanOrEqual(TOLERANCE);
  });
});
