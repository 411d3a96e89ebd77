// CPU version of kernels/resize_pos_embed.ts: the first `buffer` rows are copied; the image rows
// (a gh0×gw0 grid of D-vectors) are resized like PyTorch's F.interpolate(mode='bilinear',
// align_corners=False): src = max((dst + 0.5)·in/out − 0.5, 0), i0 = floor, i1 = min(i0 + 1, in − 1),
// λ weights; the index math in f32 as PyTorch's CPU kernel does it. gh ≠ gw is fine.

export interface ResizePosEmbedDims {
  /** Rows copied unchanged (64 for the MAR encoder/decoder tables, 0 for diffusion_pos_embed). */
  buffer: number;
  /** Native grid of the table. */
  gh0: number;
  gw0: number;
  /** Target grid. */
  gh: number;
  gw: number;
  /** Channels per row. */
  d: number;
}

const f = Math.fround;

/** Per output index along one axis: i0, i1 and λ1 (PyTorch's area_pixel_compute_source_index). */
function axisTable(nIn: number, nOut: number): { i0: Int32Array; i1: Int32Array; l1: Float64Array } {
  const i0 = new Int32Array(nOut);
  const i1 = new Int32Array(nOut);
  const l1 = new Float64Array(nOut);
  const scale = f(nIn / nOut);
  for (let o = 0; o < nOut; o++) {
    const s = Math.max(f(f(scale * f(o + 0.5)) - 0.5), 0);
    const a = Math.min(Math.floor(s), nIn - 1);
    i0[o] = a;
    i1[o] = Math.min(a + 1, nIn - 1);
    l1[o] = Math.min(Math.max(f(s - a), 0), 1);
  }
  return { i0, i1, l1 };
}

/** dst (buffer + gh·gw, D): a new array unless `out` is given. */
export function resizePosEmbedCpu(src: Float32Array, dims: ResizePosEmbedDims, out?: Float32Array): Float32Array {
  const { buffer, gh0, gw0, gh, gw, d } = dims;
  if (src.length < (buffer + gh0 * gw0) * d) {
    throw new Error(`resizePosEmbedCpu: src has ${src.length} floats, need (${buffer} + ${gh0}·${gw0})·${d}`);
  }
  const dst = out ?? new Float32Array((buffer + gh * gw) * d);
  if (dst.length < (buffer + gh * gw) * d) throw new Error(`resizePosEmbedCpu: out has ${dst.length} floats, need ${(buffer + gh * gw) * d}`);
  dst.set(src.subarray(0, buffer * d));
  if (gh === gh0 && gw === gw0) {
    dst.set(src.subarray(buffer * d, (buffer + gh * gw) * d), buffer * d);
    return dst;
  }
  const ay = axisTable(gh0, gh);
  const ax = axisTable(gw0, gw);
  const img = buffer * d;
  for (let oy = 0; oy < gh; oy++) {
    const h1 = ay.l1[oy];
    const h0 = 1 - h1;
    const r0 = img + ay.i0[oy] * gw0 * d;
    const r1 = img + ay.i1[oy] * gw0 * d;
    for (let ox = 0; ox < gw; ox++) {
      const w1 = ax.l1[ox];
      const w0 = 1 - w1;
      const c0 = ax.i0[ox] * d;
      const c1 = ax.i1[ox] * d;
      const a = r0 + c0, b = r0 + c1, c = r1 + c0, e = r1 + c1;
      const at = (buffer + oy * gw + ox) * d;
      for (let k = 0; k < d; k++) {
        dst[at + k] = h0 * (w0 * src[a + k] + w1 * src[b + k]) + h1 * (w0 * src[c + k] + w1 * src[e + k]);
      }
    }
  }
  return dst;
}
