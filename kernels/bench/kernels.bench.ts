// `npm run bench:kernels`: FLOP/s of this adapter's matmul (matmul_peak) and of the fused
// diffusion head, in Dawn-in-Node. Each run is one submit + wait (the per-submit overhead is
// included; it matters at the small sizes). Runs as vitest tests so it shares the GPU setup of
// vite.config.ts; only `HARMON_BENCH=1` includes this file.

import { afterAll, it } from 'vitest';
import { storageBuffer } from '../../src/gpu/buffers';
import { DiffusionHead, diffusionHeadWeightShapes } from '../diffusion_head';
import { encodeMatmulPeak } from '../matmul_peak';
import { randn, rng, testGpu } from '../testing';

const rand = rng(1);
const lines: string[] = [];
afterAll(() => console.log(lines.join('\n')));

/** Mean ms of `runs` submissions after one warm-up (which also compiles the pipelines). */
async function time(dev: GPUDevice, runs: number, encode: (encoder: GPUCommandEncoder) => void): Promise<number> {
  const once = async () => {
    const encoder = dev.createCommandEncoder();
    encode(encoder);
    dev.queue.submit([encoder.finish()]);
    await dev.queue.onSubmittedWorkDone();
  };
  await once();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await once();
  return (performance.now() - t0) / runs;
}

const report = (label: string, flop: number, ms: number) =>
  lines.push(`${label.padEnd(44)} ${(flop / ms / 1e6).toFixed(2).padStart(8)} GFLOP/s  ${ms.toFixed(1).padStart(8)} ms`);

it('matmul_peak', async () => {
  const gpu = await testGpu();
  const dev = gpu.device;
  lines.push(`adapter: ${gpu.caps.adapter.description || gpu.caps.adapter.architecture}`);
  for (const n of [128, 256, 512, 1024]) {
    const a = storageBuffer(dev, randn(n * n, rand));
    const b = storageBuffer(dev, randn(n * n, rand));
    const c = storageBuffer(dev, n * n * 4);
    const ms = await time(dev, 3, (encoder) => {
      const pass = encoder.beginComputePass();
      encodeMatmulPeak(gpu, pass, { a, b, c, m: n, n, k: n });
      pass.end();
    });
    report(`matmul_peak ${n}×${n}×${n}`, 2 * n ** 3, ms);
  }
}, 300_000);

it('diffusion_head', async () => {
  const gpu = await testGpu();
  const dev = gpu.device;
  // A small head (W 256, R 3, D' 128) sampling 16 tokens with CFG (32 rows), 10 steps.
  const shape = { width: 256, depth: 3, condDim: 128 };
  const [mc, steps] = [16, 10];
  const m = 2 * mc;
  const weights: Record<string, Float32Array> = {};
  for (const [name, dims] of diffusionHeadWeightShapes(shape)) {
    weights[name] = randn(dims.reduce((x, y) => x * y, 1), rand, 0.05);
  }
  const head = new DiffusionHead(gpu, shape, weights);
  const { width: W, depth: R, condDim } = shape;
  const flop = 2 * m * (steps * ((3 * R + 2) * W * W + 2 * R * W * W + 16 * W + 32 * W) + condDim * W);
  const args = {
    steps, cfg: 3, temperature: 1, rows: mc,
    cond: storageBuffer(dev, randn(m * condDim, rand)),
    condRows: storageBuffer(dev, Uint32Array.from({ length: m }, (_, i) => i)),
    noise: storageBuffer(dev, randn(mc * (steps + 1) * 16, rand)),
    noiseRows: storageBuffer(dev, Uint32Array.from({ length: mc }, (_, i) => i)),
    out: storageBuffer(dev, m * 64),
  };
  const ms = await time(dev, 3, (encoder) => head.encode(encoder, args));
  report(`diffusion_head W ${W} R ${R}, ${m} rows × ${steps} steps`, flop, ms);
  lines.push(`  = ${(ms / steps).toFixed(2)} ms per step (${3 * R + 6} dispatches)`);
}, 300_000);
