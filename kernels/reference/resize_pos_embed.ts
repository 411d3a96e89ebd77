// CPU reference of kernels/resize_pos_embed.ts: PyTorch bilinear (align_corners=False) over the
// image rows of a position table, buffer rows copied. Index math in f32 like PyTorch's CPU kernel.

const f = Math.fround;

function axis(o: number, nIn: number, nOut: number): [number, number, number] {
  const scale = f(nIn / nOut);
  const s = Math.max(f(f(scale * f(o + 0.5)) - 0.5), 0);
  const i0 = Math.min(Math.floor(s), nIn - 1);
  const i1 = Math.min(i0 + 1, nIn - 1);
  return [i0, i1, Math.min(Math.max(f(s - i0), 0), 1)];
}

export function resizePosEmbedRef(
  src: Float32Array,
  buffer: number,
  gh0: number,
  gw0: number,
  gh: number,
  gw: number,
  d: number,
): Float32Array {
  const out = new Float32Array((buffer + gh * gw) * d);
  out.set(src.subarray(0, buffer * d));
  const img = src.subarray(buffer * d);
  for (let oy = 0; oy < gh; oy++) {
    const [y0, y1, h1] = axis(oy, gh0, gh);
    for (let ox = 0; ox < gw; ox++) {
      const [x0, x1, w1] = axis(ox, gw0, gw);
      const at = (buffer + oy * gw + ox) * d;
      for (let c = 0; c < d; c++) {
        const v = (y: number, x: number) => img[(y * gw0 + x) * d + c];
        out[at + c] =
          (1 - h1) * ((1 - w1) * v(y0, x0) + w1 * v(y0, x1)) + h1 * ((1 - w1) * v(y1, x0) + w1 * v(y1, x1));
      }
    }
  }
  return out;
}
