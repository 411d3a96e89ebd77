// CPU diffusion head throughput (kernels/cpu): GFLOP/s of the blocked Linear alone (gemmPeakCpu)
// and of DiffusionHeadCpu.sample, per backend (WebAssembly SIMD and the JS fallback). Used by
// cpu_head.bench.ts (`npm run bench:kernels`) and runnable alone: `npx tsx kernels/bench/cpu_head.ts`.

import { DiffusionHeadCpu, diffusionHeadWeightShapes } from '../cpu/diffusion_head';
import { type CpuBackend, gemmPeakCpu, wasmSimdAvailable } from '../cpu/matmul';

/** Deterministic pseudo-random f32 data in [−scale, scale) (no Node or test imports: this file
 * also runs in a browser page). */
function noise(n: number, seed: { s: number }, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed.s = (Math.imul(seed.s, 1664525) + 1013904223) >>> 0;
    out[i] = (seed.s / 2 ** 31 - 1) * scale;
  }
  return out;
}

/** FLOPs (2·m·n·k per Linear) of one sample() call: M rows, S steps. */
export function headFlops(W: number, R: number, D: number, m: number, steps: number): number {
  return 2 * m * (steps * ((3 * R + 2) * W * W + 2 * R * W * W + 16 * W + 32 * W) + D * W);
}

export function runCpuHeadBench(): string[] {
  const lines: string[] = [];
  const backends: CpuBackend[] = wasmSimdAvailable() ? ['wasm', 'js'] : ['js'];
  const shape = { width: 128, depth: 3, condDim: 128 };
  const { width: W, depth: R, condDim: D } = shape;
  const rand = { s: 1 };
  const weights: Record<string, Float32Array> = {};
  for (const [name, dims] of diffusionHeadWeightShapes(shape)) {
    weights[name] = noise(dims.reduce((x, y) => x * y, 1), rand, dims.length === 2 ? 1 / Math.sqrt(dims[1]) : 0.1);
  }
  for (const backend of backends) {
    // "Peak": the best the Linear alone reaches at these shapes (the head's own, and a larger one).
    let peak = 0;
    for (const [m, n, k] of [[32, 1408, 128], [32, 128, 128], [128, 512, 512]]) {
      const p = gemmPeakCpu(m, n, k, { backend });
      peak = Math.max(peak, p.gflops);
      lines.push(`cpu ${backend.padEnd(4)} linear ${m}×${n}×${k}`.padEnd(58) + `${p.gflops.toFixed(2).padStart(8)} GFLOP/s  ${p.ms.toFixed(3).padStart(8)} ms`);
    }
    const head = new DiffusionHeadCpu(shape, weights, { backend });
    for (const [mc, steps] of [[16, 100], [32, 100], [16, 10]]) {
      const m = 2 * mc;
      const args = {
        steps, cfg: 3, temperature: 1, rows: mc,
        cond: noise(m * D, rand),
        condRows: Uint32Array.from({ length: m }, (_, i) => i),
        noise: noise(mc * (steps + 1) * 16, rand),
        noiseRows: Uint32Array.from({ length: mc }, (_, i) => i),
        out: new Float32Array(m * 16),
      };
      head.sample(args); // warm-up (JIT, schedule, scratch)
      // Best of several runs: the machines here are shared, and contention only adds time.
      let ms = Infinity;
      const t0 = performance.now();
      for (let runs = 0; runs < 3 || performance.now() - t0 < 2500; runs++) {
        const t = performance.now();
        head.sample(args);
        ms = Math.min(ms, performance.now() - t);
      }
      const gflops = headFlops(W, R, D, m, steps) / ms / 1e6;
      lines.push(
        `cpu ${backend.padEnd(4)} head W ${W} R ${R} D' ${D}, ${m} rows × ${steps} steps`.padEnd(58) +
          `${gflops.toFixed(2).padStart(8)} GFLOP/s  ${ms.toFixed(1).padStart(8)} ms  (${((100 * gflops) / peak).toFixed(0)}% of linear peak)`,
      );
    }
  }
  return lines;
}

if (typeof process !== 'undefined' && process.argv[1]?.endsWith('cpu_head.ts')) {
  console.log(runCpuHeadBench().join('\n'));
}
