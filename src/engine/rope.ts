// Rotary position tables for the LLM graph, computed on the CPU exactly as transformers' Qwen2
// does in float32: inv_freq = 1 / θ^(2i/hd), angle = position · inv_freq, table = [angle, angle].
// They are graph inputs because GPU sin/cos lose precision on large angles.

export function ropeTables(positions: ArrayLike<number>, headDim: number, theta: number): { cos: Float32Array; sin: Float32Array } {
  const f = Math.fround;
  const half = headDim / 2;
  const inv = Float32Array.from({ length: half }, (_, i) => f(1 / f(Math.pow(theta, f((2 * i) / headDim)))));
  const cos = new Float32Array(positions.length * headDim);
  const sin = new Float32Array(positions.length * headDim);
  for (let p = 0; p < positions.length; p++) {
    const pos = f(positions[p]);
    for (let i = 0; i < half; i++) {
      const a = f(pos * inv[i]);
      const c = Math.cos(a);
      const s = Math.sin(a);
      cos[p * headDim + i] = cos[p * headDim + half + i] = c;
      sin[p * headDim + i] = sin[p * headDim + half + i] = s;
    }
  }
  return { cos, sin };
}
