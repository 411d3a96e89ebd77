// The canvas of a generation (DESIGN.md §2 "Partly known images", "Canvases need not be square"),
// planned on the CPU before any GPU work, as the reference's models/harmon/canvas.py does it:
//
// - The canvas is width × height pixels (multiples of 16), a gh × gw token grid.
// - With a source image, the image's top-left corner sits at `offset` (cropped where it sticks out);
//   canvas pixels it does not cover are mid-grey (0 in [-1, 1]) and masked. The mask (canvas-sized,
//   white = regenerate) adds to that. A token is UNKNOWN when any pixel of its 16×16 patch is masked
//   (with `growMask` also its 8 neighbours), KNOWN otherwise: the VAE-encoded canvas gives its value,
//   which the loop sees from step 0 and never rewrites.
// - The unknown tokens are the candidates; `strength` ∈ (0, 1] regenerates
//   u = max(1, floor(strength·c + 0.5)) of the c candidates (all tokens when nothing is masked),
//   chosen at random; without it u = c. Text-to-image: every token is a candidate, u = N.
// - Orders (injected or seeded) list per image the u generated tokens in the order MAR masks them;
//   noise is per image u × (S+1) × 16 (DESIGN.md §6 with N replaced by u).

import type { GenerateOptions, InputImage, MaskImage } from './api';
import { EngineError } from './errors';
import { CANVAS_KEYS, generateOption, optionError, optionValid } from './options';
import type { HarmonConfig } from './model';
import { Rng } from './rng';

/** A mask value at or above this marks its pixel for regeneration (white = regenerate). */
export const MASK_THRESHOLD = 128;

export interface CanvasRequest {
  width: number;
  height: number;
  image?: InputImage;
  mask?: MaskImage;
  offset: { x: number; y: number };
  strength?: number;
  growMask: boolean;
}

export interface Canvas {
  width: number;
  height: number;
  gh: number;
  gw: number;
  /** the source placed on the canvas, (1, 3, H, W) in [-1, 1]; absent for text-to-image */
  pixels?: Float32Array;
  /** token indices (row-major) that may be generated, ascending */
  candidates: number[];
  /** u: tokens generated per image */
  count: number;
  /** true when `count` of the candidates are chosen (a variation), false when all of them are */
  chosen: boolean;
}

const f = Math.fround;

/** The canvas options of a request, checked: its size (width/height, else size, else the image's
 * own size, else the package's `size`) and the image, mask, offset and strength. */
export function resolveCanvas(o: GenerateOptions, defaultSize: number, stride: number): CanvasRequest {
  const bad = (what: string): never => { throw new EngineError(what); };
  const img = o.image;
  if (img !== undefined && !(img && Number.isInteger(img.width) && Number.isInteger(img.height) && img.width > 0 && img.height > 0
    && img.rgba?.length === img.width * img.height * 4)) {
    bad(`malformed image: ${img?.width}×${img?.height} with ${img?.rgba?.length} bytes of RGBA`);
  }
  if (!img) {
    for (const k of ['mask', 'offset', 'strength'] as const) if (o[k] !== undefined) bad(`${k} needs an image (options.image) to work on`);
  }
  for (const key of CANVAS_KEYS) {
    const spec = generateOption(key);
    if (o[key] !== undefined && !optionValid(spec, o[key], stride)) bad(optionError(spec, o[key], stride));
  }
  const side = (name: 'width' | 'height'): number => {
    const v = o[name] ?? o.size ?? (img ? img[name] : defaultSize);
    if (optionValid(generateOption(name), v, stride)) return v;
    if (o[name] === undefined && o.size === undefined && img) {
      bad(`the image is ${img.width}×${img.height}, not a multiple of ${stride} on each side: give the canvas's width and height ` +
        '(the image is placed at offset on it, cropped or padded)');
    }
    return bad(optionError(generateOption(name), v, stride));
  };
  const width = side('width');
  const height = side('height');
  const offset = o.offset ?? { x: 0, y: 0 };
  if (!(Number.isInteger(offset?.x) && Number.isInteger(offset?.y))) bad(`offset must be whole pixels { x, y }, got ${JSON.stringify(offset)}`);
  const m = o.mask;
  if (m !== undefined) {
    const len = m?.data?.length;
    if (!m || !(m.width > 0 && m.height > 0) || !len) bad(`the mask is empty (${m?.width ?? 0}×${m?.height ?? 0})`);
    if (len !== m.width * m.height && len !== 4 * m.width * m.height) bad(`malformed mask: ${m.width}×${m.height} with ${len} values (one or four per pixel)`);
    if (m.width !== width || m.height !== height) bad(`the mask is ${m.width}×${m.height} but the canvas is ${width}×${height}`);
  }
  return { width, height, image: img, mask: m, offset, strength: o.strength, growMask: o.growMask ?? false };
}

