// The canvas planning of partly known images (canvas.ts) and the loop plan over u generated tokens
// (plan.ts), on the CPU: the same rules as models/harmon/canvas.py.

import { describe, expect, it } from 'vitest';
import type { GenerateOptions, InputImage } from './api';
import { bytesToPixels, checkCanvasLimits, checkCanvasOrders, planCanvas, resolveCanvas, seededInputs, tokenMask,
  variationCount } from './canvas';
import type { HarmonConfig } from './model';
import { initialTokens, maskLengths, planSteps } from './plan';
import { Rng } from './rng';

const image = (w: number, h: number, v = 200): InputImage => ({ width: w, height: h, rgba: new Uint8ClampedArray(w * h * 4).fill(v) });
function boxMask(w: number, h: number, [x0, y0, x1, y1]: number[], per = 1) {
  const data = new Uint8Array(w * h * per);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[(y * w + x) * per] = 255;
  return { width: w, height: h, data };
}
const plan = (o: GenerateOptions) => planCanvas(resolveCanvas(o, 64, 16), 16);

describe('canvas', () => {
  it('converts bytes to pixels in float32 at every step, as the reference', () => {
    const px = bytesToPixels([0, 255, 128, 255], 1, 1);
    const f = Math.fround;
    expect(Array.from(px)).toEqual([-1, 1, f(f(2 * f(128 / 255)) - 1)]);
    expect(px[2]).not.toBe(f(2 * (128 / 255) - 1)); // rounding once from float64 would differ
  });

  it('marks a token unknown when any pixel of its patch is masked; growMask adds one ring', () => {
    const m = new Uint8Array(64 * 64);
    m[17 * 64 + 47] = 1;
    expect(Array.from(tokenMask(m, 64, 64, 16, false)).flatMap((v, i) => (v ? [i] : []))).toEqual([6]);
    expect(Array.from(tokenMask(m, 64, 64, 16, true)).flatMap((v, i) => (v ? [i] : []))).toEqual([1, 2, 3, 5, 6, 7, 9, 10, 11]);
  });

  it('plans inpainting, outpainting, variations and text-to-image', () => {
    // the golden inpaint case: a box 20..44 × 10..40 → tokens of columns 1–2, rows 0–2
    const inpaint = plan({ image: image(64, 64), mask: boxMask(64, 64, [20, 10, 44, 40]) });
    expect(inpaint).toMatchObject({ width: 64, height: 64, gh: 4, gw: 4, candidates: [1, 2, 5, 6, 9, 10], count: 6, chosen: false });
    expect(plan({ image: image(64, 64), mask: boxMask(64, 64, [20, 10, 44, 40], 4) }).candidates).toEqual([1, 2, 5, 6, 9, 10]);
    // outpainting: 64² at (24, 8) on 96×80 → 3×3 known tokens, grey where the image is not
    const out = plan({ image: image(64, 64, 255), width: 96, height: 80, offset: { x: 24, y: 8 } });
    expect(out).toMatchObject({ gh: 5, gw: 6, count: 21 });
    expect(out.candidates.filter((i) => [8, 9, 10, 14, 15, 16, 20, 21, 22].includes(i))).toEqual([]);
    expect(out.pixels![0]).toBe(0);
    expect(out.pixels![8 * 96 + 24]).toBe(1);
    // variations: a fraction of all tokens, or of the masked ones
    expect(plan({ image: image(64, 64), strength: 0.5 })).toMatchObject({ count: 8, chosen: true });
    expect(plan({ image: image(64, 64), strength: 0.25, mask: boxMask(64, 64, [20, 10, 44, 40]) })).toMatchObject({ count: 2 });
    expect(variationCount(0.01, 16)).toBe(1);
    // text-to-image, any aspect ratio; the image's own size is the default canvas
    expect(plan({ width: 96, height: 48 })).toMatchObject({ gh: 3, gw: 6, count: 18 });
    expect(plan({ width: 96, height: 48 }).pixels).toBeUndefined();
    expect(plan({})).toMatchObject({ gh: 4, gw: 4 });
    expect(plan({ image: image(32, 48), strength: 1 })).toMatchObject({ width: 32, height: 48 });
  });

  it.each([
    [{ image: image(64, 64), mask: boxMask(64, 32, [0, 0, 8, 8]) }, 'the mask is 64×32 but the canvas is 64×64'],
    [{ image: image(64, 64), mask: { width: 0, height: 0, data: new Uint8Array(0) } }, 'the mask is empty'],
    [{ image: image(64, 64), mask: boxMask(64, 64, [0, 0, 0, 0]) }, 'the mask marks no pixel'],
    [{ image: image(64, 64), mask: { width: 64, height: 64, data: new Uint8Array(7) } }, 'malformed mask'],
    [{ image: image(64, 64), offset: { x: 64, y: 0 } }, 'covers nothing of the 64×64 canvas'],
    [{ image: image(64, 64) }, 'nothing to generate'],
    [{ image: image(64, 64), strength: 0 }, 'strength must be a number in (0, 1]'],
    [{ image: image(64, 64), strength: 1.5 }, 'strength must be'],
    [{ image: image(50, 64), strength: 1 }, 'the image is 50×64, not a multiple of 16'],
    [{ image: { width: 2, height: 2, rgba: new Uint8ClampedArray(3) } }, 'malformed image'],
    [{ mask: boxMask(64, 64, [0, 0, 8, 8]) }, 'mask needs an image'],
    [{ strength: 0.5 }, 'strength needs an image'],
    [{ width: 100 }, 'width must be a positive multiple of 16, got 100'],
    [{ image: image(64, 64), strength: 1, offset: { x: 0.5, y: 0 } }, 'offset must be whole pixels'],
  ] as [GenerateOptions, string][])('refuses %#: %s', (o, message) => {
    expect(() => plan(o)).toThrow(message);
  });

  it('seeds orders over the candidates; text-to-image keeps its old stream', () => {
    const rng = new Rng(7);
    const old = [rng.permutation(16), rng.permutation(16)];
    const noise = rng.normal(2 * 16 * 3 * 16);
    const t2i = seededInputs(7, 2, Array.from({ length: 16 }, (_, i) => i), 16, 16 * 3); // u·(S+1), S = 2
    expect(t2i.orders).toEqual(old);
    expect(t2i.noise).toEqual(noise);
    const v = seededInputs(1, 3, [1, 2, 5, 6, 9, 10], 2, 2 * 3);
    expect(v.noise.length).toBe(3 * 2 * 3 * 16);
    for (const o of v.orders) expect(o.every((i) => [1, 2, 5, 6, 9, 10].includes(i)) && new Set(o).size === 2).toBe(true);
  });

  it('checks injected orders against the canvas', () => {
    const c = plan({ image: image(64, 64), mask: boxMask(64, 64, [20, 10, 44, 40]) });
    expect(() => checkCanvasOrders([[1, 2, 5, 6, 9, 10]], c, 1)).not.toThrow();
    expect(() => checkCanvasOrders([[1, 2, 5, 6, 9, 0]], c, 1)).toThrow('orders[0] must list 6 distinct tokens of the 6 the mask leaves unknown');
    expect(() => checkCanvasOrders([[1, 2]], c, 1)).toThrow('must list 6');
    expect(() => checkCanvasOrders([[0, 0]], plan({}), 1)).toThrow('orders[0] is not a permutation of 0…15');
    const v = plan({ image: image(64, 64), strength: 0.25 });
    expect(() => checkCanvasOrders([[3, 9, 12, 0]], v, 1)).not.toThrow();
  });

  it('refuses a canvas beyond the model positions or the backend buffers', () => {
    const cfg = {
      vae: { ch: 32, ch_mult: [1, 1, 1, 1, 2] },
      mar: { buffer_size: 64, heads: 4, decoder_heads: 4, width: 64, decoder_width: 64 },
      llm: { max_position_embeddings: 2048, num_attention_heads: 4, intermediate_size: 128 },
    } as unknown as HarmonConfig;
    const s = { n: 1, batch: 2, promptValid: 20, promptLen: 20, noiseSlots: 4096 * 101 };
    const lim = { maxBytes: 2 ** 27, what: 'the test limit' };
    expect(() => checkCanvasLimits(cfg, plan({ width: 1024, height: 1024 }), s, lim))
      .toThrow('the 1024×1024 canvas has 4096 tokens: with 64 buffer slots after the 20-token prompt it needs 4180 positions, more than the model\'s 2048');
    expect(() => checkCanvasLimits(cfg, plan({ width: 640, height: 640 }), s, lim)).not.toThrow();
    expect(() => checkCanvasLimits(cfg, plan({ width: 640, height: 640 }), { ...s, n: 16, batch: 32 }, lim))
      .toThrow(/the 640×640 canvas with 16 image\(s\) is too large for this backend: the (MAR|LLM) attention needs a \d+ MiB buffer, over the test limit \(128 MiB\)/);
  });
});

