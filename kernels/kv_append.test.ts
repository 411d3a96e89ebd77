import { describe, expect, it } from 'vitest';
import { readF32, storageBuffer } from '../src/gpu/buffers';
import { dispatchPrepared } from '../src/gpu/bind';
import { prepareKvAppend } from './kv_append';
import { kvAppendRef } from './reference/qwen2';
import { randn, relErr, rng, runEncoder, testGpu } from './testing';

// [batch, t, w, capacity, start]
const CASES: [number, number, number, number, number][] = [
  [1, 1, 8, 1, 0],
  [1, 1, 32, 40, 17], // one decoded token after a 17-position cache
  [2, 9, 32, 9, 0], // a CFG prompt pair's prefill
  [3, 5, 128, 16, 11], // the last positions of the capacity
];

describe('kv_append', () => {
  it.each(CASES)('B %i, T %i, W %i, capacity %i, start %i', async (batch, t, w, capacity, start) => {
    const gpu = await testGpu();
    const dev = gpu.device;
    const rand = rng(batch * 3 + t * 11 + w + capacity * 5 + start);
    const kNew = randn(batch * t * w, rand);
    const vNew = randn(batch * t * w, rand);
    const k0 = randn(batch * capacity * w, rand);
    const v0 = randn(batch * capacity * w, rand);
    const kCache = storageBuffer(dev, k0);
    const vCache = storageBuffer(dev, v0);
    const call = prepareKvAppend(gpu, { batch, t, w, capacity, start },
      { kNew: storageBuffer(dev, kNew), vNew: storageBuffer(dev, vNew), kCache, vCache });
    const encode = (enc: GPUCommandEncoder) => {
      const pass = enc.beginComputePass();
      dispatchPrepared(pass, call);
      pass.end();
    };
    const k = await runEncoder(gpu, encode, kCache, k0.length);
    const v = await readF32(dev, vCache, v0.length);
    // a copy: exact, and every position outside start..start+t untouched
    expect(relErr(k, kvAppendRef(k0, kNew, batch, t, w, capacity, start))).toBe(0);
    expect(relErr(v, kvAppendRef(v0, vNew, batch, t, w, capacity, start))).toBe(0);
  });

  it('refuses positions past the capacity', async () => {
    const gpu = await testGpu();
    const b = storageBuffer(gpu.device, 64);
    expect(() => prepareKvAppend(gpu, { batch: 1, t: 2, w: 4, capacity: 2, start: 1 }, { kNew: b, vNew: b, kCache: b, vCache: b }))
      .toThrow(/past the capacity/);
  });
});
