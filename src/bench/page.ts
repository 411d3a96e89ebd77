// `npm run bench`, browser side. Per backend: a fresh engine on it, that backend's matmul peak
// (webgpu: kernels/matmul_peak on the adapter, best of several runs; wasm: a GEMM graph through
// onnxruntime-web's WASM provider with the engine's thread count, best of several runs), then per
// model: the first image after load and the next one timed as a user gets them (engine ms; the
// first also pays one-time costs: shader compiles, buffer pools, JIT), one with every stage timed (the engine's
// onStage hook waits for the backend after each), FLOPs counted from the config, GPU dispatches and
// readbacks counted by wrapping the WebGPU prototypes, and an answer of up to 8 tokens.

import { encodeMatmulPeak } from '../../kernels/matmul_peak';
import { storageBuffer } from '../gpu/buffers';
import { Gpu } from '../gpu/device';
import type { BackendChoice, BackendInfo, GenerateOptions, StageEvent } from '../engine/api';
import { Engine } from '../engine/engine';
import { stageFlops, vaeDecoderFlops } from '../engine/flops';
import { vaeStride } from '../engine/limits';
import { samplingLabel } from './table';
import { ort } from '../engine/ort';
import { matmulModel } from './matmul_onnx';

export interface Settings { size?: number; steps?: number; samplingSteps?: number; preset?: 'default' | 'fast' }

export interface BenchModel {
  label: string;
  url: string;
  /** what to run; a field left out takes the package's default (the engine applies it) */
  settings: Settings;
  /** settings for a CPU path (wasm or a software adapter), where the package's own would take long */
  cpuSettings?: Settings;
  /** left out on webgpu over a software adapter, for this reason (it would take too long there) */
  skipOnSoftwareGpu?: string;
}

export interface BenchOptions {
  backends: BackendChoice[];
  models: BenchModel[];
  /** matmul side (default by backend) */
  matmul?: number;
  /** webgpu: run the kernels LLM path before the onnx one */
  kernelsFirst?: boolean;
}

export interface StageRow {
  stage: string; ms: number; flops: number; calls: number;
  /** measured while the stage ran (webgpu): onnxruntime session runs, compute dispatches (onnxruntime's
   * and ours), bytes through copyBufferToBuffer and queue.writeBuffer */
  ortRuns: number; dispatches: number; copyBytes: number;
  /** the LLM stages: the engine's own count (StageEvent.llm), summed */
  llm?: NonNullable<StageEvent['llm']>;
}

export interface ModelReport {
  label: string;
  /** the LLM path the engine ran (webgpu runs the model once per path) */
  llmPath?: 'onnx' | 'kernels'; name: string; dtype: string; size: number; steps: number; samplingSteps: number;
  /** 'fast': the sampling steps are annealed per MAR step (samplingSteps is then the package's, unused) */
  preset?: 'default' | 'fast';
  /** engine time of one image, no profiling hooks: the first after load, and the next */
  firstMs: number;
  engineMs: number;
  /** one image with every stage waited for and timed */
  stages: StageRow[]; profiledMs: number; totalFlops: number;
  /** WebGPU work per image (0 on wasm) */
  dispatches: number; readbacks: number; readbacksInLoop: number;
  answer: { tokens: number; ms: number; text: string };
}

export interface Peak { gflops: number; n: number; what: string }

export interface BackendReport {
  asked: BackendChoice;
  backend?: BackendInfo;
  peak?: Peak;
  models: ModelReport[];
  /** models left out, with why */
  skipped: string[];
  /** why this backend could not run (no WebGPU, …) */
  error?: string;
}

export interface BenchReport { backends: BackendReport[] }

const PROMPT = 'a red circle above a blue square';
const QUESTION = 'Describe the image.';
const ANSWER_TOKENS = 8;
/** timed runs of each peak measurement: the best counts (the machine is shared) */
const PEAK_TRIALS = 10;

async function webgpuPeak(n: number): Promise<Peak> {
  const gpu = await Gpu.fromNavigator();
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
  try {
    await run(1); // compile and warm up
    let best = Infinity;
    for (let t = 0; t < PEAK_TRIALS; t++) {
      const t0 = performance.now();
      await run(3);
      best = Math.min(best, (performance.now() - t0) / 3);
    }
    return { gflops: (2 * n ** 3) / best / 1e6, n, what: `kernels/matmul_peak (WGSL), best of ${PEAK_TRIALS}` };
  } finally {
    dev.destroy();
  }
}

