// The page's side of the worker: the same EngineApi as the in-process Engine. Hooks become Comlink
// proxies; an AbortSignal becomes a cancel message for its request.
//
// A worker that dies (an uncaught error in it, or `terminate()` from the page) would leave Comlink's
// calls waiting forever: every request still pending is rejected with an EngineError instead, and
// the next call starts a new worker and loads the model that was loaded again.

import * as Comlink from 'comlink';
import type {
  AskHooks, AskOptions, BackendInfo, EngineApi, EngineStats, GenerateHooks, GenerateOptions, InputImage, LoadHooks, ModelInfo,
  PackageSource,
} from './api';
import type { EngineOptions } from './api';
import { BARRIER, BARRIER_ECHO, type BarrierMessage } from './barrier';
import { EngineError } from './errors';
import { resolveWasmPaths } from './ort-paths';
import type { WorkerApi } from './worker';

/** A module worker built from worker.ts. */
function defaultWorker(): Worker {
  return new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'harmon-engine' });
}

interface Live {
  worker: Worker;
  remote: Comlink.Remote<WorkerApi>;
  /** rejects (never resolves) when this worker dies */
  died: Promise<never>;
  kill: (why: string) => void;
}

export class EngineClient implements EngineApi {
  private nextId = 1;
  private live?: Live;
  /** the package loaded last: a new worker loads it again */
  private loaded?: PackageSource;
  private pendingCount = 0;
  private restarting?: Promise<Live>;

  private constructor(private readonly opts: EngineOptions, private readonly makeWorker: () => Worker) {}

  /** Starts the engine worker and acquires the GPU in it. `worker`: the worker (or how to make one:
   * a restart after a worker died needs a new one) instead of worker.ts's. */
  static async create(opts: EngineOptions = {}, worker?: Worker | (() => Worker)): Promise<EngineClient> {
    let first = worker instanceof Worker ? worker : undefined;
    const make = typeof worker === 'function' ? worker : defaultWorker;
    const client = new EngineClient(opts, () => {
      const w = first ?? make();
      first = undefined;
      return w;
    });
    client.live = await client.start();
    return client;
  }

  private async start(): Promise<Live> {
    const worker = this.makeWorker();
    const remote = Comlink.wrap<WorkerApi>(worker);
    let kill!: (why: string) => void;
    const died = new Promise<never>((_, reject) => {
      kill = (why) => reject(new EngineError(`the engine worker stopped (${why}); the next request starts a new one`));
    });
    died.catch(() => {}); // observed by the requests racing it; no unhandled rejection when none is
    const live: Live = { worker, remote, died, kill };
    const onError = (e: Event) => {
      e.preventDefault(); // handled here: not also the page's uncaught error
      this.die(live, (e as ErrorEvent).message || 'an error the worker did not catch');
    };
    worker.addEventListener('error', onError);
    worker.addEventListener('messageerror', () => this.die(live, 'a message it could not read'));
    // a request's barrier (worker.ts): echoed on the port its cancel travels on, after any cancel
    worker.addEventListener('message', (e: MessageEvent<BarrierMessage>) => {
      if (e.data?.type === BARRIER) worker.postMessage({ type: BARRIER_ECHO, n: e.data.n } satisfies BarrierMessage);
    });
    // ORT's runtime folder as an absolute URL: relative to the page, not to the worker's script
    await Promise.race([remote.init({ ...this.opts, wasmPaths: resolveWasmPaths(this.opts.wasmPaths) }), died]);
    return live;
  }

  /** Ends `live` (if it is still the current worker): its pending requests reject at once. */
  private die(live: Live, why: string): void {
    live.kill(why);
    live.remote[Comlink.releaseProxy]();
    live.worker.terminate();
    if (this.live === live) this.live = undefined;
  }

  /** Tests only: makes the worker throw an error nothing catches (as a bug in it would). */
  async crashWorkerForTest(): Promise<void> {
    await (await this.worker()).remote.crashForTest();
  }

  /** Terminates the worker as if it had died: pending requests reject; the next call starts a new one. */
  terminate(why = 'terminated by the page'): void {
    if (this.live) this.die(this.live, why);
  }

  /** The current worker, or a new one (with the loaded model loaded again) after one died. */
  private async worker(): Promise<Live> {
    if (this.live) return this.live;
    this.restarting ??= (async () => {
      const live = await this.start();
      if (this.loaded) await Promise.race([live.remote.load(this.nextId++, this.loaded, undefined), live.died]);
      this.live = live;
      return live;
    })().finally(() => { this.restarting = undefined; });
    return this.restarting;
  }

  /** One call to the worker, rejected when the worker dies first. */
  private async call<T>(job: (remote: Comlink.Remote<WorkerApi>) => Promise<T>): Promise<T> {
    this.pendingCount++;
    try {
      const live = await this.worker();
      return await Promise.race([job(live.remote), live.died]);
    } finally {
      this.pendingCount--;
    }
  }

  private async request<T>(signal: AbortSignal | undefined, call: (remote: Comlink.Remote<WorkerApi>, id: number) => Promise<T>): Promise<T> {
    const id = this.nextId++;
    if (signal?.aborted) throw signal.reason ?? new DOMException('aborted', 'AbortError');
    let remote: Comlink.Remote<WorkerApi> | undefined;
    const onAbort = () => void remote?.cancel(id).catch(() => {});
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.call((r) => {
        remote = r;
        // the request's message goes first (posted synchronously by Comlink), then a cancel for a
        // Stop that came while a new worker was starting: the worker reads them in that order
        const pending = call(r, id);
        if (signal?.aborted) onAbort();
        return pending;
      });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async load(source: PackageSource, hooks: LoadHooks = {}): Promise<ModelInfo> {
    // a relative URL would resolve against the worker script: make it absolute here
    const src = 'url' in source ? { url: new URL(source.url, location.href).href } : source;
    const info = await this.request(hooks.signal, (r, id) => r.load(id, src, proxy(hooks.onProgress)));
    this.loaded = src;
    return info;
  }

  backend(): Promise<BackendInfo> {
    return this.call((r) => r.backend());
  }

  info(): Promise<ModelInfo> {
    return this.call((r) => r.info());
  }

  /** The worker engine's stats, plus the requests this client is waiting on. */
  async stats(): Promise<EngineStats> {
    const s = await this.call((r) => r.stats());
    return { ...s, pending: s.pending + this.pendingCount };
  }

  generate(prompt: string, options: GenerateOptions = {}, hooks: GenerateHooks = {}) {
    return this.request(hooks.signal, (r, id) => r.generate(id, prompt, options, proxy(hooks.onStep)));
  }

  ask(image: InputImage | string, question: string, options: AskOptions = {}, hooks: AskHooks = {}) {
    return this.request(hooks.signal, (r, id) => r.ask(id, image, question, options, proxy(hooks.onToken)));
  }

  endConversation(id: string): Promise<void> {
    return this.call((r) => r.endConversation(id));
  }

  async dispose(): Promise<void> {
    const live = this.live;
    this.live = undefined;
    this.loaded = undefined;
    if (!live) return;
    await Promise.race([live.remote.dispose(), live.died]).catch(() => {});
    live.remote[Comlink.releaseProxy]();
    live.worker.terminate();
  }
}

function proxy<F extends (...a: never[]) => unknown>(f: F | undefined): F | undefined {
  return f ? Comlink.proxy(f) : undefined;
}
