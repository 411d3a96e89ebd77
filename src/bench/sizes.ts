// `npm run bench -- --preset 0.5b|1.5b`, browser side: one package at the released size through the
// real engine, in a fresh page (so that onnxruntime-web's WebAssembly heap, which never shrinks, is
// this run's alone): load, one image, one short answer, and what the engine holds after each
// (stats(): GPU bytes by owner and their peak, the wasm heap, the KV caches). A package the backend
// cannot hold is refused from its manifest: the report says by which limit and how many bytes were
// downloaded before the refusal.

import type { BackendChoice, BackendInfo, EngineStats, InputImage, LoadProgress } from '../engine/api';
import { Engine } from '../engine/engine';

export interface SizesJob {
  label: string;
  url: string;
  backend: BackendChoice;
  /** the image side (0: no image; the question is then about a grey test picture) */
  size: number;
  steps: number;
  samplingSteps: number;
  /** answer tokens (0: no question) */
  answerTokens: number;
  /** the question's image side (default: the package's ask size) */
  askSize?: number;
}

export interface SizesReport {
  label: string;
  backend?: BackendInfo;
  /** the engine's refusal or failure, and the bytes downloaded before it */
  error?: { message: string; downloadedBytes: number; ms: number };
  name?: string; dtype?: string;
  /** the package's bytes (every file: what the page downloads and holds) */
  packageBytes?: number;
  loadMs?: number; imageMs?: number; answerMs?: number; answerTokens?: number; answerText?: string; askSize?: number;
  afterLoad?: EngineStats; afterImage?: EngineStats; afterAnswer?: EngineStats;
}

const PROMPT = 'a red circle above a blue square';
const QUESTION = 'Describe the image.';

function note(line: string): void {
  void window.harmonBenchLog?.(line);
}

async function run(job: SizesJob): Promise<SizesReport> {
  const report: SizesReport = { label: job.label };
  const t0 = performance.now();
  let downloaded = 0;
  const done = new Map<string, number>();
  const onProgress = (p: LoadProgress) => {
    if (p.phase === 'download') {
      done.set(p.file, p.loaded);
      downloaded = [...done.values()].reduce((a, b) => a + b, 0);
    }
  };
  let engine: Engine | undefined;
  try {
    engine = await Engine.create({ backend: job.backend });
    report.backend = engine.backend();
    note(`  ${job.label}: loading on ${report.backend.kind}`);
    const info = await engine.load({ url: job.url }, { onProgress });
    report.loadMs = performance.now() - t0;
    Object.assign(report, { name: info.name, dtype: info.dtype, packageBytes: info.bytes });
    report.afterLoad = await engine.stats();
    note(`  ${job.label}: loaded in ${(report.loadMs / 1000).toFixed(1)} s` +
      (job.size ? `; ${job.size}², ${job.steps} MAR step(s), ${job.samplingSteps} sampling step(s)` : ''));
    let image: InputImage = { width: 64, height: 48, rgba: new Uint8ClampedArray(64 * 48 * 4).fill(160) };
    if (job.size > 0) {
      const g = await engine.generate(PROMPT, { size: job.size, steps: job.steps, samplingSteps: job.samplingSteps, seed: 1 });
      report.imageMs = g.ms;
      report.afterImage = await engine.stats();
      image = g.images[0];
      note(`  ${job.label}: image in ${(g.ms / 1000).toFixed(1)} s`);
    }
    if (job.answerTokens > 0) {
      note(`  ${job.label}: answering`);
      const a = await engine.ask(image, QUESTION, { maxNewTokens: job.answerTokens, size: job.askSize });
      Object.assign(report, { answerMs: a.ms, answerTokens: a.tokenIds.length, answerText: a.text, askSize: job.askSize ?? info.ask.size });
      // the conversation stays open: its KV cache is part of what the engine holds
      report.afterAnswer = await engine.stats();
      engine.endConversation(a.conversation);
    }
  } catch (e) {
    report.error = { message: (e as Error).message, downloadedBytes: downloaded, ms: performance.now() - t0 };
  } finally {
    await engine?.dispose().catch(() => {});
  }
  return report;
}

declare global {
  interface Window {
    harmonSizes: { run: typeof run };
  }
}
window.harmonSizes = { run };