/** After Engine.create on wasm: ORT's settings (threads, runtime files) are the engine's. */
async function wasmPeak(n: number, threads: number): Promise<Peak> {
  const b = Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const session = await ort.InferenceSession.create(matmulModel(n, n, n, b), { executionProviders: ['wasm'] });
  const a = new ort.Tensor('float32', Float32Array.from({ length: n * n }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5), [n, n]);
  try {
    (await session.run({ A: a })).C.dispose(); // warm up (pre-packing, thread pool start)
    let best = Infinity;
    for (let t = 0; t < PEAK_TRIALS; t++) {
      const t0 = performance.now();
      const { C } = await session.run({ A: a });
      best = Math.min(best, performance.now() - t0);
      C.dispose();
    }
    return { gflops: (2 * n ** 3) / best / 1e6, n, what: `MatMul graph, onnxruntime-web WASM, ${threads} thread${threads === 1 ? '' : 's'}, best of ${PEAK_TRIALS}` };
  } finally {
    await session.release();
  }
}

/** Counts calls of a prototype method while `job` runs (nothing to count where it does not exist),
 * or sums `weigh` of their arguments. */
async function counting<T>(proto: object | undefined, method: string, job: (count: () => number) => Promise<T>,
  weigh: (a: unknown[]) => number = () => 1): Promise<T> {
  if (!proto) return job(() => 0);
  const p = proto as Record<string, (...a: unknown[]) => unknown>;
  const original = p[method];
  let n = 0;
  p[method] = function (this: unknown, ...a: unknown[]) {
    n += weigh(a);
    return original.apply(this, a);
  };
  try {
    return await job(() => n);
  } finally {
    p[method] = original;
  }
}

/** A progress line on the bench's stderr (run.ts exposes harmonBenchLog): a run takes minutes. */
function note(line: string): void {
  void window.harmonBenchLog?.(line);
}

const proto = (name: string): object | undefined => (globalThis as unknown as Record<string, { prototype?: object } | undefined>)[name]?.prototype;

