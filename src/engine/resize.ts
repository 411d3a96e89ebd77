// The official image2text preprocessing, pixel for pixel (DESIGN.md §2, Understanding): pad to a
// centred square with (127,127,127), then PIL's `Image.resize` default, bicubic (a = −0.5) with its
// support widened by the shrink factor (antialiasing). The canvas's scaling is close but not PIL's,
// and a released model should see the tokens the official code gives it.
//
// This follows Pillow's Resample.c for 8-bit images: per output pixel a window of source pixels
// and double-precision weights normalised to sum 1, turned into 22-bit fixed point; a horizontal
// pass first, rounded and clipped to bytes, then a vertical pass on those bytes. The integer sums
// are exact in doubles, so the result is PIL's exactly (checked against it on odd sizes).

import type { InputImage } from './api';

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const SUPPORT = 2; // bicubic

function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

interface Taps {
  /** per output pixel: the first source pixel and how many follow */
  first: Int32Array;
  count: Int32Array;
  /** per output pixel `ksize` fixed-point weights */
  weights: Int32Array;
  ksize: number;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for inSize → outSize. */
function taps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = SUPPORT * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const n = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let ww = 0;
    for (let x = 0; x < n; x++) {
      k[x] = bicubic((x + xmin - center + 0.5) * ss);
      ww += k[x];
    }
    for (let x = 0; x < n; x++) {
      const w = ww !== 0 ? k[x] / ww : k[x];
      weights[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    first[xx] = xmin;
    count[xx] = n;
  }
  return { first, count, weights, ksize };
}

function clip8(v: number): number {
  if (v >= ONE * 256) return 255;
  if (v <= 0) return 0;
  return Math.floor(v / ONE);
}

/** RGB of `src` (RGBA bytes, w × h) resized to W × H as PIL's default `Image.resize` does; the
 * result is RGBA with alpha 255 (alpha is not resampled: PIL's convert('RGB') drops it). */
export function resizeBicubic(src: ArrayLike<number>, w: number, h: number, W: number, H: number): Uint8ClampedArray {
  if (!(Number.isInteger(W) && Number.isInteger(H) && W > 0 && H > 0)) throw new Error(`bad target size ${W}×${H}`);
  if (src.length !== w * h * 4) throw new Error(`expected ${w}×${h} RGBA (${w * h * 4} bytes), got ${src.length}`);
  // Pillow skips a pass whose size does not change
  let cur: ArrayLike<number> = src;
  let cw = w;
  if (W !== w) {
    const t = taps(w, W);
    const out = new Uint8ClampedArray(W * h * 4);
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < W; xx++) {
        const x0 = t.first[xx], n = t.count[xx], kb = xx * t.ksize;
        let r = ONE / 2, g = ONE / 2, b = ONE / 2;
        for (let x = 0; x < n; x++) {
          const k = t.weights[kb + x], p = (y * w + x0 + x) * 4;
          r += cur[p] * k;
          g += cur[p + 1] * k;
          b += cur[p + 2] * k;
        }
        const o = (y * W + xx) * 4;
        out[o] = clip8(r);
        out[o + 1] = clip8(g);
        out[o + 2] = clip8(b);
        out[o + 3] = 255;
      }
    }
    cur = out;
    cw = W;
  }
  if (H !== h) {
    const t = taps(h, H);
    const out = new Uint8ClampedArray(W * H * 4);
    for (let yy = 0; yy < H; yy++) {
      const y0 = t.first[yy], n = t.count[yy], kb = yy * t.ksize;
      for (let x = 0; x < W; x++) {
        let r = ONE / 2, g = ONE / 2, b = ONE / 2;
        for (let y = 0; y < n; y++) {
          const k = t.weights[kb + y], p = ((y0 + y) * cw + x) * 4;
          r += cur[p] * k;
          g += cur[p + 1] * k;
          b += cur[p + 2] * k;
        }
        const o = (yy * W + x) * 4;
        out[o] = clip8(r);
        out[o + 1] = clip8(g);
        out[o + 2] = clip8(b);
        out[o + 3] = 255;
      }
    }
    cur = out;
  }
  if (cur === src) {
    const out = new Uint8ClampedArray(src as ArrayLike<number>);
    for (let i = 3; i < out.length; i += 4) out[i] = 255;
    return out;
  }
  return cur as Uint8ClampedArray;
}

/** The image on a centred square of grey `value` (side = the longer edge, offset rounded down, as
 * the official script's expand2square pastes it); a square image is returned as it is. */
export function padToSquare(img: InputImage, value: number): InputImage {
  const { width: w, height: h } = img;
  if (w === h) return img;
  const side = Math.max(w, h);
  const ox = Math.floor((side - w) / 2), oy = Math.floor((side - h) / 2);
  const rgba = new Uint8ClampedArray(side * side * 4);
  for (let i = 0; i < side * side; i++) {
    rgba[i * 4] = rgba[i * 4 + 1] = rgba[i * 4 + 2] = value;
    rgba[i * 4 + 3] = 255;
  }
  for (let y = 0; y < h; y++) rgba.set(img.rgba.subarray(y * w * 4, (y + 1) * w * 4), ((oy + y) * side + ox) * 4);
  return { width: side, height: side, rgba };
}
