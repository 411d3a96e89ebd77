// CPU reference of kernels/patch_embed.ts (f64 arithmetic on f32 inputs).

export interface PatchEmbedRefInputs {
  tokens: Float32Array; // (B, N, 16)
  keep: Uint32Array; // (B, L)
  zProjWeight: Float32Array; // (D, 16)
  zProjBias: Float32Array; // (D)
  fakeLatent: Float32Array; // (D)
  pos: Float32Array; // (buf + N, D)
  lnWeight: Float32Array; // (D)
  lnBias: Float32Array; // (D)
}

export function patchEmbedRef(
  x: PatchEmbedRefInputs,
  batch: number,
  l: number,
  n: number,
  d: number,
  buf: number,
  eps = 1e-6,
): Float32Array {
  const out = new Float32Array(batch * l * d);
  const v = new Float64Array(d);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < l; j++) {
      const q = x.keep[b * l + j];
      for (let c = 0; c < d; c++) {
        let s: number;
        if (q < buf) s = x.fakeLatent[c];
        else {
          s = x.zProjBias[c];
          const t = (b * n + q - buf) * 16;
          for (let k = 0; k < 16; k++) s += x.zProjWeight[c * 16 + k] * x.tokens[t + k];
        }
        v[c] = s + x.pos[q * d + c];
      }
      let mean = 0;
      for (let c = 0; c < d; c++) mean += v[c];
      mean /= d;
      let variance = 0;
      for (let c = 0; c < d; c++) variance += (v[c] - mean) ** 2;
      variance /= d;
      const rstd = 1 / Math.sqrt(variance + eps);
      for (let c = 0; c < d; c++) {
        out[(b * l + j) * d + c] = (v[c] - mean) * rstd * x.lnWeight[c] + x.lnBias[c];
      }
    }
  }
  return out;
}
