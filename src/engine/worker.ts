// The engine in a Web Worker, exposed with Comlink. Callbacks come over as Comlink proxies;
// AbortSignals cannot cross postMessage, so each request carries an id the client cancels by.

import * as Comlink from 'comlink';
import type { AskOptions, GenerateOptions, InputImage, LoadProgress, PackageSource, StepEvent } from './api';
import { Engine, type EngineOptions } from './engine';

let engine: Engine | undefined;
const running = new Map<number, AbortController>();

function get(): Engine {
  if (!engine) throw new Error('the engine is not initialised: call init() first');
  return engine;
}

async function tracked<T>(id: number, job: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctl = new AbortController();
  running.set(id, ctl);
  try {
    return await job(ctl.signal);
  } finally {
    running.delete(id);
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
    return tracked(id, (signal) => get().load(source, { onProgress, signal }));
  },
  backend() {
    return get().backend();
  },
  info() {
    return get().info();
  },
  async generate(id: number, prompt: string, options: GenerateOptions, onStep?: (e: StepEvent) => void) {
    const r = await tracked(id, (signal) => get().generate(prompt, options, { onStep, signal }));
    return Comlink.transfer(r, [r.latents.buffer, ...r.images.map((i) => i.rgba.buffer)]);
  },
  ask(id: number, image: InputImage | string, question: string, options: AskOptions, onToken?: (text: string, id: number) => void) {
    return tracked(id, (signal) => get().ask(image, question, options, { onToken, signal }));
  },
  endConversation(conversation: string): void {
    get().endConversation(conversation);
  },
  async dispose(): Promise<void> {
    await engine?.dispose();
    engine = undefined;
  },
};

export type WorkerApi = typeof workerApi;

Comlink.expose(workerApi);