/** RGBA bytes → (1, 3, H, W) floats in [-1, 1]: 2·(b/255) − 1 in float32 at every operation, as the
 * reference computes it (bit-identical). */
export function bytesToPixels(rgba: ArrayLike<number>, width: number, height: number): Float32Array {
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = f(f(2 * f(rgba[i * 4 + c] / 255)) - 1);
  return out;
}

/** Pixel mask (H·W, 1 = masked) → token mask (gh·gw): any pixel of a patch; `grow`: + 8 neighbours. */
export function tokenMask(masked: Uint8Array, width: number, height: number, stride: number, grow: boolean): Uint8Array {
  const gw = width / stride;
  const gh = height / stride;
  const t = new Uint8Array(gh * gw);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) if (masked[y * width + x]) t[Math.floor(y / stride) * gw + Math.floor(x / stride)] = 1;
  }
  if (!grow) return t;
  const g = new Uint8Array(gh * gw);
  for (let r = 0; r < gh; r++) {
    for (let c = 0; c < gw; c++) {
      if (!t[r * gw + c]) continue;
      for (let dr = -1; dr <= 1; dr++) {
        for (let dc = -1; dc <= 1; dc++) {
          const rr = r + dr;
          const cc = c + dc;
          if (rr >= 0 && rr < gh && cc >= 0 && cc < gw) g[rr * gw + cc] = 1;
        }
      }
    }
  }
  return g;
}

/** Tokens a variation regenerates: max(1, floor(strength·c + 0.5)). */
export function variationCount(strength: number, candidates: number): number {
  return Math.max(1, Math.floor(strength * candidates + 0.5));
}

/** Which tokens may be generated and the source's pixels on the canvas. Throws an EngineError for
 * a bad image, mask or offset. `width`, `height` are already checked multiples of `stride`. */
export function planCanvas(r: CanvasRequest, stride: number): Canvas {
  const { width: W, height: H } = r;
  const gh = H / stride;
  const gw = W / stride;
  const N = gh * gw;
  const all = Array.from({ length: N }, (_, i) => i);
  if (!r.image) return { width: W, height: H, gh, gw, candidates: all, count: N, chosen: false };

  const img = r.image;
  const { x, y } = r.offset;
  const x0 = Math.max(x, 0), y0 = Math.max(y, 0), x1 = Math.min(x + img.width, W), y1 = Math.min(y + img.height, H);
  if (x1 <= x0 || y1 <= y0) throw new EngineError(`the ${img.width}×${img.height} image at offset (${x}, ${y}) covers nothing of the ${W}×${H} canvas`);
  const src = bytesToPixels(img.rgba, img.width, img.height);
  const pixels = new Float32Array(3 * W * H);
  const masked = new Uint8Array(W * H).fill(1);
  for (let py = y0; py < y1; py++) {
    for (let px = x0; px < x1; px++) {
      const s = (py - y) * img.width + (px - x);
      for (let c = 0; c < 3; c++) pixels[c * W * H + py * W + px] = src[c * img.width * img.height + s];
      masked[py * W + px] = 0;
    }
  }
  if (r.mask) {
    const m = r.mask;
    const per = m.data.length / (m.width * m.height); // 1 (grey) or 4 (RGBA: the red channel)
    let any = false;
    for (let i = 0; i < W * H; i++) {
      if (m.data[i * per] >= MASK_THRESHOLD) {
        masked[i] = 1;
        any = true;
      }
    }
    if (!any) throw new EngineError(`the mask marks no pixel to regenerate (white, a value ≥ ${MASK_THRESHOLD})`);
  }
  const unknown = tokenMask(masked, W, H, stride, r.growMask);
  let candidates = all.filter((i) => unknown[i]);
  if (candidates.length === 0) {
    if (r.strength === undefined) throw new EngineError('nothing to generate: give a mask, a strength or a canvas larger than the image');
    candidates = all; // a variation of the whole image
  }
  const chosen = r.strength !== undefined;
  const count = chosen ? variationCount(r.strength!, candidates.length) : candidates.length;
  return { width: W, height: H, gh, gw, pixels, candidates, count, chosen };
}

