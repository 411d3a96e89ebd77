import { afterAll, describe, expect, it } from 'vitest';
import { storageBuffer } from '../src/gpu/buffers';
import { DiffusionHead, diffusionHeadWeightShapes } from './diffusion_head';
import { diffusionSampleRef } from './reference/diffusion_head';
import type { DiffusionHeadShape, Weights } from './types';
import { ErrorLog, TOLERANCE, randn, relErr, rng, runEncoder, testGpu } from './testing';

const log = new ErrorLog('diffusion_head');
afterAll(() => log.print());

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

// [W, R, D', S, Mc, cfg, temperature]
const CASES: [number, number, number, number, number, number, number][] = [
  [8, 1, 8, 2, 3, 1, 1],
  [8, 2, 24, 5, 4, 4, 1],
  [32, 1, 24, 10, 2, 3, 0.5],
  [32, 2, 8, 5, 5, 1, 0.5],
  [8, 1, 24, 10, 6, 1.5, 1],
  [32, 2, 24, 2, 1, 2, 1],
];

describe('diffusion_head', () => {
  it.each(CASES)('W %i, R %i, D\' %i, S %i, Mc %i, cfg %f, temperature %f', async (width, depth, condDim, steps, mc, cfg, temperature) => {
    const gpu = await testGpu();
    const dev = gpu.device;
    const shape = { width, depth, condDim };
    const rand = rng(width * 7 + depth * 101 + condDim * 13 + steps * 1009 + mc);
    const weights = randomWeights(shape, rand);
    const m = cfg === 1 ? mc : 2 * mc;
    // Conditioning comes from a larger "decoder output" through a row index, noise from a larger
    // noise buffer through a slot index: both as the scheduler will bind them.
    const condTable = randn((m + 5) * condDim, rand);
    const condRows = Uint32Array.from({ length: m }, (_, r) => (r * 7 + 3) % (m + 5));
    const noiseTable = randn((mc + 4) * (steps + 1) * 16, rand);
    const noiseRows = Uint32Array.from({ length: mc }, (_, i) => (mc + 3 - i) % (mc + 4));
    const cond = new Float32Array(m * condDim);
    condRows.forEach((src, r) => cond.set(condTable.subarray(src * condDim, (src + 1) * condDim), r * condDim));
    const noise = new Float32Array(mc * (steps + 1) * 16);
    const slot = (steps + 1) * 16;
    noiseRows.forEach((src, i) => noise.set(noiseTable.subarray(src * slot, (src + 1) * slot), i * slot));
    const ref = diffusionSampleRef(weights, shape, { cond, noise, mc, steps, cfg, temperature });

    const head = new DiffusionHead(gpu, shape, weights);
    // The result lands at an offset of 2 rows in the output buffer.
    const out = storageBuffer(dev, (m + 2) * 16 * 4);
    const got = await runEncoder(
      gpu,
      (encoder) =>
        head.encode(encoder, {
          steps, cfg, temperature, rows: mc,
          cond: storageBuffer(dev, condTable),
          condRows: storageBuffer(dev, condRows),
          noise: storageBuffer(dev, noiseTable),
          noiseRows: storageBuffer(dev, noiseRows),
          out,
          outOffset: 2 * 16 * 4,
        }),
      out,
      (m + 2) * 16,
    );
    expect(log.add(relErr(got.subarray(32), ref))).toBeLessThanOrEqual(TOLERANCE);
  });

  it('reuses the head across calls with different row counts and CFG settings', async () => {
    const gpu = await testGpu();
    const dev = gpu.device;
    const shape = { width: 8, depth: 1, condDim: 8 };
    const rand = rng(42);
    const weights = randomWeights(shape, rand);
    const head = new DiffusionHead(gpu, shape, weights);
    for (const [mc, cfg, steps] of [[2, 3, 5], [7, 1, 5], [5, 2, 2]]) {
      const m = cfg === 1 ? mc : 2 * mc;
      const cond = randn(m * 8, rand);
      const noise = randn(mc * (steps + 1) * 16, rand);
      const ref = diffusionSampleRef(weights, shape, { cond, noise, mc, steps, cfg, temperature: 1 });
      const out = storageBuffer(dev, m * 64);
      const got = await runEncoder(
        gpu,
        (encoder) =>
          head.encode(encoder, {
            steps, cfg, temperature: 1, rows: mc,
            cond: storageBuffer(dev, cond),
            condRows: storageBuffer(dev, Uint32Array.from({ length: m }, (_, r) => r)),
            noise: storageBuffer(dev, noise),
            noiseRows: storageBuffer(dev, Uint32Array.from({ length: mc }, (_, i) => i)),
            out,
          }),
        out,
        m * 16,
      );
      expect(log.add(relErr(got, ref))).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it('names missing and unexpected weights', async () => {
    const gpu = await testGpu();
    const shape = { width: 8, depth: 1, condDim: 8 };
    const weights = randomWeights(shape, rng(1));
    delete weights['res_blocks.0.mlp.2.bias'];
    weights['res_blocks.1.mlp.0.weight'] = new Float32Array(64);
    expect(() => new DiffusionHead(gpu, shape, weights)).toThrow(
      /missing \[res_blocks\.0\.mlp\.2\.bias\], unexpected \[res_blocks\.1\.mlp\.0\.weight\]/,
    );
  });
});
