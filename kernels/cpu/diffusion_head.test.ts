import { afterAll, describe, expect, it } from 'vitest';
import { diffusionSampleRef } from '../reference/diffusion_head';
import type { DiffusionHeadShape, Weights } from '../types';
import { ErrorLog, TOLERANCE, randn, relErr, rng } from '../testing';
import { DiffusionHeadCpu, diffusionHeadWeightShapes } from './diffusion_head';
import { type CpuBackend, CpuHeap, gemmPeakCpu, linearCpu, wasmSimdAvailable } from './matmul';
import { linearRef } from '../reference/linear';

const log = new ErrorLog('cpu diffusion_head');
afterAll(() => log.print());

const BACKENDS: CpuBackend[] = ['wasm', 'js'];

function randomWeights(shape: DiffusionHeadShape, rand: () => number): Weights {
  const w: Weights = {};
  for (const [name, dims] of diffusionHeadWeightShapes(shape)) {
    const n = dims.reduce((a, b) => a * b, 1);
    // Fan-in scaling keeps activations O(1) through the blocks; LayerNorm gains around 1.
    if (name.endsWith('in_ln.weight')) w[name] = randn(n, rand, 0.2).map((v) => 1 + v);
    else w[name] = randn(n, rand, dims.length === 2 ? 1 / Math.sqrt(dims[1]) : 0.1);
  }
  return w;
}

it('runs WebAssembly SIMD in Node', () => {
  expect(wasmSimdAvailable()).toBe(true);
});

describe('linearCpu', () => {
  // [rows, in, out]
  const CASES: [number, number, number][] = [[1, 16, 8], [5, 7, 3], [32, 128, 1408], [9, 130, 37], [4, 256, 128]];
  for (const backend of BACKENDS) {
    it.each(CASES)(`${backend}: %i rows, %i → %i`, (rows, inDim, outDim) => {
      const rand = rng(rows * 31 + inDim * 7 + outDim);
      const x = randn(rows * inDim, rand);
      const w = randn(outDim * inDim, rand);
      const b = randn(outDim, rand);
      const got = linearCpu(x, rows, w, b, inDim, outDim, { backend });
      expect(relErr(got, linearRef(x, rows, w, b, inDim, outDim))).toBeLessThanOrEqual(TOLERANCE);
    });
  }
  it('gemmPeakCpu measures', () => {
    const p = gemmPeakCpu(8, 16, 8, { budgetMs: 5 });
    expect(p.gflops).toBeGreaterThan(0);
    expect(p.backend).toBe('wasm');
  });
});

// [W, R, D', S, Mc, cfg, temperature]
const CASES: [number, number, number, number, number, number, number][] = [
  [8, 1, 8, 2, 3, 1, 1], // CFG off, S = 2
  [8, 2, 24, 5, 4, 4, 1],
  [32, 1, 24, 10, 2, 3, 0.5],
  [32, 2, 8, 5, 5, 1, 0.5],
  [8, 1, 24, 10, 6, 1.5, 1],
  [32, 2, 24, 2, 1, 2, 1], // Mc = 1 with CFG, S = 2
  [12, 2, 10, 7, 3, 3, 0], // W and D' not multiples of 8 / 4, temperature 0
  [13, 1, 7, 4, 1, 1, 1], // M = 1, W and D' odd
  [20, 3, 30, 3, 7, 2.5, 1], // Mc·2 = 14 rows: not a multiple of 4
  [128, 3, 128, 100, 2, 3, 1], // the default model's head, S = 100, CFG
  [128, 3, 128, 100, 3, 1, 0], // S = 100, CFG off, temperature 0
  [36, 2, 50, 100, 1, 1, 1], // S = 100, M = 1
];

