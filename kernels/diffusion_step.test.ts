// The sampler's per-step kernels on their own. In the full-loop test the first step multiplies x
// by √(1/ᾱ[999]) ≈ 2·10⁴ (random weights do not predict ε ≈ x), so the O(1) noise term is below
// that test's resolution; here x and the network outputs are O(1) and every term of the update
// (CFG mix, own v, own x, noise slot and row, temperature) is visible.

import { afterAll, describe, expect, it } from 'vitest';
import { bindGroup, dispatch } from '../src/gpu/bind';
import { USAGE, storageBuffer } from '../src/gpu/buffers';
import { respacedSchedule } from './diffusion_schedule';
import { DIFFUSION_STEP_WGSL, STEP_RECORD_BYTES, callUniforms, stepRecords } from './diffusion_step';
import { ddpmStepRef } from './reference/diffusion_head';
import { silu } from './reference/linear';
import { ErrorLog, TOLERANCE, randn, relErr, rng, runPass, testGpu } from './testing';

const log = new ErrorLog('diffusion_step');
afterAll(() => log.print());

// [S, j, Mc, cfg, temperature]
const UPDATE: [number, number, number, number, number][] = [
  [10, 9, 3, 4, 1], // first step: ᾱ' = ᾱ[999]
  [10, 5, 3, 4, 0.5],
  [10, 1, 4, 1, 1],
  [10, 0, 4, 3, 1], // last step: no noise
  [100, 37, 5, 1, 0.5],
  [2, 1, 2, 2, 1],
];

describe('diffusion step kernels', () => {
  it.each(UPDATE)('update: S %i, j %i, Mc %i, cfg %f, temperature %f', async (steps, j, mc, cfg, temperature) => {
    const gpu = await testGpu();
    const dev = gpu.device;
    const rand = rng(steps * 100 + j * 10 + mc);
    const cfgOn = cfg !== 1;
    const m = cfgOn ? 2 * mc : mc;
    const sched = respacedSchedule(steps);
    const x = randn(m * 16, rand);
    const out32 = randn(m * 32, rand, 0.7);
    const noiseTable = randn((mc + 3) * (steps + 1) * 16, rand);
    const noiseRows = Uint32Array.from({ length: mc }, (_, i) => (2 * i + 1) % (mc + 3));
    const noiseAt = (i: number, k: number, c: number) => noiseTable[(noiseRows[i] * (steps + 1) + k) * 16 + c];
    const ref = ddpmStepRef(sched, j, x, out32, { m, mc, cfgOn, cfg, temperature }, noiseAt);

    const records = dev.createBuffer({ size: steps * STEP_RECORD_BYTES, usage: USAGE.UNIFORM | USAGE.COPY_DST });
    dev.queue.writeBuffer(records, 0, stepRecords(sched));
    const call = callUniforms({ m, mc, cfgOn, steps, width: 4, cfg, temperature }).buffer(dev);
    const xBuf = storageBuffer(dev, x);
    const pipeline = gpu.pipelines.get({ code: DIFFUSION_STEP_WGSL, entry: 'update' });
    const group = bindGroup(dev, pipeline, [
      call,
      { buffer: records, offset: j * STEP_RECORD_BYTES, size: 32 },
      storageBuffer(dev, noiseTable),
      storageBuffer(dev, noiseRows),
      xBuf,
      undefined, undefined, undefined,
      storageBuffer(dev, out32),
    ]);
    const got = await runPass(gpu, (pass) => dispatch(pass, pipeline, group, Math.ceil((m * 16) / 64)), xBuf, m * 16);
    expect(log.add(relErr(got, ref))).toBeLessThanOrEqual(TOLERANCE);
  });

  it('start and conditionY', async () => {
    const gpu = await testGpu();
    const dev = gpu.device;
    const rand = rng(7);
    const [steps, mc, width, j] = [5, 3, 12, 2];
    const m = 2 * mc;
    const sched = respacedSchedule(steps);
    const records = dev.createBuffer({ size: steps * STEP_RECORD_BYTES, usage: USAGE.UNIFORM | USAGE.COPY_DST });
    dev.queue.writeBuffer(records, 0, stepRecords(sched));
    const call = callUniforms({ m, mc, cfgOn: true, steps, width, cfg: 2, temperature: 1 }).buffer(dev);
    const step = { buffer: records, offset: j * STEP_RECORD_BYTES, size: 32 };

    const noiseTable = randn((mc + 1) * (steps + 1) * 16, rand);
    const noiseRows = Uint32Array.from([3, 0, 2]);
    const x = storageBuffer(dev, m * 16 * 4);
    const start = gpu.pipelines.get({ code: DIFFUSION_STEP_WGSL, entry: 'start' });
    const startGroup = bindGroup(dev, start, [call, undefined, storageBuffer(dev, noiseTable), storageBuffer(dev, noiseRows), x]);
    const gotX = await runPass(gpu, (pass) => dispatch(pass, start, startGroup, 2), x, m * 16);
    const refX = Array.from({ length: m * 16 }, (_, e) => noiseTable[noiseRows[Math.floor(e / 16) % mc] * (steps + 1) * 16 + (e % 16)]);
    expect(log.add(relErr(gotX, refX))).toBe(0);

    const temb = randn(steps * width, rand);
    const cemb = randn(m * width, rand);
    const sy = storageBuffer(dev, m * width * 4);
    const condY = gpu.pipelines.get({ code: DIFFUSION_STEP_WGSL, entry: 'conditionY' });
    const yGroup = bindGroup(dev, condY, [call, step, undefined, undefined, undefined, storageBuffer(dev, temb), storageBuffer(dev, cemb), sy]);
    const gotY = await runPass(gpu, (pass) => dispatch(pass, condY, yGroup, 2), sy, m * width);
    const refY = Array.from(cemb, (c, e) => silu(c + temb[j * width + (e % width)]));
    expect(log.add(relErr(gotY, refY))).toBeLessThanOrEqual(TOLERANCE);
  });
});
