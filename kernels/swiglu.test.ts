import { afterAll, describe, expect, it } from 'vitest';
import { storageBuffer } from '../src/gpu/buffers';
import { dispatchPrepared } from '../src/gpu/bind';
import { prepareSwiglu } from './swiglu';
import { swigluRef } from './reference/qwen2';
import { ErrorLog, TOLERANCE, randn, relErr, rng, runPass, testGpu } from './testing';

const log = new ErrorLog('swiglu');
afterAll(() => log.print());

// [m, i]
const CASES: [number, number][] = [[1, 4], [5, 128], [33, 260], [160, 4864]];

describe('swiglu', () => {
  it.each(CASES)('M %i, I %i', async (m, i) => {
    const gpu = await testGpu();
    const rand = rng(m * 7 + i);
    // wide enough to reach SiLU's saturated ends
    const gu = randn(m * 2 * i, rand, 6);
    const ref = swigluRef(gu, m, i);
    const y = storageBuffer(gpu.device, m * i * 4);
    const call = prepareSwiglu(gpu, { m, i }, { gu: storageBuffer(gpu.device, gu), y });
    const got = await runPass(gpu, (pass) => dispatchPrepared(pass, call), y, m * i);
    expect(log.add(relErr(got, ref))).toBeLessThanOrEqual(TOLERANCE);
  });
});
