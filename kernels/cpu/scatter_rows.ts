// CPU version of kernels/scatter_rows.ts: writes the tokens sampled in a MAR step into the token
// buffer. Entry t of `targets` (a row of `dst`) receives `src` row t mod mc, so with CFG the
// unconditional rows get the conditional samples (as the official loop copies them).

export interface ScatterRowsDims {
  /** rows of `src` */
  mc: number;
  width: number;
  /** entries of `targets` used (default: all) */
  count?: number;
}

/** dst[targets[t]] ← src[t mod mc] for t < count, in place; returns dst. */
export function scatterRowsCpu(src: Float32Array, targets: Uint32Array, dst: Float32Array, dims: ScatterRowsDims): Float32Array {
  const { mc, width } = dims;
  const count = dims.count ?? targets.length;
  if (count > targets.length) throw new Error(`scatterRowsCpu: count ${count} > ${targets.length} targets`);
  if (count > 0 && (mc < 1 || src.length < mc * width)) throw new Error(`scatterRowsCpu: src has ${src.length} floats, need ${mc}×${width}`);
  const rows = Math.floor(dst.length / width);
  for (let t = 0; t < count; t++) {
    const row = targets[t];
    if (row >= rows) throw new Error(`scatterRowsCpu: targets[${t}] = ${row} but dst has ${rows} rows`);
    const s = (t % mc) * width;
    dst.set(src.subarray(s, s + width), row * width);
  }
  return dst;
}
