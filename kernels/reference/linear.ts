// CPU references for the diffusion head's pieces (f64 arithmetic on f32 inputs): PyTorch Linear,
// SiLU, LayerNorm (optionally affine) with adaLN modulation.

export type Vec = Float32Array | Float64Array;

/** y (rows, out) = x (rows, in) · Wᵀ + b, W (out, in). */
export function linearRef(x: Vec, rows: number, w: Vec, b: Vec, inDim: number, outDim: number): Float64Array {
  const y = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let s = b[o];
      for (let k = 0; k < inDim; k++) s += x[r * inDim + k] * w[o * inDim + k];
      y[r * outDim + o] = s;
    }
  }
  return y;
}

export function silu(v: number): number {
  return v / (1 + Math.exp(-v));
}

/**
 * y[r] = LayerNorm(h[r]) · (1 + mods[r, scaleOff..]) + mods[r, shiftOff..], LayerNorm affine when
 * gamma/beta are given.
 */
export function layerNormModulateRef(
  h: Vec,
  rows: number,
  w: number,
  mods: Vec,
  modStride: number,
  shiftOff: number,
  scaleOff: number,
  gamma?: Vec,
  beta?: Vec,
  eps = 1e-6,
): Float64Array {
  const y = new Float64Array(rows * w);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let c = 0; c < w; c++) mean += h[r * w + c];
    mean /= w;
    let variance = 0;
    for (let c = 0; c < w; c++) variance += (h[r * w + c] - mean) ** 2;
    const rstd = 1 / Math.sqrt(variance / w + eps);
    for (let c = 0; c < w; c++) {
      let n = (h[r * w + c] - mean) * rstd;
      if (gamma && beta) n = n * gamma[c] + beta[c];
      const m = r * modStride;
      y[r * w + c] = n * (1 + mods[m + scaleOff + c]) + mods[m + shiftOff + c];
    }
  }
  return y;
}
