import { afterAll, describe, expect, it } from 'vitest';
import { storageBuffer } from '../src/gpu/buffers';
import { encodePatchEmbed, packPatchEmbedVectors } from './patch_embed';
import { patchEmbedRef } from './reference/patch_embed';
import { ErrorLog, TOLERANCE, randn, relErr, rng, runEncoder, testGpu } from './testing';

const log = new ErrorLog('patch_embed');
afterAll(() => log.print());

/** Kept positions: buffer slots, then buf + i for a random subset of `seen` tokens, ascending. */
function keepList(rand: () => number, batch: number, n: number, buf: number, seen: number): Uint32Array {
  const keep: number[] = [];
  for (let b = 0; b < batch; b++) {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const seenTokens = order.slice(0, seen).sort((a, c) => a - c);
    for (let i = 0; i < buf; i++) keep.push(i);
    for (const t of seenTokens) keep.push(buf + t);
  }
  return Uint32Array.from(keep);
}

// [batch, n, d, buf, seen]
const CASES: [number, number, number, number, number][] = [
  [1, 16, 32, 4, 16], // nothing masked (understanding)
  [2, 16, 24, 8, 5], // partly seen
  [2, 64, 96, 64, 0], // first MAR step: only the 64 buffer slots
  [3, 36, 200, 6, 20], // D not a multiple of the workgroup width
];

describe('patch_embed', () => {
  it.each(CASES)('B %i, N %i, D %i, buf %i, seen %i', async (batch, n, d, buf, seen) => {
    const gpu = await testGpu();
    const rand = rng(batch * 1000 + n * 10 + d);
    const l = buf + seen;
    const inputs = {
      tokens: randn(batch * n * 16, rand),
      keep: keepList(rand, batch, n, buf, seen),
      zProjWeight: randn(d * 16, rand, 0.25),
      zProjBias: randn(d, rand, 0.1),
      fakeLatent: randn(d, rand),
      pos: randn((buf + n) * d, rand, 0.5),
      lnWeight: randn(d, rand),
      lnBias: randn(d, rand, 0.1),
    };
    const ref = patchEmbedRef(inputs, batch, l, n, d, buf);
    const dev = gpu.device;
    const out = storageBuffer(dev, ref.byteLength);
    const got = await runEncoder(
      gpu,
      (encoder) => {
        const vectors = packPatchEmbedVectors(gpu, encoder, {
          zProjBias: storageBuffer(dev, inputs.zProjBias),
          fakeLatent: storageBuffer(dev, inputs.fakeLatent),
          lnWeight: storageBuffer(dev, inputs.lnWeight),
          lnBias: storageBuffer(dev, inputs.lnBias),
        }, d);
        const pass = encoder.beginComputePass();
        encodePatchEmbed(gpu, pass, {
          tokens: storageBuffer(dev, inputs.tokens),
          keep: storageBuffer(dev, inputs.keep),
          zProjWeight: storageBuffer(dev, inputs.zProjWeight),
          vectors,
          pos: storageBuffer(dev, inputs.pos),
          out,
          batch, l, n, d, buf,
        });
        pass.end();
      },
      out,
      ref.length,
    );
    expect(log.add(relErr(got, ref))).toBeLessThanOrEqual(TOLERANCE);
  });
});