describe('the plan over u generated tokens', () => {
  it('masks only the ordered tokens, runs the schedule over u and reads noise rows per image', () => {
    const orders = [[6, 1, 9], [2, 10, 5]];
    const plans = planSteps({ n: 2, tokens: 16, buffer: 4, steps: 3, cfg: 2, cfgSchedule: 'linear', orders,
      promptValid: [5, 5, 3, 3], promptLen: 5, samplingSteps: [2, 2, 2] });
    expect(plans.map((p) => p.maskLen)).toEqual(maskLengths(3, 3));
    expect(plans[0].l).toBe(4 + 13); // the 13 known tokens are seen from step 0
    expect(Array.from(plans[0].keep.slice(4, 17))).toEqual([0, 2, 3, 4, 5, 7, 8, 10, 11, 12, 13, 14, 15].map((i) => i + 4));
    const predicted = plans.map((p) => p.predicted);
    expect(predicted.flat(2).sort((a, b) => a - b)).toEqual([1, 2, 5, 6, 9, 10]);
    // noise: image b's stream holds its u tokens of S + 1 = 3 slots, in prediction order
    expect(plans.flatMap((p) => Array.from(p.noiseRows)).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
    const tokenOf = (off: number) => off / (3 * 16);
    expect(plans.flatMap((p) => Array.from(p.noiseOffsets, tokenOf)).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(plans[0].noiseOffsets, tokenOf)).toEqual([0, 3]); // each image's first predicted token
    expect(plans[0].cfg).toBe(Math.fround(1 + (3 - plans[0].maskLen) / 3));
    const known = Float32Array.from({ length: 16 * 16 }, (_, i) => i + 1);
    const init = initialTokens(known, orders, 4, 16);
    expect(init.subarray(0, 16)).toEqual(known.subarray(0, 16));
    expect(init.subarray(6 * 16, 7 * 16).every((x) => x === 0)).toBe(true);      // row 0 generates token 6
    expect(init.subarray((16 + 6) * 16, (16 + 7) * 16)).toEqual(known.subarray(6 * 16, 7 * 16)); // row 1 keeps it
    expect(init.subarray((48 + 2) * 16, (48 + 3) * 16).every((x) => x === 0)).toBe(true); // row 3 = image 1 (uncond)
  });
});
