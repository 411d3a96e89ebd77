// The engines every widget on a page shares (a module-level singleton): one per backend the widgets
// ask for (their `backend` attribute: auto, webgpu, wasm), started on first use; jobs of all of them
// queued one at a time in one queue; the model a job names loaded when it is not the one its engine
// already has. An `auto` engine also serves the backend it chose (on a software adapter, `auto` and
// `wasm` widgets share one engine and one loaded model). Another rule, "the first widget's backend
// wins", would run a widget that asked for wasm on WebGPU depending on which widget came first.
//
// Where an engine runs: in a Web Worker when the widget script comes from the page's own origin (the
// script file is its own worker: see index.ts), in the page otherwise. A page cannot start a worker
// from another origin's URL, and the CSP-free ways around that (blob: or data: workers) are exactly
// what a strict Content-Security-Policy forbids; both places offer the same EngineApi.

import type { BackendChoice, EngineApi, EngineOptions, LoadProgress, ModelInfo } from '../engine/api';
import { EngineClient } from '../engine/client';
import { Engine } from '../engine/engine';
import { fetchManifestSummary, type ManifestSummary } from '../ui/manifest-summary';
import { JobQueue } from './job-queue';

/** Beside the widget script, where `npm run build` puts them (src/app/vite-app.ts: ORT_DIR, DEFAULT_MODEL_DIR). */
const ORT_FOLDER = 'ort/';
const DEFAULT_MODEL_FOLDER = 'models/default/';

export interface LoadedModel {
  /** the package's folder URL */
  url: string;
  /** what the engine loaded: its defaults (applied by the engine to what a request leaves out) and backend */
  info: ModelInfo;
}

/** What a job is waiting for: the engine to start, its model to load, or its own work. */
export type JobPhase = 'engine' | 'load' | 'run';

export interface JobHooks {
  signal?: AbortSignal;
  onQueued?: (ahead: number) => void;
  /** 'engine' only while the job's engine is starting, 'load' only when the model must be loaded */
  onPhase?: (phase: JobPhase) => void;
  /** model loading progress, when the job has to load its model; `summary` from the manifest, when readable */
  onLoad?: (p: LoadProgress, summary: ManifestSummary | null) => void;
}

export type EngineMode = 'worker' | 'in-process';

/** The embedded default model: beside the widget script, on the script's origin. */
export function defaultModelUrl(): string {
  return new URL(DEFAULT_MODEL_FOLDER, import.meta.url).href;
}

/** One engine: started once (a failed start is forgotten, so the next job tries again), its model. */
class EngineSlot {
  private starting: Promise<EngineApi> | null = null;
  started = false;
  model: LoadedModel | null = null;
  /** where the engine runs, once started */
  mode: EngineMode | null = null;

  constructor(private readonly choice: BackendChoice, private readonly onStarted: (slot: EngineSlot, engine: EngineApi) => Promise<void>) {}

  start(): Promise<EngineApi> {
    this.starting ??= startEngine(this.choice).then(async ({ engine, mode }) => {
      this.mode = mode;
      this.started = true;
      await this.onStarted(this, engine);
      return engine;
    }, (e) => {
      this.starting = null;
      throw e;
    });
    return this.starting;
  }
}

class SharedEngine {
  private readonly slots = new Map<BackendChoice, EngineSlot>();
  private readonly queue = new JobQueue();

  /** Queues `job`; when its turn comes, starts the engine for `backend` and loads `modelUrl` if needed. */
  run<T>(modelUrl: string, backend: BackendChoice, job: (engine: EngineApi, model: LoadedModel) => Promise<T>, hooks: JobHooks = {}): Promise<T> {
    return this.queue.add(async () => {
      const slot = this.slot(backend);
      if (!slot.started) hooks.onPhase?.('engine');
      const engine = await slot.start();
      hooks.signal?.throwIfAborted();
      const model = await ensureModel(slot, engine, modelUrl, hooks);
      hooks.signal?.throwIfAborted();
      hooks.onPhase?.('run');
      return job(engine, model);
    }, hooks);
  }

  private slot(choice: BackendChoice): EngineSlot {
    let slot = this.slots.get(choice);
    if (!slot) {
      slot = new EngineSlot(choice, async (started, engine) => {
        // `auto` chose a backend: widgets that force that one share this engine
        if (choice !== 'auto') return;
        const { kind } = await engine.backend();
        if (!this.slots.has(kind)) this.slots.set(kind, started);
      });
      this.slots.set(choice, slot);
    }
    return slot;
  }
}

async function ensureModel(slot: EngineSlot, engine: EngineApi, url: string, hooks: JobHooks): Promise<LoadedModel> {
  if (slot.model?.url === url) return slot.model;
  hooks.onPhase?.('load');
  // the package's size, for the progress bar's total and ETA (its settings are the engine's business)
  const summary = await fetchManifestSummary(url);
  const info = await engine.load({ url }, { signal: hooks.signal, onProgress: (p) => hooks.onLoad?.(p, summary) });
  // a failed load leaves the engine's previous model loaded, and this record with it
  slot.model = { url, info };
  return slot.model;
}

async function startEngine(backend: BackendChoice): Promise<{ engine: EngineApi; mode: EngineMode }> {
  const opts = { wasmPaths: new URL(ORT_FOLDER, import.meta.url).href, backend };
  if (new URL(import.meta.url).origin === location.origin) {
    try {
      return { engine: await startWorker(opts), mode: 'worker' };
    } catch {
      // a CSP without worker-src for this origin, or a browser without WebGPU in workers: in-process
    }
  }
  return { engine: await Engine.create(opts), mode: 'in-process' };
}

async function startWorker(opts: EngineOptions): Promise<EngineApi> {
  const worker = new Worker(import.meta.url, { type: 'module', name: 'harmon-engine' });
  // a worker script that fails to load never answers Comlink: its error event ends the wait
  const failed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (e) => reject(new Error(e.message || 'the engine worker could not start')), { once: true });
  });
  try {
    // after a crash the client starts another worker of the same script
    let first: Worker | undefined = worker;
    const make = () => {
      const w = first ?? new Worker(import.meta.url, { type: 'module', name: 'harmon-engine' });
      first = undefined;
      return w;
    };
    return await Promise.race([EngineClient.create(opts, make), failed]);
  } catch (e) {
    worker.terminate();
    throw e;
  }
}

export const sharedEngine = new SharedEngine();
