// `npm run bench`'s printout: per backend, its matmul peak, then per model the engine time of one
// image, the answer time, and a table of the stages per MAR step with their effective FLOP/s as a
// fraction of that backend's peak.

import { backendLine } from '../cli/progress';
import type { BackendReport, BenchReport, ModelReport, StageRow } from './page';

/** How a run chose its diffusion sampling steps, for the log and the report. */
export function samplingLabel(m: { samplingSteps: number; preset?: string }): string {
  return m.preset === 'fast' ? 'fast preset (50 → 5 sampling steps over the MAR steps)' : `${m.samplingSteps} sampling steps`;
}

/** Stages that run once per image, not once per MAR step. */
const ONCE = new Set(['prefill', 'vae_decode']);

const col = (s: string, w: number) => s.padStart(w);
const num = (x: number, d: number, w: number) => col(Number.isFinite(x) ? x.toFixed(d) : '—', w);
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function stageLine(r: StageRow, m: ModelReport, peak: number, total: number): string {
  const per = ONCE.has(r.stage) ? 1 : m.steps;
  const gflops = r.flops / r.ms / 1e6;
  return `  ${r.stage.padEnd(15)}${num(r.ms / per, 1, 10)}${num(r.flops / per / 1e9, 4, 12)}${num(gflops, 2, 10)}` +
    `${num((100 * gflops) / peak, 1, 10)}%${num((100 * r.ms) / total, 1, 9)}%${per === 1 ? '  (once per image)' : ''}`;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** The LLM's cost on webgpu, per MAR step: time, onnxruntime runs, compute dispatches and bytes
 * through copies and uploads as measured, and the engine's own count of what the run copied. */
export function llmLines(m: ModelReport): string[] {
  const step = m.stages.find((r) => r.stage === 'llm');
  const prefill = m.stages.find((r) => r.stage === 'prefill');
  if (!step || step.calls === 0) return [];
  const per = (x: number) => (x / step.calls).toFixed(1);
  const lines = [`  LLM path ${m.llmPath ?? '?'}: ${per(step.ms)} ms per MAR step (prefill ${prefill ? prefill.ms.toFixed(1) : '—'} ms once); per step ` +
    `${per(step.ortRuns)} onnxruntime runs, ${per(step.dispatches)} compute dispatches, ${kib(step.copyBytes / step.calls)} copied/uploaded (measured)`];
  if (step.llm) {
    lines.push(`    engine's count per step: ${per(step.llm.ortRuns)} onnxruntime runs, ${per(step.llm.dispatches)} of our dispatches, ` +
      `${kib(step.llm.gpuCopyBytes / step.calls)} copied on the GPU (KV cache + activations), ${kib(step.llm.uploadBytes / step.calls)} uploaded from the host`);
  }
  return lines;
}

/** Both LLM paths of one model on one adapter: the new one's time per step against the old one's. */
export function llmComparison(models: ModelReport[]): string[] {
  const out: string[] = [];
  for (const k of models.filter((m) => m.llmPath === 'kernels')) {
    const o = models.find((m) => m.llmPath === 'onnx' && m.label === k.label);
    const ms = (m: ModelReport) => { const r = m.stages.find((s) => s.stage === 'llm'); return r && r.calls ? r.ms / r.calls : NaN; };
    if (!o) continue;
    out.push('', `${k.label}: LLM per MAR step, kernels ${ms(k).toFixed(1)} ms vs onnx ${ms(o).toFixed(1)} ms (×${(ms(o) / ms(k)).toFixed(2)}); ` +
      `one image ${secs(k.engineMs)} vs ${secs(o.engineMs)}; answer ${secs(k.answer.ms)} vs ${secs(o.answer.ms)}`);
  }
  return out;
}

export function modelLines(m: ModelReport, peak: number, gpuCounts: boolean): string[] {
  const total = m.stages.reduce((s, r) => s + r.ms, 0);
  const eff = m.totalFlops / m.profiledMs / 1e6;
  const lines = [
    '',
    `${m.label}${m.llmPath ? ` [llm: ${m.llmPath}]` : ''}: ${m.name} (${m.dtype}), ${m.size}², ${m.steps} MAR step${m.steps === 1 ? '' : 's'}, ${samplingLabel(m)}`,
    `  one image: ${secs(m.engineMs)} engine time (no profiling hooks; the first after load: ${secs(m.firstMs)})`,
    `  answer: ${m.answer.tokens} token${m.answer.tokens === 1 ? '' : 's'} in ${secs(m.answer.ms)}` +
      `${m.answer.tokens > 0 ? ` (${(m.answer.ms / m.answer.tokens).toFixed(0)} ms/token, image encode and prefill included)` : ''}: ${JSON.stringify(m.answer.text)}`,
    `  ${'stage'.padEnd(15)}${col('ms/step', 10)}${col('GFLOP/step', 12)}${col('GFLOP/s', 10)}${col('of peak', 11)}${col('of time', 10)}`,
    ...m.stages.map((r) => stageLine(r, m, peak, total)),
    `  whole image, every stage timed: ${secs(m.profiledMs)}, ${(m.totalFlops / 1e9).toFixed(3)} GFLOP → ` +
      `${eff.toFixed(2)} GFLOP/s = ${((100 * eff) / peak).toFixed(1)}% of the matmul peak`,
  ];
  if (gpuCounts) {
    lines.push(`  per image: ${m.dispatches} compute dispatches, ${m.readbacks} GPU→CPU readbacks (${m.readbacksInLoop} inside the loop)`);
    lines.push(...llmLines(m));
  }
  return lines;
}

export function backendLines(b: BackendReport): string[] {
  if (!b.backend || !b.peak) return ['', `--backend ${b.asked}: could not run: ${b.error ?? 'no backend'}`];
  return [
    '',
    `== --backend ${b.asked} → ${backendLine(b.backend)}`,
    `matmul peak: ${b.peak.gflops.toFixed(2)} GFLOP/s (f32 ${b.peak.n}³, ${b.peak.what})`,
    ...b.models.flatMap((m) => modelLines(m, b.peak!.gflops, b.backend!.kind === 'webgpu')),
    ...llmComparison(b.models),
    ...b.skipped.map((s) => `\n${s}`),
  ];
}

export function reportLines(r: BenchReport): string[] {
  return r.backends.flatMap(backendLines);
}
