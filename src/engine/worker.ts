// The engine in a Web Worker, exposed with Comlink. Callbacks come over as Comlink proxies;
// AbortSignals cannot cross postMessage, so each request carries an id the client cancels by.
//
// A Stop sent right after a call is guaranteed to win: before a request starts work, the worker
// sends the page a barrier and waits for its echo. The echo comes back on the same port as the
// request and the cancel, and messages on one port arrive in the order they were sent, so a cancel
// posted before the echo has been handled by then. The loops' own checkpoints (checkpoint.ts) yield
// through a channel of their own, which Chromium does not order against this port: they catch a
// later Stop at the next step or token, not this one.

import * as Comlink from 'comlink';
import type { AskOptions, GenerateOptions, InputImage, LoadProgress, PackageSource, StepEvent } from './api';
import { Engine, type EngineOptions } from './engine';
import { BARRIER, BARRIER_ECHO, type BarrierMessage } from './barrier';

let engine: Engine | undefined;
const running = new Map<number, AbortController>();

function get(): Engine {
  if (!engine) throw new Error('the engine is not initialised: call init() first');
  return engine;
}

/** A request's callbacks (Comlink proxies) and the calls to them still in flight. Each callback
 * travels over its own message port, so a call made just before the result could reach the page
 * after it: the request awaits its calls before it returns, and the page sees every step or token
 * before the result. */
class Callbacks {
  private readonly pending: Promise<unknown>[] = [];

  wrap<A extends unknown[]>(f: ((...a: A) => unknown) | undefined): ((...a: A) => void) | undefined {
    if (!f) return undefined;
    return (...a: A) => {
      this.pending.push(Promise.resolve(f(...a)).catch(() => undefined));
    };
  }

  flush(): Promise<unknown> {
    return Promise.all(this.pending);
  }
}

const echoes = new Map<number, () => void>();
let nextBarrier = 1;
self.addEventListener('message', (e: MessageEvent<BarrierMessage>) => {
  if (e.data?.type !== BARRIER_ECHO) return;
  echoes.get(e.data.n)?.();
  echoes.delete(e.data.n);
});

/** Resolves once every message the page sent before it saw our barrier has been handled. */
function barrier(): Promise<void> {
  return new Promise((resolve) => {
    const n = nextBarrier++;
    echoes.set(n, resolve);
    self.postMessage({ type: BARRIER, n } satisfies BarrierMessage);
  });
}

async function tracked<T>(id: number, job: (signal: AbortSignal, cb: Callbacks) => Promise<T>): Promise<T> {
  const ctl = new AbortController();
  const cb = new Callbacks();
  running.set(id, ctl);
  try {
    await barrier();
    if (ctl.signal.aborted) throw ctl.signal.reason;
    return await job(ctl.signal, cb);
  } finally {
    running.delete(id);
    await cb.flush();
  }
}

export const workerApi = {
  async init(opts: EngineOptions = {}): Promise<void> {
    engine ??= await Engine.create(opts);
  },
  cancel(id: number): void {
    running.get(id)?.abort(new DOMException('cancelled', 'AbortError'));
  },
  load(id: number, source: PackageSource, onProgress?: (p: LoadProgress) => void) {
    return tracked(id, (signal, cb) => get().load(source, { onProgress: cb.wrap(onProgress), signal }));
  },
  backend() {
    return get().backend();
  },
  info() {
    return get().info();
  },
  async generate(id: number, prompt: string, options: GenerateOptions, onStep?: (e: StepEvent) => void) {
    const r = await tracked(id, (signal, cb) => get().generate(prompt, options, { onStep: cb.wrap(onStep), signal }));
    return Comlink.transfer(r, [r.latents.buffer, ...r.images.map((i) => i.rgba.buffer)]);
  },
  ask(id: number, image: InputImage | string, question: string, options: AskOptions, onToken?: (text: string, id: number) => void) {
    return tracked(id, (signal, cb) => get().ask(image, question, options, { onToken: cb.wrap(onToken), signal }));
  },
  endConversation(conversation: string): void {
    get().endConversation(conversation);
  },
  async stats() {
    const s = await get().stats();
    return { ...s, pending: running.size };
  },
  /** tests only: an error nothing catches, as a bug in the worker would throw (the page sees the
   * worker's error event; EngineClient then treats the worker as dead) */
  crashForTest(): void {
    setTimeout(() => { throw new Error('crash requested by a test'); }, 0);
  },
  async dispose(): Promise<void> {
    await engine?.dispose();
    engine = undefined;
  },
};

export type WorkerApi = typeof workerApi;

Comlink.expose(workerApi);
