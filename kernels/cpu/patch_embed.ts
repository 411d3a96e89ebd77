// CPU version of kernels/patch_embed.ts (f32 storage, JS arithmetic): for kept position p of batch
// row b, v = (p < buf ? fake_latent : z_proj(tokens[b, p − buf])) + pos[p], out = LayerNorm(v)
// (biased variance, eps inside the sqrt, affine). `keep` (B, L) lists positions of the
// (buf + N)-long sequence; L is the same for every row.

export interface PatchEmbedCpuInputs {
  /** (B, N, 16) */
  tokens: Float32Array;
  /** (B, L) positions in 0 .. buf + N − 1 */
  keep: Uint32Array;
  /** (D, 16) */
  zProjWeight: Float32Array;
  /** (D) each */
  zProjBias: Float32Array;
  fakeLatent: Float32Array;
  lnWeight: Float32Array;
  lnBias: Float32Array;
  /** (buf + N, D) */
  pos: Float32Array;
}

export interface PatchEmbedDims {
  batch: number;
  /** kept positions per batch row */
  l: number;
  /** tokens per batch row */
  n: number;
  d: number;
  /** buffer slots */
  buf: number;
  /** LayerNorm eps (1e-6) */
  eps?: number;
}

// Pre-norm values of one row, kept in f64 (as the reference) so that the mean and the centred
// values are consistent.
let scratch = new Float64Array(0);

/** out (B, L, D): a new array unless `out` is given (it must hold B·L·D floats). */
export function patchEmbedCpu(x: PatchEmbedCpuInputs, dims: PatchEmbedDims, out?: Float32Array): Float32Array {
  const { batch, l, n, d, buf } = dims;
  const eps = dims.eps ?? 1e-6;
  const need = (name: string, a: ArrayLike<number>, len: number) => {
    if (a.length < len) throw new Error(`patchEmbedCpu: ${name} has ${a.length} elements, need ${len}`);
  };
  need('tokens', x.tokens, batch * n * 16);
  need('keep', x.keep, batch * l);
  need('zProjWeight', x.zProjWeight, d * 16);
  need('zProjBias', x.zProjBias, d);
  need('fakeLatent', x.fakeLatent, d);
  need('lnWeight', x.lnWeight, d);
  need('lnBias', x.lnBias, d);
  need('pos', x.pos, (buf + n) * d);
  const y = out ?? new Float32Array(batch * l * d);
  need('out', y, batch * l * d);
  if (scratch.length < d) scratch = new Float64Array(d);
  const v = scratch;
  const { tokens, keep, zProjWeight: w, zProjBias: zb, fakeLatent, lnWeight, lnBias, pos } = x;
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < l; j++) {
      const q = keep[b * l + j];
      if (q >= buf + n) throw new Error(`patchEmbedCpu: keep[${b * l + j}] = ${q} ≥ buf + N = ${buf + n}`);
      const po = q * d;
      let sum = 0;
      if (q < buf) {
        for (let c = 0; c < d; c++) {
          const s = fakeLatent[c] + pos[po + c];
          v[c] = s;
          sum += s;
        }
      } else {
        const t = (b * n + q - buf) * 16;
        const t0 = tokens[t], t1 = tokens[t + 1], t2 = tokens[t + 2], t3 = tokens[t + 3];
        const t4 = tokens[t + 4], t5 = tokens[t + 5], t6 = tokens[t + 6], t7 = tokens[t + 7];
        const t8 = tokens[t + 8], t9 = tokens[t + 9], t10 = tokens[t + 10], t11 = tokens[t + 11];
        const t12 = tokens[t + 12], t13 = tokens[t + 13], t14 = tokens[t + 14], t15 = tokens[t + 15];
        for (let c = 0, wo = 0; c < d; c++, wo += 16) {
          const s =
            zb[c] +
            (w[wo] * t0 + w[wo + 1] * t1 + w[wo + 2] * t2 + w[wo + 3] * t3) +
            (w[wo + 4] * t4 + w[wo + 5] * t5 + w[wo + 6] * t6 + w[wo + 7] * t7) +
            (w[wo + 8] * t8 + w[wo + 9] * t9 + w[wo + 10] * t10 + w[wo + 11] * t11) +
            (w[wo + 12] * t12 + w[wo + 13] * t13 + w[wo + 14] * t14 + w[wo + 15] * t15) +
            pos[po + c];
          v[c] = s;
          sum += s;
        }
      }
      const mean = sum / d;
      let sq = 0;
      for (let c = 0; c < d; c++) {
        const e = v[c] - mean;
        sq += e * e;
      }
      const rstd = 1 / Math.sqrt(sq / d + eps);
      const o = (b * l + j) * d;
      for (let c = 0; c < d; c++) y[o + c] = (v[c] - mean) * rstd * lnWeight[c] + lnBias[c];
    }
  }
  return y;
}
