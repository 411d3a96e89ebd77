// CPU reference of kernels/attention.ts: explicit masked scores, max-subtracted softmax, f64.

export interface AttentionRefInputs {
  q: Float32Array; // (B, Tq, Hq, hd)
  kCache: Float32Array; // (B, P, Hkv, hd)
  vCache: Float32Array;
  pvalid: Uint32Array; // (B)
  kNew: Float32Array; // (B, Tq, Hkv, hd)
  vNew: Float32Array;
}

export function attentionRef(
  x: AttentionRefInputs,
  batch: number,
  tq: number,
  p: number,
  hq: number,
  hkv: number,
  hd: number,
  causal: boolean,
): Float32Array {
  const out = new Float32Array(batch * tq * hq * hd);
  const scale = 1 / Math.sqrt(hd);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < tq; i++) {
      for (let h = 0; h < hq; h++) {
        const kvh = Math.floor(h / (hq / hkv));
        const qo = ((b * tq + i) * hq + h) * hd;
        // Visible keys as [buffer, row offset] pairs: valid cache rows, then new keys.
        const keys: [Float32Array, Float32Array, number][] = [];
        for (let j = 0; j < Math.min(x.pvalid[b], p); j++) keys.push([x.kCache, x.vCache, ((b * p + j) * hkv + kvh) * hd]);
        const nNew = causal ? i + 1 : tq;
        for (let j = 0; j < nNew; j++) keys.push([x.kNew, x.vNew, ((b * tq + j) * hkv + kvh) * hd]);
        const scores = keys.map(([k, , o]) => {
          let s = 0;
          for (let d = 0; d < hd; d++) s += x.q[qo + d] * k[o + d];
          return s * scale;
        });
        const max = Math.max(...scores);
        const weights = scores.map((s) => Math.exp(s - max));
        const sum = weights.reduce((a, c) => a + c, 0);
        for (let d = 0; d < hd; d++) {
          let acc = 0;
          keys.forEach(([, v, o], j) => (acc += weights[j] * v[o + d]));
          out[qo + d] = acc / sum;
        }
      }
    }
  }
  return out;
}