/** Orders (n × u) and noise (n × slots × 16; slots = plan.noiseSlots, u·(S+1) at one S) from one
 * seed: per image the first u entries of a random permutation of the candidates. For text-to-image
 * (candidates 0…N−1, u = N) at one S this is the same stream as before partly known images and
 * the fast preset existed. */
export function seededInputs(seed: number, n: number, candidates: number[], count: number, slots: number) {
  const rng = new Rng(seed);
  const orders = Array.from({ length: n }, () => rng.permutation(candidates.length).slice(0, count).map((i) => candidates[i]));
  const noise = rng.normal(n * slots * 16);
  return { orders, noise };
}

/** Injected orders must list, per image, u distinct candidates (all of them unless a variation). */
export function checkCanvasOrders(orders: number[][], canvas: Canvas, n: number): void {
  const N = canvas.gh * canvas.gw;
  if (!Array.isArray(orders) || orders.length !== n) throw new EngineError(`orders: expected ${n} list(s), got ${Array.isArray(orders) ? orders.length : typeof orders}`);
  const allowed = new Uint8Array(N);
  for (const i of canvas.candidates) allowed[i] = 1;
  const partial = canvas.count < N || canvas.pixels !== undefined;
  orders.forEach((o, b) => {
    const seen = new Uint8Array(N);
    const ok = Array.isArray(o) && o.length === canvas.count
      && o.every((v) => Number.isInteger(v) && v >= 0 && v < N && allowed[v] && !seen[v]++);
    if (ok) return;
    if (!partial) throw new EngineError(`orders[${b}] is not a permutation of 0…${N - 1}`);
    throw new EngineError(`orders[${b}] must list ${canvas.count} distinct tokens of the ${canvas.candidates.length} the mask leaves unknown`);
  });
}

/** Per image the gh·gw flags: 1 = the token is generated, 0 = known. */
export function generatedFlags(orders: number[][], tokens: number): Uint8Array[] {
  return orders.map((o) => {
    const g = new Uint8Array(tokens);
    for (const i of o) g[i] = 1;
    return g;
  });
}

export interface CanvasLimits {
  /** the largest buffer the backend can hold (webgpu: the device's storage-binding and buffer limits) */
  maxBytes: number;
  /** what that limit is, for the error message */
  what: string;
}

/**
 * Refuses a canvas that the model's positions or the backend's buffers cannot hold, before any work.
 * Positions: the image tokens follow the prompt, so valid prompt + buffer + N must fit the LLM's
 * max_position_embeddings. Buffers: the largest single tensors of a generation, estimated from
 * the shapes (VAE decoder activations at full resolution, the MAR and LLM attention scores, the
 * patch-embedded tokens, the noise).
 */
export function checkCanvasLimits(cfg: HarmonConfig, c: Canvas, s: { n: number; batch: number; promptValid: number; promptLen: number; noiseSlots: number }, limits: CanvasLimits): void {
  const N = c.gh * c.gw;
  const buf = cfg.mar.buffer_size;
  const positions = s.promptValid + buf + N;
  const maxPos = cfg.llm.max_position_embeddings;
  if (positions > maxPos) {
    throw new EngineError(`the ${c.width}×${c.height} canvas has ${N} tokens: with ${buf} buffer slots after the ` +
      `${s.promptValid}-token prompt it needs ${positions} positions, more than the model's ${maxPos}`);
  }
  const L = buf + N;
  const B = s.batch;
  const top = cfg.vae.ch * cfg.vae.ch_mult[0];
  const sizes: [string, number][] = [
    ['the VAE decoder', s.n * top * c.width * c.height * 4],
    ['the VAE attention', s.n * N * N * 4],
    ['the MAR attention', B * Math.max(cfg.mar.heads, cfg.mar.decoder_heads) * L * L * 4],
    ['the LLM attention', B * cfg.llm.num_attention_heads * L * (s.promptLen + L) * 4],
    ['the MAR tokens', B * L * Math.max(cfg.mar.width, cfg.mar.decoder_width) * 4],
    ['the LLM MLP', B * L * cfg.llm.intermediate_size * 4],
    ['the noise', s.n * s.noiseSlots * 16 * 4],
  ];
  const [what, bytes] = sizes.reduce((a, b) => (b[1] > a[1] ? b : a));
  if (bytes > limits.maxBytes) {
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
    throw new EngineError(`the ${c.width}×${c.height} canvas with ${s.n} image(s) is too large for this backend: ${what} ` +
      `needs a ${mib(bytes)} buffer, over ${limits.what} (${mib(limits.maxBytes)}); use a smaller canvas or fewer images`);
  }
}