describe('DiffusionHeadCpu', () => {
  for (const backend of BACKENDS) {
    it.each(CASES)(`${backend}: W %i, R %i, D' %i, S %i, Mc %i, cfg %f, temperature %f`, (width, depth, condDim, steps, mc, cfg, temperature) => {
      const shape = { width, depth, condDim };
      const rand = rng(width * 7 + depth * 101 + condDim * 13 + steps * 1009 + mc);
      const weights = randomWeights(shape, rand);
      const m = cfg === 1 ? mc : 2 * mc;
      // Conditioning from a larger "decoder output" through a row index, noise from a larger noise
      // table through a row index: as the engine passes them.
      const condTable = randn((m + 5) * condDim, rand);
      const condRows = Uint32Array.from({ length: m }, (_, r) => (r * 7 + 3) % (m + 5));
      const noiseTable = randn((mc + 4) * (steps + 1) * 16, rand);
      const noiseRows = Uint32Array.from({ length: mc }, (_, i) => (mc + 3 - i) % (mc + 4));
      const cond = new Float32Array(m * condDim);
      condRows.forEach((src, r) => cond.set(condTable.subarray(src * condDim, (src + 1) * condDim), r * condDim));
      const slot = (steps + 1) * 16;
      const noise = new Float32Array(mc * slot);
      noiseRows.forEach((src, i) => noise.set(noiseTable.subarray(src * slot, (src + 1) * slot), i * slot));
      const ref = diffusionSampleRef(weights, shape, { cond, noise, mc, steps, cfg, temperature });

      const head = new DiffusionHeadCpu(shape, weights, { backend });
      expect(head.backend).toBe(backend);
      // The result lands 2 rows into the output array; the rest is left alone.
      const out = new Float32Array((m + 3) * 16).fill(7);
      const got = head.sample({ steps, cfg, temperature, rows: mc, cond: condTable, condRows, noise: noiseTable, noiseRows, out, outOffset: 32 });
      expect(got).toBe(out);
      expect(out.subarray(0, 32).every((v) => v === 7)).toBe(true);
      expect(out.subarray(32 + m * 16).every((v) => v === 7)).toBe(true);
      expect(log.add(relErr(out.subarray(32, 32 + m * 16), ref))).toBeLessThanOrEqual(TOLERANCE);
    });

    it(`${backend}: reuses the head across calls with different row counts, S and CFG settings`, () => {
      const shape = { width: 16, depth: 2, condDim: 12 };
      const rand = rng(42);
      const weights = randomWeights(shape, rand);
      const head = new DiffusionHeadCpu(shape, weights, { backend });
      for (const [mc, cfg, steps] of [[2, 3, 5], [9, 1, 5], [5, 2, 2], [1, 1, 5], [40, 3, 3], [3, 3, 5]]) {
        const m = cfg === 1 ? mc : 2 * mc;
        const cond = randn(m * 12, rand);
        const noise = randn(mc * (steps + 1) * 16, rand);
        const ref = diffusionSampleRef(weights, shape, { cond, noise, mc, steps, cfg, temperature: 1 });
        const got = head.sample({
          steps, cfg, temperature: 1, rows: mc, cond,
          condRows: Uint32Array.from({ length: m }, (_, r) => r),
          noise,
          noiseRows: Uint32Array.from({ length: mc }, (_, i) => i),
        });
        expect(got.length).toBe(m * 16);
        expect(log.add(relErr(got, ref))).toBeLessThanOrEqual(TOLERANCE);
      }
    });
  }

  it('wasm and js agree closely', () => {
    const shape = { width: 64, depth: 2, condDim: 40 };
    const rand = rng(5);
    const weights = randomWeights(shape, rand);
    const args = {
      steps: 20, cfg: 3, temperature: 1, rows: 6,
      cond: randn(12 * 40, rand), condRows: Uint32Array.from({ length: 12 }, (_, r) => r),
      noise: randn(6 * 21 * 16, rand), noiseRows: Uint32Array.from({ length: 6 }, (_, i) => i),
    };
    const a = new DiffusionHeadCpu(shape, weights, { backend: 'wasm' }).sample(args);
    const b = new DiffusionHeadCpu(shape, weights, { backend: 'js' }).sample(args);
    expect(relErr(a, b)).toBeLessThanOrEqual(1e-5);
  });

  it('names missing, unexpected and wrongly sized weights', () => {
    const shape = { width: 8, depth: 1, condDim: 8 };
    const weights = randomWeights(shape, rng(1));
    delete weights['res_blocks.0.mlp.2.bias'];
    weights['res_blocks.1.mlp.0.weight'] = new Float32Array(64);
    weights['cond_embed.weight'] = new Float32Array(63);
    expect(() => new DiffusionHeadCpu(shape, weights)).toThrow(
      /missing \[res_blocks\.0\.mlp\.2\.bias\], unexpected \[res_blocks\.1\.mlp\.0\.weight\], wrong size \[cond_embed\.weight 63 != 8×8\]/,
    );
    const good = randomWeights(shape, rng(1));
    expect(() => new DiffusionHeadCpu({ ...shape, condDim: 9 }, good)).toThrow(/wrong size \[cond_embed\.weight 64 != 8×9\]/);
    expect(() => new DiffusionHeadCpu({ ...shape, depth: 0 }, good)).toThrow(/depth 0/);
  });

  it('rejects bad arguments', () => {
    const shape = { width: 8, depth: 1, condDim: 8 };
    const head = new DiffusionHeadCpu(shape, randomWeights(shape, rng(2)));
    const base = {
      steps: 3, cfg: 2, temperature: 1, rows: 2,
      cond: new Float32Array(4 * 8), condRows: Uint32Array.from([0, 1, 2, 3]),
      noise: new Float32Array(2 * 4 * 16), noiseRows: Uint32Array.from([0, 1]),
    };
    expect(head.sample(base).length).toBe(64);
    expect(() => head.sample({ ...base, steps: 1 })).toThrow(/sampling steps 1/);
    expect(() => head.sample({ ...base, rows: 0 })).toThrow(/rows 0/);
    expect(() => head.sample({ ...base, condRows: Uint32Array.from([0, 1, 2]) })).toThrow(/condRows has 3 entries, need 4/);
    expect(() => head.sample({ ...base, condRows: Uint32Array.from([0, 1, 4, 3]) })).toThrow(/condRows\[2\] = 4/);
    expect(() => head.sample({ ...base, noiseRows: Uint32Array.from([0, 2]) })).toThrow(/noiseRows\[1\] = 2/);
    expect(() => head.sample({ ...base, out: new Float32Array(70), outOffset: 8 })).toThrow(/out has 70 floats, need 72/);
  });
});

