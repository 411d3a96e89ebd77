// The engine's resize and padding against PIL (models/golden/pil_resize.json, written by
// models/harmon/pil_fixture.py with the installed Pillow): odd sizes, up- and downscaling, the
// reference's whole preprocessing (prepare_image) and a 640×480 photo at the official 512².

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { padToSquare, resizeBicubic } from './resize';
import { imageToPixels } from './understand';

interface Fixture {
  pillow: string;
  resize: { source: [number, number]; target: [number, number]; rgb: string; expected: string }[];
  prepare: { source: [number, number]; size: number; rgb: string; expected: string }[];
  photo: { source: [number, number]; size: number; sha256: string; rows: Record<string, string> };
}
const FIX: Fixture = JSON.parse(readFileSync(new URL('../../models/golden/pil_resize.json', import.meta.url), 'utf8'));

const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));
function rgbToRgba(rgb: Uint8Array): Uint8ClampedArray {
  const n = rgb.length / 3;
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    out.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
    out[i * 4 + 3] = 255;
  }
  return out;
}
function rgbOf(rgba: ArrayLike<number>): Uint8Array {
  const n = rgba.length / 4;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = rgba[i * 4 + c];
  return out;
}
/** (1,3,S,S) floats 2·(b/255) − 1 → RGB bytes, row-major */
function pixelsToRgb(px: Float32Array, S: number): Uint8Array {
  const out = new Uint8Array(S * S * 3);
  for (let i = 0; i < S * S; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(((px[c * S * S + i] + 1) * 255) / 2);
  return out;
}
function worst(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]));
  return w;
}

describe('resizeBicubic against PIL Image.resize', () => {
  it.each(FIX.resize.map((c) => [`${c.source.join('×')} → ${c.target.join('×')}`, c] as const))('%s', (_, c) => {
    const [w, h] = c.source, [W, H] = c.target;
    const out = resizeBicubic(rgbToRgba(bytes(c.rgb)), w, h, W, H);
    expect(out.length).toBe(W * H * 4);
    // Pillow's fixed-point arithmetic, repeated exactly: not a level off anywhere
    expect(worst(rgbOf(out), bytes(c.expected))).toBe(0);
  });

  it('refuses a bad size or buffer', () => {
    expect(() => resizeBicubic(new Uint8ClampedArray(16), 2, 2, 0, 3)).toThrow(/bad target size/);
    expect(() => resizeBicubic(new Uint8ClampedArray(15), 2, 2, 3, 3)).toThrow(/expected 2×2 RGBA/);
  });
});

describe('understanding pixels (pad to a grey square, resize) against the reference prepare_image', () => {
  it.each(FIX.prepare.map((c) => [`${c.source.join('×')} → ${c.size}²`, c] as const))('%s', (_, c) => {
    const [w, h] = c.source;
    const px = imageToPixels({ width: w, height: h, rgba: rgbToRgba(bytes(c.rgb)) }, c.size);
    expect(worst(pixelsToRgb(px, c.size), bytes(c.expected))).toBe(0);
  });

  it('a 640×480 photo reaches the VAE with the reference pixels at 512²', () => {
    const [w, h] = FIX.photo.source;
    const S = FIX.photo.size;
    const rgba = new Uint8ClampedArray(w * h * 4);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let c = 0; c < 3; c++) {
          const check = (Math.floor(x / 40) + Math.floor(y / 30)) % 2 ? 64 : 0;
          rgba[(y * w + x) * 4 + c] = (Math.floor((x * x) / 7) + 3 * y + 85 * c + ((x ^ y) & 31) * (c + 1) + check) % 256;
        }
        rgba[(y * w + x) * 4 + 3] = 255;
      }
    }
    const rgb = pixelsToRgb(imageToPixels({ width: w, height: h, rgba }, S), S);
    for (const [r, row] of Object.entries(FIX.photo.rows)) {
      expect(worst(rgb.subarray(Number(r) * S * 3, (Number(r) + 1) * S * 3), bytes(row)), `row ${r}`).toBe(0);
    }
    expect(createHash('sha256').update(rgb).digest('hex')).toBe(FIX.photo.sha256);
  });

  it('pads a wide image top and bottom, a tall one left and right, centred (offset rounded down)', () => {
    const red = (w: number, h: number) => {
      const rgba = new Uint8ClampedArray(w * h * 4);
      for (let i = 0; i < w * h; i++) rgba.set([200, 10, 20, 255], i * 4);
      return { width: w, height: h, rgba };
    };
    const wide = padToSquare(red(4, 1), 127); // 4×4: rows 0 grey, row 1 red (offset ⌊3/2⌋ = 1), rows 2–3 grey
    expect(wide.width).toBe(4);
    const rowOf = (img: typeof wide, y: number) => Array.from(img.rgba.subarray(y * 16, y * 16 + 4));
    expect([0, 1, 2, 3].map((y) => rowOf(wide, y)[0])).toEqual([127, 200, 127, 127]);
    const tall = padToSquare(red(2, 5), 127); // columns ⌊3/2⌋ = 1 and 2 red
    expect([0, 1, 2, 3, 4].map((x) => tall.rgba[(2 * 5 + x) * 4])).toEqual([127, 200, 200, 127, 127]);
    const sq = red(3, 3);
    expect(padToSquare(sq, 127)).toBe(sq);
  });
});
