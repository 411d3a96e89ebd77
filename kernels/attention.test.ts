import { afterAll, describe, expect, it } from 'vitest';
import { storageBuffer } from '../src/gpu/buffers';
import { encodeAttention } from './attention';
import { attentionRef } from './reference/attention';
import { ErrorLog, TOLERANCE, randn, relErr, rng, runPass, testGpu } from './testing';

const log = new ErrorLog('attention');
afterAll(() => log.print());

// [batch, tq, p, hq, hkv, hd, causal]
const CASES: [number, number, number, number, number, number, boolean][] = [
  [1, 1, 0, 2, 1, 8, true], // single query, no cache
  [2, 7, 5, 2, 1, 16, true], // GQA 2:1 with a cached prefix
  [2, 7, 5, 2, 1, 16, false],
  [1, 33, 17, 4, 4, 8, false], // plain MHA
  [2, 33, 17, 6, 2, 64, true], // GQA 3:1, hd 64
  [2, 7, 0, 6, 2, 64, false],
  [3, 33, 0, 4, 4, 16, true],
  [1, 320, 40, 4, 2, 64, false], // a 256² image's 64 + 256 tokens over a prompt
  [1, 1088, 30, 2, 1, 16, true], // a 512² image's 64 + 1024 tokens
];

describe('attention', () => {
  it.each(CASES)('B %i, Tq %i, P %i, Hq %i, Hkv %i, hd %i, causal %s', async (batch, tq, p, hq, hkv, hd, causal) => {
    const gpu = await testGpu();
    const rand = rng(tq * 7919 + p * 31 + hq * 7 + hd + (causal ? 1 : 0));
    const inputs = {
      q: randn(batch * tq * hq * hd, rand),
      kCache: randn(batch * p * hkv * hd, rand),
      vCache: randn(batch * p * hkv * hd, rand),
      // Row b keeps a different number of cached positions (all, some, none, …).
      pvalid: Uint32Array.from({ length: batch }, (_, b) => [p, Math.floor(p / 2), 0][b % 3]),
      kNew: randn(batch * tq * hkv * hd, rand),
      vNew: randn(batch * tq * hkv * hd, rand),
    };
    const ref = attentionRef(inputs, batch, tq, p, hq, hkv, hd, causal);
    const dev = gpu.device;
    const out = storageBuffer(dev, ref.byteLength);
    const cache = p > 0
      ? { kCache: storageBuffer(dev, inputs.kCache), vCache: storageBuffer(dev, inputs.vCache), pvalid: storageBuffer(dev, inputs.pvalid) }
      : {};
    const got = await runPass(
      gpu,
      (pass) =>
        encodeAttention(gpu, pass, {
          q: storageBuffer(dev, inputs.q),
          ...cache,
          kNew: storageBuffer(dev, inputs.kNew),
          vNew: storageBuffer(dev, inputs.vNew),
          out,
          batch, tq, p, hq, hkv, hd, causal,
        }),
      out,
      ref.length,
    );
    expect(log.add(relErr(got, ref))).toBeLessThanOrEqual(TOLERANCE);
  });
});
