import { afterAll, describe, expect, it } from 'vitest';
import { patchEmbedRef } from '../reference/patch_embed';
import { resizePosEmbedRef } from '../reference/resize_pos_embed';
import { ErrorLog, TOLERANCE, randn, relErr, rng } from '../testing';
import { patchEmbedCpu } from './patch_embed';
import { resizePosEmbedCpu } from './resize_pos_embed';
import { scatterRowsCpu } from './scatter_rows';

const log = new ErrorLog('cpu patch_embed / resize_pos_embed');
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
    for (let i = 0; i < buf; i++) keep.push(i);
    for (const t of order.slice(0, seen).sort((a, c) => a - c)) keep.push(buf + t);
  }
  return Uint32Array.from(keep);
}

describe('patchEmbedCpu', () => {
  // [batch, n, d, buf, seen]
  const CASES: [number, number, number, number, number][] = [
    [1, 16, 32, 4, 16], // nothing masked (understanding)
    [2, 16, 24, 8, 5], // partly seen
    [2, 64, 96, 64, 0], // first MAR step: only the buffer slots
    [3, 36, 203, 6, 20], // D not a multiple of 4
    [1, 1, 1, 1, 1], // D = 1 (LayerNorm of a constant: β)
    [2, 256, 768, 64, 100], // MAR-B sized
  ];
  it.each(CASES)('B %i, N %i, D %i, buf %i, seen %i', (batch, n, d, buf, seen) => {
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
    const got = patchEmbedCpu(inputs, { batch, l, n, d, buf });
    expect(log.add(relErr(got, ref))).toBeLessThanOrEqual(TOLERANCE);
    // into a given array
    const out = new Float32Array(batch * l * d + 3).fill(NaN);
    patchEmbedCpu(inputs, { batch, l, n, d, buf }, out);
    expect(out.subarray(0, batch * l * d)).toEqual(got);
  });

  it('rejects a short input and a position out of range', () => {
    const d = 8;
    const x = {
      tokens: new Float32Array(2 * 16), keep: Uint32Array.from([0, 1, 5]), zProjWeight: new Float32Array(d * 16),
      zProjBias: new Float32Array(d), fakeLatent: new Float32Array(d), lnWeight: new Float32Array(d),
      lnBias: new Float32Array(d), pos: new Float32Array(4 * d),
    };
    expect(() => patchEmbedCpu(x, { batch: 1, l: 3, n: 2, d, buf: 2 })).toThrow(/keep\[2\] = 5/);
    expect(() => patchEmbedCpu({ ...x, pos: new Float32Array(3) }, { batch: 1, l: 3, n: 2, d, buf: 2 })).toThrow(/pos has 3/);
  });
});

describe('resizePosEmbedCpu', () => {
  // [buffer, gh0, gw0, gh, gw, d]
  const CASES: [number, number, number, number, number, number][] = [
    [4, 4, 4, 8, 8, 5], // upscale ×2, with buffer rows
    [0, 16, 16, 32, 32, 3], // diffusion_pos_embed (no buffer), 16×16 → 32×32
    [64, 16, 16, 32, 32, 96], // encoder/decoder tables, 16×16 → 32×32
    [2, 8, 8, 3, 5, 6], // downscale, non-square target
    [3, 16, 16, 16, 24, 7], // one axis only: 16×16 → 16×24
    [1, 6, 4, 9, 12, 4], // non-square source
    [5, 6, 6, 6, 6, 7], // identity: must reproduce the table exactly
  ];
  it.each(CASES)('buffer %i, %ix%i → %ix%i, D %i', (buffer, gh0, gw0, gh, gw, d) => {
    const table = randn((buffer + gh0 * gw0) * d, rng(gh0 * 131 + gh * 7 + gw + d));
    const ref = resizePosEmbedRef(table, buffer, gh0, gw0, gh, gw, d);
    const got = resizePosEmbedCpu(table, { buffer, gh0, gw0, gh, gw, d });
    expect(log.add(relErr(got, ref))).toBeLessThanOrEqual(TOLERANCE);
    expect(got.subarray(0, buffer * d)).toEqual(table.subarray(0, buffer * d));
    if (gh === gh0 && gw === gw0) expect(got).toEqual(table);
  });
});

describe('scatterRowsCpu', () => {
  function reference(src: Float32Array, targets: Uint32Array, dst: Float32Array, mc: number, width: number) {
    const out = dst.slice();
    targets.forEach((row, t) => out.set(src.subarray((t % mc) * width, (t % mc + 1) * width), row * width));
    return out;
  }
  for (const [rows, mc, cfg, width] of [[16, 3, false, 16], [32, 5, true, 16], [600, 70, true, 16], [10, 1, false, 7]] as const) {
    it(`rows ${rows}, mc ${mc}, cfg ${cfg}, width ${width}`, () => {
      const rand = rng(rows + mc);
      const src = randn(mc * width, rand);
      const dst = randn(rows * width, rand);
      const half = rows / 2;
      const first = Array.from({ length: mc }, (_, r) => (r * 7) % (cfg ? half : rows));
      const targets = new Uint32Array(cfg ? [...first, ...first.map((t) => t + half)] : first);
      const want = reference(src, targets, dst, mc, width);
      expect(scatterRowsCpu(src, targets, dst, { mc, width })).toBe(dst);
      expect(dst).toEqual(want);
    });
  }
  it('honours count and rejects a target out of range', () => {
    const dst = new Float32Array(8);
    scatterRowsCpu(Float32Array.from([1, 2]), Uint32Array.from([3, 0]), dst, { mc: 1, width: 2, count: 1 });
    expect(Array.from(dst)).toEqual([0, 0, 0, 0, 0, 0, 1, 2]);
    expect(() => scatterRowsCpu(Float32Array.from([1, 2]), Uint32Array.from([4]), dst, { mc: 1, width: 2 })).toThrow(/targets\[0\] = 4/);
  });
});
