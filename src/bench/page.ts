// `npm run bench`, browser side: the matmul peak of this adapter, then one generation per model with
// every stage timed (the engine's onStage hook waits for the GPU after each), dispatches and
// GPU→CPU readbacks counted by wrapping the WebGPU prototypes, and FLOPs counted from the config.

import { encodeMatmulPeak } from '../../kernels/matmul_peak';
import { storageBuffer } from '../gpu/buffers';
import type { Gpu } from '../gpu/device';
import type { StageEvent } from '../engine/api';
import { Engine } from '../engine/engine';
import { stageFlops, vaeDecoderFlops } from '../engine/flops';

export interface BenchOptions {
  models: { label: string; url: string }[];
  size?: number;
  steps?: number;
  samplingSteps?: number;
  matmul?: number;
}

export interface StageRow { stage: string; ms: number; flops: number; calls: number }

export interface ModelReport {
  label: string; name: string; dtype: string; size: number; steps: number; samplingSteps: number;
  stages: StageRow[]; totalMs: number; totalFlops: number; dispatches: number; readbacks: number;
  readbacksInLoop: number;
}

export interface BenchReport {
  adapter: string; software: boolean; features: string[];
  matmul: { n: number; gflops: number };
  settings: { size?: number; steps: number; samplingSteps: number };
  models: ModelReport[];
}

async function matmulPeak(gpu: Gpu, n: number, reps = 5): Promise<number> {
  const dev = gpu.device;
  const a = storageBuffer(dev, new Float32Array(n * n).fill(0.5));
  const b = storageBuffer(dev, new Float32Array(n * n).fill(0.25));
  const c = storageBuffer(dev, n * n * 4);
  const run = async (times: number) => {
    const enc = dev.createCommandEncoder();
    const pass = enc.beginComputePass();
    for (let i = 0; i < times; i++) encodeMatmulPeak(gpu, pass, { a, b, c, m: n, n, k: n });
    pass.end();
    dev.queue.submit([enc.finish()]);
    await dev.queue.onSubmittedWorkDone();
  };
  await run(1); // compile and warm up
  const t0 = performance.now();
  await run(reps);
  const s = (performance.now() - t0) / 1000;
  [a, b, c].forEach((x) => x.destroy());
  return (2 * n * n * n * reps) / s / 1e9;
}

/** Counts calls of a prototype method while `job` runs. */
async function counting<T>(proto: object, method: string, job: (count: () => number) => Promise<T>): Promise<T> {
  const p = proto as Record<string, (...a: unknown[]) => unknown>;
  const original = p[method];
  let n = 0;
  p[method] = function (this: unknown, ...a: unknown[]) {
    n++;
    return original.apply(this, a);
  };
  try {
    return await job(() => n);
  } finally {
    p[method] = original;
  }
}

async function benchModel(engine: Engine, label: string, url: string, o: Required<Omit<BenchOptions, 'models' | 'matmul' | 'size'>> & { size?: number }): Promise<ModelReport> {
  const info = await engine.load({ url });
  const cfg = info.config;
  const size = o.size ?? info.imageSize;
  const settings = { size, steps: o.steps, samplingSteps: o.samplingSteps, seed: 1 };
  await engine.generate('a red circle above a blue square', { ...settings, steps: 1 }); // warm-up: compile
  const events: StageEvent[] = [];
  let loopReadbacks = 0;
  const grid = size / (2 ** (cfg.vae.ch_mult.length - 1));
  const N = grid * grid;
  const t0 = performance.now();
  const { dispatches, readbacks } = await counting(GPUComputePassEncoder.prototype, 'dispatchWorkgroups', (dispatchCount) =>
    counting(GPUBuffer.prototype, 'mapAsync', async (mapCount) => {
      await engine.generate('a red circle above a blue square', settings, {
        onStage: (e) => events.push(e),
        onStep: (e) => { if (e.step === o.steps - 1) loopReadbacks = mapCount(); },
      });
      return { dispatches: dispatchCount(), readbacks: mapCount() };
    }));
  const totalMs = performance.now() - t0;
  const rows = new Map<string, StageRow>();
  for (const e of events) {
    const r = rows.get(e.stage) ?? { stage: e.stage, ms: 0, flops: 0, calls: 0 };
    r.ms += e.ms;
    r.calls++;
    const key = (e.stage === 'prefill' ? 'llm' : e.stage) as keyof ReturnType<typeof stageFlops>;
    if (e.shape) r.flops += stageFlops(cfg, { ...e.shape, n: N, s: o.samplingSteps })[key] ?? 0;
    if (e.stage === 'vae_decode') r.flops += vaeDecoderFlops(cfg, grid);
    rows.set(e.stage, r);
  }
  const stages = [...rows.values()];
  return { label, name: info.name, dtype: info.dtype, size, steps: o.steps, samplingSteps: o.samplingSteps, stages, totalMs,
    totalFlops: stages.reduce((s, r) => s + r.flops, 0), dispatches, readbacks, readbacksInLoop: loopReadbacks };
}

async function run(opts: BenchOptions): Promise<BenchReport> {
  const engine = await Engine.create();
  const caps = engine.gpu.caps;
  // The CPU adapter here (SwiftShader) runs a reduced setting; a real GPU the full one.
  const settings = caps.software
    ? { size: opts.size ?? 64, steps: opts.steps ?? 4, samplingSteps: opts.samplingSteps ?? 10 }
    : { size: opts.size, steps: opts.steps ?? 64, samplingSteps: opts.samplingSteps ?? 100 };
  const n = opts.matmul ?? (caps.software ? 512 : 2048);
  const gflops = await matmulPeak(engine.gpu, n);
  const models: ModelReport[] = [];
  for (const m of opts.models) models.push(await benchModel(engine, m.label, m.url, settings));
  await engine.dispose();
  return {
    adapter: [caps.adapter.vendor, caps.adapter.architecture, caps.adapter.description].filter(Boolean).join(' '),
    software: caps.software, features: [...engine.gpu.device.features] as string[],
    matmul: { n, gflops }, settings, models,
  };
}

declare global {
  interface Window { harmonBench: { run: typeof run } }
}
window.harmonBench = { run };
