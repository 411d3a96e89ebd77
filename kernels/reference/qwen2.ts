// CPU references (f64 arithmetic on f32 inputs) of the Qwen2 block's small kernels: RMSNorm, RoPE
// (rotate_half form), SwiGLU over a fused gate|up row, KV-cache append.

/** y[r] = w ⊙ x[r] / √(mean(x[r]²) + eps) */
export function rmsNormRef(x: Float32Array, m: number, w: number, weight: Float32Array, eps: number): Float64Array {
  const y = new Float64Array(m * w);
  for (let r = 0; r < m; r++) {
    let s = 0;
    for (let c = 0; c < w; c++) s += x[r * w + c] ** 2;
    const rstd = 1 / Math.sqrt(s / w + eps);
    for (let c = 0; c < w; c++) y[r * w + c] = weight[c] * x[r * w + c] * rstd;
  }
  return y;
}

/** x (M, heads, hd) rotated; row r = b·t + j uses table row b·tableT + j. */
export function ropeRef(x: Float32Array, m: number, heads: number, hd: number, t: number, tableT: number,
  cos: Float32Array, sin: Float32Array): Float64Array {
  const y = new Float64Array(x.length);
  const half = hd / 2;
  for (let r = 0; r < m; r++) {
    const tr = (Math.floor(r / t) * tableT + (r % t)) * hd;
    for (let h = 0; h < heads; h++) {
      const at = (r * heads + h) * hd;
      for (let d = 0; d < hd; d++) {
        const rot = d < half ? -x[at + d + half] : x[at + d - half];
        y[at + d] = x[at + d] * cos[tr + d] + rot * sin[tr + d];
      }
    }
  }
  return y;
}

/** y (M, I) = SiLU(gu[:, :I]) ⊙ gu[:, I:] */
export function swigluRef(gu: Float32Array, m: number, i: number): Float64Array {
  const y = new Float64Array(m * i);
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < i; c++) {
      const g = gu[r * 2 * i + c];
      y[r * i + c] = (g / (1 + Math.exp(-g))) * gu[r * 2 * i + i + c];
    }
  }
  return y;
}

/** cache (B, capacity, W) with new (B, T, W) written at positions start.. */
export function kvAppendRef(cache: Float32Array, fresh: Float32Array, batch: number, t: number, w: number,
  capacity: number, start: number): Float32Array {
  const out = cache.slice();
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < t; j++) out.set(fresh.subarray((b * t + j) * w, (b * t + j + 1) * w), (b * capacity + start + j) * w);
  }
  return out;
}