async function benchModel(engine: Engine, m: BenchModel, cpu: boolean): Promise<ModelReport> {
  const info = await engine.load({ url: m.url });
  const cfg = info.config;
  // the fast preset picks S per MAR step itself: a CPU path's reduced S would contradict it
  const cpuSettings = m.settings.preset === 'fast' ? { ...m.cpuSettings, samplingSteps: undefined } : m.cpuSettings;
  const given = cpu && cpuSettings ? { ...cpuSettings, ...m.settings } : m.settings;
  // only what is given goes to the engine; FLOPs need the values it runs, its defaults for the rest
  const run = { size: given.size ?? info.defaults.size, steps: given.steps ?? info.defaults.steps,
    samplingSteps: given.samplingSteps ?? info.defaults.samplingSteps, preset: given.preset };
  const options: GenerateOptions = { ...given, seed: 1 };
  note(`  ${m.label}: loaded; ${run.size}², ${run.steps} MAR steps, ${samplingLabel(run)}`);
  const first = await engine.generate(PROMPT, options);
  const plain = await engine.generate(PROMPT, options);
  note(`  ${m.label}: images in ${(first.ms / 1000).toFixed(2)} s, then ${(plain.ms / 1000).toFixed(2)} s; timing each stage`);

  const events: { e: StageEvent; ortRuns: number; dispatches: number; copyBytes: number }[] = [];
  let loopReadbacks = 0;
  const grid = run.size / vaeStride(cfg);
  const N = grid * grid;
  const t0 = performance.now();
  // bytes of copyBufferToBuffer(src, srcOffset, dst, dstOffset, size) and writeBuffer(buffer, offset, data, dataOffset?, size?)
  const copied = (a: unknown[]) => (typeof a[4] === 'number' ? a[4] : 0);
  const written = (a: unknown[]) => {
    const d = a[2] as ArrayBufferView | ArrayBuffer;
    const bytesPer = ArrayBuffer.isView(d) && 'BYTES_PER_ELEMENT' in d ? (d as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT : 1;
    return typeof a[4] === 'number' ? a[4] * bytesPer : d.byteLength - (typeof a[3] === 'number' ? a[3] * bytesPer : 0);
  };
  const { dispatches, readbacks } = await counting(proto('GPUComputePassEncoder'), 'dispatchWorkgroups', (dispatchCount) =>
    counting(proto('GPUBuffer'), 'mapAsync', (mapCount) =>
      counting((ort.InferenceSession as unknown as { prototype: object }).prototype, 'run', (runCount) =>
        counting(proto('GPUCommandEncoder'), 'copyBufferToBuffer', (copyCount) =>
          counting(proto('GPUQueue'), 'writeBuffer', async (writeCount) => {
            let last = { ortRuns: 0, dispatches: 0, copyBytes: 0 };
            await engine.generate(PROMPT, options, {
              onStage: (e) => {
                const now = { ortRuns: runCount(), dispatches: dispatchCount(), copyBytes: copyCount() + writeCount() };
                events.push({ e, ortRuns: now.ortRuns - last.ortRuns, dispatches: now.dispatches - last.dispatches,
                  copyBytes: now.copyBytes - last.copyBytes });
                last = now;
              },
              onStep: (e) => { if (e.step === e.steps - 1) loopReadbacks = mapCount(); },
            });
            return { dispatches: dispatchCount(), readbacks: mapCount() };
          }, written), copied))));
  const profiledMs = performance.now() - t0;
  const rows = new Map<string, StageRow>();
  for (const { e, ...measured } of events) {
    const r = rows.get(e.stage) ?? { stage: e.stage, ms: 0, flops: 0, calls: 0, ortRuns: 0, dispatches: 0, copyBytes: 0 };
    r.ms += e.ms;
    r.calls++;
    r.ortRuns += measured.ortRuns;
    r.dispatches += measured.dispatches;
    r.copyBytes += measured.copyBytes;
    if (e.llm) {
      const l = r.llm ?? { path: e.llm.path, ortRuns: 0, dispatches: 0, gpuCopyBytes: 0, uploadBytes: 0 };
      l.ortRuns += e.llm.ortRuns;
      l.dispatches += e.llm.dispatches;
      l.gpuCopyBytes += e.llm.gpuCopyBytes;
      l.uploadBytes += e.llm.uploadBytes;
      r.llm = l;
    }
    const key = (e.stage === 'prefill' ? 'llm' : e.stage) as keyof ReturnType<typeof stageFlops>;
    // the step's own S_k when the engine reports it (it varies with the fast preset)
    if (e.shape) r.flops += stageFlops(cfg, { ...e.shape, n: N, s: e.shape.s ?? run.samplingSteps })[key] ?? 0;
    if (e.stage === 'vae_decode') r.flops += vaeDecoderFlops(cfg, grid);
    rows.set(e.stage, r);
  }
  const stages = [...rows.values()];

  // an answer about the image just drawn: one short warm-up turn, then the timed one
  const image = plain.images[0];
  const warm = await engine.ask(image, QUESTION, { maxNewTokens: 1 });
  engine.endConversation(warm.conversation);
  const answer = await engine.ask(image, QUESTION, { maxNewTokens: ANSWER_TOKENS });
  engine.endConversation(answer.conversation);

  return {
    label: m.label, llmPath: stages.find((r) => r.llm)?.llm?.path, name: info.name, dtype: info.dtype, ...run, firstMs: first.ms, engineMs: plain.ms, stages, profiledMs,
    totalFlops: stages.reduce((s, r) => s + r.flops, 0), dispatches, readbacks, readbacksInLoop: loopReadbacks,
    answer: { tokens: answer.tokenIds.length, ms: answer.ms, text: answer.text },
  };
}

async function benchBackend(asked: BackendChoice, opts: BenchOptions): Promise<BackendReport> {
  let engine: Engine;
  try {
    engine = await Engine.create({ backend: asked });
  } catch (e) {
    return { asked, models: [], skipped: [], error: (e as Error).message };
  }
  try {
    const backend = await engine.backend();
    const cpu = backend.kind === 'wasm' || backend.software;
    const n = opts.matmul ?? (cpu ? 512 : 2048);
    note(`${asked}: backend ${backend.kind}; measuring the matmul peak`);
    const peak = backend.kind === 'wasm' ? await wasmPeak(n, backend.threads) : await webgpuPeak(n);
    const models: ModelReport[] = [];
    const skipped: string[] = [];
    // webgpu: every model on both LLM paths (llm.ts), one engine each, on the same adapter in this run
    // (HARMON_BENCH_LLM_ORDER=kernels-first swaps the order, to see that it does not decide the ratio)
    const paths = backend.kind !== 'webgpu' ? ([undefined] as const)
      : opts.kernelsFirst ? (['kernels', 'onnx'] as const) : (['onnx', 'kernels'] as const);
    for (const llm of paths) {
      const e = llm ? await Engine.create({ backend: asked, llm }) : engine;
      try {
        for (const m of opts.models) {
          if (backend.kind === 'webgpu' && backend.software && m.skipOnSoftwareGpu) {
            if (llm !== 'kernels') skipped.push(`${m.label}: ${m.skipOnSoftwareGpu}`);
            continue;
          }
          if (llm) note(`${asked}: LLM path ${llm}`);
          try {
            models.push(await benchModel(e, m, cpu));
          } catch (err) {
            if (!llm) throw err;
            skipped.push(`${m.label} (llm: ${llm}): ${(err as Error).message}`);
          }
        }
      } finally {
        if (e !== engine) await e.dispose();
      }
    }
    return { asked, backend, peak, models, skipped };
  } finally {
    await engine.dispose();
  }
}

async function run(opts: BenchOptions): Promise<BenchReport> {
  const backends: BackendReport[] = [];
  for (const b of opts.backends) backends.push(await benchBackend(b, opts));
  return { backends };
}

declare global {
  interface Window {
    harmonBench: { run: typeof run };
    harmonBenchLog?: (line: string) => unknown;
  }
}
window.harmonBench = { run };
