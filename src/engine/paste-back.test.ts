// pasteBack: the source's pixels outside the regenerated area, blended over one token.
import { describe, expect, it } from 'vitest';
import { pasteBack, type RgbaImage } from './paste-back';

function solid(width: number, height: number, v: [number, number, number, number]): RgbaImage {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) rgba.set(v, i * 4);
  return { width, height, rgba };
}

/** A source whose every pixel differs (so a pixel taken from the wrong place shows). */
function ramp(width: number, height: number): RgbaImage {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rgba.set([x * 3, y * 3, (x + y) % 256, 255], (y * width + x) * 4);
  }
  return { width, height, rgba };
}

const px = (rgba: ArrayLike<number>, width: number, x: number, y: number) => Array.from({ length: 4 }, (_, c) => rgba[(y * width + x) * 4 + c]);

describe('pasteBack', () => {
  it('keeps the masked pixels, gives the source back from one token away, blends between', () => {
    const W = 64;
    const src = ramp(W, W);
    const gen = solid(W, W, [10, 200, 30, 255]);
    // mask: the 8×8 square at (20, 20)–(27, 27), one value per pixel
    const data = new Uint8Array(W * W);
    for (let y = 20; y < 28; y++) for (let x = 20; x < 28; x++) data[y * W + x] = 255;
    const out = pasteBack({ result: gen, source: src, mask: { width: W, height: W, data } });
    expect(out.length).toBe(W * W * 4);
    for (let y = 0; y < W; y++) {
      for (let x = 0; x < W; x++) {
        const dx = Math.max(20 - x, 0, x - 27);
        const dy = Math.max(20 - y, 0, y - 27);
        const d = Math.hypot(dx, dy);
        const got = px(out, W, x, y);
        if (d === 0) expect(got).toEqual([10, 200, 30, 255]);
        else if (d >= 16) expect(got, `(${x}, ${y})`).toEqual(px(src.rgba, W, x, y));
        else {
          const w = 1 - d / 16;
          const want = px(src.rgba, W, x, y).map((s, c) => Math.round(w * gen.rgba[c] + (1 - w) * s));
          expect(got, `(${x}, ${y})`).toEqual(want);
        }
      }
    }
  });

  it('reads RGBA masks by their red channel, and returns the source when nothing is masked', () => {
    const src = ramp(32, 16);
    const gen = solid(32, 16, [0, 0, 0, 255]);
    const rgbaMask = new Uint8Array(32 * 16 * 4); // all black: nothing regenerated
    for (let i = 0; i < 32 * 16; i++) rgbaMask.set([127, 255, 255, 255], i * 4); // red below 128: kept
    const out = pasteBack({ result: gen, source: src, mask: { width: 32, height: 16, data: rgbaMask } });
    expect(Array.from(out)).toEqual(Array.from(src.rgba));
  });

  it('outpainting: the canvas the source does not cover is the result, the source blends in from its edge', () => {
    // source 32×32 at offset (16, 0) on a 64×32 canvas: columns 0–15 and 48–63 uncovered
    const src = ramp(32, 32);
    const gen = solid(64, 32, [255, 0, 0, 255]);
    const out = pasteBack({ result: gen, source: src, offset: { x: 16, y: 0 } });
    for (let y = 0; y < 32; y++) {
      for (const x of [0, 15, 48, 63]) expect(px(out, 64, x, y)).toEqual([255, 0, 0, 255]);
      // the source's columns 0 and 31 touch the uncovered strips: d = 1, w = 15/16
      expect(px(out, 64, 16, y)).toEqual(px(src.rgba, 32, 0, y).map((s, c) => Math.round((15 / 16) * gen.rgba[c] + (1 / 16) * s)));
      // the middle of the source is 16 px from either strip: the source exactly
      expect(px(out, 64, 31, y)).toEqual(px(src.rgba, 32, 15, y));
      expect(px(out, 64, 32, y)).toEqual(px(src.rgba, 32, 16, y));
    }
  });

  it('a variation without a mask: the generated tokens are the regenerated area', () => {
    const src = ramp(48, 48);
    const gen = solid(48, 48, [1, 2, 3, 4]);
    // 3×3 tokens, only the centre one generated
    const generated = new Uint8Array([0, 0, 0, 0, 1, 0, 0, 0, 0]);
    const out = pasteBack({ result: gen, source: src, generated });
    expect(px(out, 48, 16, 16)).toEqual([1, 2, 3, 4]);
    expect(px(out, 48, 31, 31)).toEqual([1, 2, 3, 4]);
    expect(px(out, 48, 0, 0)).toEqual(px(src.rgba, 48, 0, 0)); // d = 16√2
    expect(px(out, 48, 47, 24)).toEqual(px(src.rgba, 48, 47, 24)); // d = 16
    expect(px(out, 48, 40, 24)).not.toEqual(px(src.rgba, 48, 40, 24)); // d = 9: blended
    // with a mask too: only masked pixels of generated tokens are regenerated
    const data = new Uint8Array(48 * 48).fill(255);
    const both = pasteBack({ result: gen, source: src, generated, mask: { width: 48, height: 48, data } });
    expect(Array.from(both)).toEqual(Array.from(out));
  });

  it('refuses inputs that do not fit together', () => {
    const src = ramp(16, 16);
    const gen = solid(16, 16, [0, 0, 0, 255]);
    expect(() => pasteBack({ result: gen, source: src, mask: { width: 8, height: 8, data: new Uint8Array(64) } })).toThrow(/mask is 8×8/);
    expect(() => pasteBack({ result: { width: 16, height: 16, rgba: new Uint8Array(3) }, source: src })).toThrow(/holds 3 bytes/);
    expect(() => pasteBack({ result: gen, source: src, generated: new Uint8Array(4) })).toThrow(/1×1 tokens/);
  });
});
