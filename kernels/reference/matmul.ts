// CPU reference matmul, C = A·B, row-major, f64 accumulation.

export function matmulRef(a: Float32Array, b: Float32Array, m: number, n: number, k: number): Float32Array {
  const c = new Float32Array(m * n);
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let t = 0; t < k; t++) {
      const x = a[i * k + t];
      for (let j = 0; j < n; j++) row[j] += x * b[t * n + j];
    }
    c.set(row, i * n);
  }
  return c;
}
