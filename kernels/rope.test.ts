import { afterAll, describe, expect, it } from 'vitest';
import { storageBuffer } from '../src/gpu/buffers';
import { dispatchPrepared } from '../src/gpu/bind';
import { ropeTables } from '../src/engine/rope';
import { prepareRope } from './rope';
import { ropeRef } from './reference/qwen2';
import { ErrorLog, TOLERANCE, randn, relErr, rng, runPass, testGpu } from './testing';

const log = new ErrorLog('rope');
afterAll(() => log.print());

// [batch, t, tableT, heads, hd]
const CASES: [number, number, number, number, number][] = [
  [1, 1, 1, 2, 8],
  [2, 7, 7, 4, 16],
  [2, 5, 9, 2, 16], // a table longer than the step's tokens (the MAR loop's one table for every step)
  [3, 33, 40, 14, 64],
  [2, 320, 320, 2, 64],
];

describe('rope', () => {
  it.each(CASES)('B %i, T %i, table %i, heads %i, hd %i', async (batch, t, tableT, heads, hd) => {
    const gpu = await testGpu();
    const rand = rng(batch * 17 + t * 5 + tableT + heads * 3 + hd);
    const m = batch * t;
    const x = randn(m * heads * hd, rand);
    // positions of a right-padded prompt row: each batch row starts at its own offset, some large
    const positions = Int32Array.from({ length: batch * tableT }, (_, i) => 37 * Math.floor(i / tableT) + 900 * (Math.floor(i / tableT) % 2) + (i % tableT));
    const { cos, sin } = ropeTables(positions, hd, 1e6);
    const ref = ropeRef(x, m, heads, hd, t, tableT, cos, sin);
    const buf = storageBuffer(gpu.device, x);
    const call = prepareRope(gpu, { m, heads, hd, t, tableT }, { x: buf, cos: storageBuffer(gpu.device, cos), sin: storageBuffer(gpu.device, sin) });
    const got = await runPass(gpu, (pass) => dispatchPrepared(pass, call), buf, x.length);
    expect(log.add(relErr(got, ref))).toBeLessThanOrEqual(TOLERANCE);
  });
});
