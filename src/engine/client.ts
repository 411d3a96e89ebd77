// The page's side of the worker: the same EngineApi as the in-process Engine. Hooks become Comlink
// proxies; an AbortSignal becomes a cancel message for its request.

import * as Comlink from 'comlink';
import type {
  AskHooks, AskOptions, BackendInfo, EngineApi, GenerateHooks, GenerateOptions, InputImage, LoadHooks, ModelInfo, PackageSource,
} from './api';
import type { EngineOptions } from './api';
import { resolveWasmPaths } from './ort-paths';
import type { WorkerApi } from './worker';

export class EngineClient implements EngineApi {
  private nextId = 1;

  private constructor(private readonly worker: Worker, private readonly remote: Comlink.Remote<WorkerApi>) {}

  /** Starts the engine worker (module worker built from worker.ts) and acquires the GPU in it. */
  static async create(opts: EngineOptions = {}, worker?: Worker): Promise<EngineClient> {
    const w = worker ?? new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'harmon-engine' });
    const client = new EngineClient(w, Comlink.wrap<WorkerApi>(w));
    // ORT's runtime folder as an absolute URL: relative to the page, not to the worker's script
    await client.remote.init({ ...opts, wasmPaths: resolveWasmPaths(opts.wasmPaths) });
    return client;
  }

  private async request<T>(signal: AbortSignal | undefined, call: (id: number) => Promise<T>): Promise<T> {
    const id = this.nextId++;
    if (signal?.aborted) throw signal.reason ?? new DOMException('aborted', 'AbortError');
    const onAbort = () => void this.remote.cancel(id);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await call(id);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  load(source: PackageSource, hooks: LoadHooks = {}): Promise<ModelInfo> {
    // a relative URL would resolve against the worker script: make it absolute here
    const src = 'url' in source ? { url: new URL(source.url, location.href).href } : source;
    return this.request(hooks.signal, (id) => this.remote.load(id, src, proxy(hooks.onProgress)));
  }

  backend(): Promise<BackendInfo> {
    return this.remote.backend();
  }

  info(): Promise<ModelInfo> {
    return this.remote.info();
  }

  generate(prompt: string, options: GenerateOptions = {}, hooks: GenerateHooks = {}) {
    return this.request(hooks.signal, (id) => this.remote.generate(id, prompt, options, proxy(hooks.onStep)));
  }

  ask(image: InputImage | string, question: string, options: AskOptions = {}, hooks: AskHooks = {}) {
    return this.request(hooks.signal, (id) => this.remote.ask(id, image, question, options, proxy(hooks.onToken)));
  }

  endConversation(id: string): Promise<void> {
    return this.remote.endConversation(id);
  }

  async dispose(): Promise<void> {
    await this.remote.dispose();
    this.remote[Comlink.releaseProxy]();
    this.worker.terminate();
  }
}

function proxy<F extends (...a: never[]) => unknown>(f: F | undefined): F | undefined {
  return f ? Comlink.proxy(f) : undefined;
}