describe('CpuHeap.siluAdd', () => {
  for (const backend of BACKENDS) {
    it(`${backend}: SiLU(a + b) matches v / (1 + exp(−v)) over the f32 range`, () => {
      const heap = new CpuHeap(backend);
      const special = [0, -0, 1e-30, -1e-30, 1e-7, -1e-7, 0.5, -0.5, 1, -1, 5, -5, 20, -20, 87.5, -87.5, 88, -88, 88.7, -88.7, 89, -89, 100, -100, 1e4, -1e4, 3e38, -3e38];
      const rand = rng(9);
      const values = [...special, ...Array.from(randn(4096 - special.length, rand, 8))];
      const rows = 4;
      const n = 1024;
      const a = heap.alloc(rows * n);
      const b = heap.alloc(n, true);
      const y = heap.alloc(rows * n);
      heap.f32.set(values, a);
      heap.siluAdd(y, a, b, rows, n, n);
      let worst = 0;
      for (let i = 0; i < values.length; i++) {
        const v = Math.fround(values[i]);
        const want = v / (1 + Math.exp(-v));
        const got = heap.f32[y + i];
        expect(Number.isNaN(got)).toBe(false);
        worst = Math.max(worst, Math.abs(got - want) / Math.max(Math.abs(want), 1e-30));
      }
      expect(worst).toBeLessThanOrEqual(1e-6);
      // NaN propagates
      heap.f32[a] = NaN;
      heap.siluAdd(y, a, b, 1, 4, 4);
      expect(Number.isNaN(heap.f32[y])).toBe(true);
    });
  }
});
