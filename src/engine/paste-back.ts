// Pasting the source back after a partly known generation (inpainting, outpainting, variations).
// The engine keeps the known tokens' latents exactly, but the VAE decoder sees its neighbours, so
// decoded pixels outside the regenerated area drift a little, most near the seams. Callers that
// want the source's pixels untouched there (the demo's "Keep pixels outside the mask", the
// widget, the CLI's --keep-pixels) paste them back with this one function, blended over one token
// so the seam does not show. Pure and DOM-free: RGBA arrays in, RGBA out.

import { MASK_THRESHOLD } from './canvas';
import { STRIDE } from './limits';

/** The blend band is one token (the VAE stride) wide by default. */
export const PASTE_FEATHER = STRIDE;

export interface RgbaImage {
  width: number;
  height: number;
  rgba: ArrayLike<number>;
}

export interface PasteBackInput {
  /** the generated image: the canvas, width × height RGBA */
  result: RgbaImage;
  /** the source image (any size) and where its top-left corner sat on the canvas (default 0, 0) */
  source: RgbaImage;
  offset?: { x: number; y: number };
  /** the request's mask (canvas-sized; one value or RGBA per pixel, red read; ≥ 128 = regenerate) */
  mask?: { width: number; height: number; data: ArrayLike<number> };
  /** the result's token flags (GenerateResult.generated[i], gh × gw, 1 = generated): a pixel
   * counts as regenerated only inside a generated token. Without a mask (a variation of the
   * whole image) the generated tokens are the regenerated area. */
  generated?: ArrayLike<number>;
  /** token side in pixels (the VAE stride), for `generated`; default 16 */
  stride?: number;
  /** blend band in pixels; default one token (16) */
  feather?: number;
}

/**
 * The result with the source's pixels outside the regenerated area, as RGBA of the canvas's size.
 *
 * Regenerated pixels are the canvas pixels the source does not cover, and the masked pixels (with
 * `generated`: those of generated tokens; with `generated` and no mask: every pixel of a generated
 * token). They keep the result's value. A pixel at Euclidean distance d (pixel centres) from the
 * nearest regenerated pixel is the blend w·result + (1 − w)·source with w = 1 − d / feather, so
 * every pixel at d ≥ feather is the source's exactly.
 */
export function pasteBack(p: PasteBackInput): Uint8ClampedArray {
  const { width: W, height: H } = p.result;
  const src = p.source;
  const { x: ox, y: oy } = p.offset ?? { x: 0, y: 0 };
  const feather = p.feather ?? PASTE_FEATHER;
  const stride = p.stride ?? STRIDE;
  if (p.result.rgba.length !== W * H * 4) throw new RangeError(`the result is ${W}×${H} but holds ${p.result.rgba.length} bytes of RGBA`);
  if (src.rgba.length !== src.width * src.height * 4) throw new RangeError(`the source is ${src.width}×${src.height} but holds ${src.rgba.length} bytes of RGBA`);
  if (!(feather >= 1)) throw new RangeError(`the feather must be at least 1 pixel, got ${feather}`);
  const mask = p.mask;
  const per = mask ? mask.data.length / (W * H) : 0;
  if (mask && (mask.width !== W || mask.height !== H || (per !== 1 && per !== 4))) {
    throw new RangeError(`the mask is ${mask.width}×${mask.height} with ${mask.data.length} values, the canvas ${W}×${H}`);
  }
  const gen = p.generated;
  const gw = Math.ceil(W / stride);
  if (gen && gen.length !== gw * Math.ceil(H / stride)) throw new RangeError(`generated holds ${gen.length} flags, the canvas has ${gw}×${Math.ceil(H / stride)} tokens`);

  // which canvas pixels were regenerated, and where each one's source pixel is (-1: not covered)
  const regen = new Uint8Array(W * H);
  const from = new Int32Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const sx = x - ox;
      const sy = y - oy;
      const covered = sx >= 0 && sy >= 0 && sx < src.width && sy < src.height;
      from[i] = covered ? sy * src.width + sx : -1;
      const inToken = gen ? gen[Math.floor(y / stride) * gw + Math.floor(x / stride)] !== 0 : true;
      const masked = mask ? mask.data[i * per] >= MASK_THRESHOLD : gen !== undefined;
      regen[i] = !covered || (masked && inToken) ? 1 : 0;
    }
  }

  const dist2 = distanceSquared(regen, W, H, Math.ceil(feather));
  const out = new Uint8ClampedArray(W * H * 4);
  const res = p.result.rgba;
  for (let i = 0; i < W * H; i++) {
    const d = Math.sqrt(dist2[i]);
    const w = d >= feather ? 0 : 1 - d / feather; // 1 on regenerated pixels (d = 0)
    const s = from[i] * 4;
    for (let c = 0; c < 4; c++) {
      const g = res[i * 4 + c];
      // the exact ends first: no rounding can move a kept or a regenerated pixel
      out[i * 4 + c] = w === 1 ? g : w === 0 ? src.rgba[s + c] : Math.round(w * g + (1 - w) * src.rgba[s + c]);
    }
  }
  return out;
}

/** Squared Euclidean distance from every pixel to the nearest set one, exact up to `cap` pixels
 * (farther ones get at least cap²): per row the distance along it, then per column the nearest of
 * the rows within `cap` (d² = dx² + dy²). O(W·H·cap), which the one-token band keeps small. */
function distanceSquared(set: Uint8Array, W: number, H: number, cap: number): Float64Array {
  const far = cap + 1;
  const row = new Float64Array(W * H);
  for (let y = 0; y < H; y++) {
    let last = -Infinity;
    for (let x = 0; x < W; x++) {
      if (set[y * W + x]) last = x;
      row[y * W + x] = Math.min(far, x - last);
    }
    last = Infinity;
    for (let x = W - 1; x >= 0; x--) {
      if (set[y * W + x]) last = x;
      row[y * W + x] = Math.min(row[y * W + x], last - x);
    }
  }
  const out = new Float64Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let best = far * far;
      for (let dy = -cap; dy <= cap; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= H) continue;
        const dx = row[yy * W + x];
        best = Math.min(best, dx * dx + dy * dy);
      }
      out[y * W + x] = best;
    }
  }
  return out;
}
