// The one engine every widget on a page shares (a module-level singleton): started on first use,
// jobs queued one at a time, and the model a job names loaded when it is not the one already loaded.
//
// Where it runs: in a Web Worker when the widget script comes from the page's own origin (the script
// file is its own worker: see index.ts), in the page otherwise. A page cannot start a worker from
// another origin's URL, and the CSP-free ways around that (blob: or data: workers) are exactly what
// a strict Content-Security-Policy forbids; both places offer the same EngineApi.

import type { EngineApi, LoadProgress, ModelInfo } from '../engine/api';
import { EngineClient } from '../engine/client';
import { Engine } from '../engine/engine';
import { fetchManifestSummary, type ManifestSummary } from '../app/manifest-summary';
import type { ModelDefaults } from '../app/state';
import { JobQueue } from './job-queue';

/** Beside the widget script, where `npm run build` puts them (src/app/vite-app.ts: ORT_DIR, DEFAULT_MODEL_DIR). */
const ORT_FOLDER = 'ort/';
const DEFAULT_MODEL_FOLDER = 'models/default/';

export interface LoadedModel {
  /** the package's folder URL */
  url: string;
  info: ModelInfo;
  /** the manifest's generation defaults ({} when the manifest could not be read separately) */
  defaults: ModelDefaults;
}

/** What a job is waiting for: the engine to start, its model to load, or its own work. */
export type JobPhase = 'engine' | 'load' | 'run';

export interface JobHooks {
  signal?: AbortSignal;
  onQueued?: (ahead: number) => void;
  /** 'engine' only while the page's engine is starting, 'load' only when the model must be loaded */
  onPhase?: (phase: JobPhase) => void;
  /** model loading progress, when the job has to load its model; `summary` from the manifest, when readable */
  onLoad?: (p: LoadProgress, summary: ManifestSummary | null) => void;
}

export type EngineMode = 'worker' | 'in-process';

/** The embedded default model: beside the widget script, on the script's origin. */
export function defaultModelUrl(): string {
  return new URL(DEFAULT_MODEL_FOLDER, import.meta.url).href;
}

class SharedEngine {
  private starting: Promise<EngineApi> | null = null;
  private started = false;
  private model: LoadedModel | null = null;
  private readonly queue = new JobQueue();
  /** where the engine runs, once started */
  mode: EngineMode | null = null;

  /** Queues `job`; when its turn comes, starts the engine and loads `modelUrl` if needed. */
  run<T>(modelUrl: string, job: (engine: EngineApi, model: LoadedModel) => Promise<T>, hooks: JobHooks = {}): Promise<T> {
    return this.queue.add(async () => {
      if (!this.started) hooks.onPhase?.('engine');
      const engine = await this.start();
      hooks.signal?.throwIfAborted();
      const model = await this.ensureModel(engine, modelUrl, hooks);
      hooks.signal?.throwIfAborted();
      hooks.onPhase?.('run');
      return job(engine, model);
    }, hooks);
  }

  private start(): Promise<EngineApi> {
    // a failed start (no WebGPU, no adapter) is not kept: the next job tries again and says why
    this.starting ??= startEngine().then(({ engine, mode }) => {
      this.mode = mode;
      this.started = true;
      return engine;
    }, (e) => {
      this.starting = null;
      throw e;
    });
    return this.starting;
  }

  private async ensureModel(engine: EngineApi, url: string, hooks: JobHooks): Promise<LoadedModel> {
    if (this.model?.url === url) return this.model;
    hooks.onPhase?.('load');
    const summary = await fetchManifestSummary(url);
    const info = await engine.load({ url }, { signal: hooks.signal, onProgress: (p) => hooks.onLoad?.(p, summary) });
    // a failed load leaves the engine's previous model loaded, and this record with it
    this.model = { url, info, defaults: summary?.defaults ?? {} };
    return this.model;
  }
}

async function startEngine(): Promise<{ engine: EngineApi; mode: EngineMode }> {
  const wasmPaths = new URL(ORT_FOLDER, import.meta.url).href;
  if (new URL(import.meta.url).origin === location.origin) {
    try {
      return { engine: await startWorker(wasmPaths), mode: 'worker' };
    } catch {
      // a CSP without worker-src for this origin, or a browser without WebGPU in workers: in-process
    }
  }
  return { engine: await Engine.create({ wasmPaths }), mode: 'in-process' };
}

async function startWorker(wasmPaths: string): Promise<EngineApi> {
  const worker = new Worker(import.meta.url, { type: 'module', name: 'harmon-engine' });
  // a worker script that fails to load never answers Comlink: its error event ends the wait
  const failed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (e) => reject(new Error(e.message || 'the engine worker could not start')), { once: true });
  });
  try {
    return await Promise.race([EngineClient.create({ wasmPaths }, worker), failed]);
  } catch (e) {
    worker.terminate();
    throw e;
  }
}

export const sharedEngine = new SharedEngine();
