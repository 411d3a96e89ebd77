// The page `npm run harmon` drives in headless Chromium (host.html): the real engine, the same code
// the web page runs. It exposes
//   window.harmonHost: the engine calls with typed values (load, generate, ask, info, decodeImage);
//   window.harmonWire: the same for the CLI over page.evaluate (plain JSON, base64 for bulk bytes,
//     inputs fetched from the CLI's server, errors returned as messages instead of thrown).
// Progress goes to window.harmonReport when the CLI has exposed it.

import type {
  AskOptions,
  AskResult,
  BackendChoice,
  GenerateOptions,
  GenerateResult,
  InputImage,
  LoadProgress,
  ModelInfo,
  StepEvent,
} from '../engine/api';
import { Engine } from '../engine/engine';
import { errorText } from '../ui/format';
import { decodeRgba, ImageInputError } from '../ui/images';
import type { HarmonWire, HostEvent, WireGenerateResult, WireResult } from './wire';

export interface HarmonHost {
  /** Creates the engine on `backend` (default auto) on first use and loads the package at `url`. */
  load(url: string, backend?: BackendChoice): Promise<ModelInfo>;
  generate(prompt: string, options: GenerateOptions): Promise<GenerateResult>;
  /** `imageBytes`: an encoded image file (PNG, JPEG, WebP, …), decoded here. */
  ask(imageBytes: Uint8Array, question: string, options: AskOptions, name?: string): Promise<AskResult>;
  info(): ModelInfo;
  decodeImage(bytes: Uint8Array, name?: string): Promise<InputImage>;
}

declare global {
  interface Window {
    harmonHost: HarmonHost;
  }
}

let engine: Engine | undefined;

function report(event: HostEvent): void {
  try {
    void window.harmonReport?.(event);
  } catch {
    // progress is best effort
  }
}

function loaded(): Engine {
  if (!engine) throw new Error('no model loaded');
  return engine;
}

/** Decodes an encoded image file to RGBA at its own size (the demo's and the widget's decoder). */
export async function decodeImage(bytes: Uint8Array, name = 'image'): Promise<InputImage> {
  try {
    return await decodeRgba(new Blob([bytes as Uint8Array<ArrayBuffer>]));
  } catch (e) {
    throw new Error(`could not decode the image ${name}: ${e instanceof ImageInputError ? e.message : errorText(e)}`);
  }
}

const host: HarmonHost = {
  async load(url, backend = 'auto') {
    engine ??= await Engine.create({ backend });
    await engine.load({ url }, { onProgress: (progress: LoadProgress) => report({ kind: 'load', progress }) });
    return engine.info();
  },
  generate(prompt, options) {
    return loaded().generate(prompt, options, {
      onStep: (e: StepEvent) => report({ kind: 'step', step: e.step, steps: e.steps }),
    });
  },
  async ask(imageBytes, question, options, name) {
    const image = await decodeImage(imageBytes, name);
    return loaded().ask(image, question, options, {});
  },
  info: () => loaded().info(),
  decodeImage,
};

function toBase64(bytes: Uint8Array): string {
  const native = (bytes as Uint8Array & { toBase64?: () => string }).toBase64;
  if (typeof native === 'function') return native.call(bytes);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not read ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function wrap<T>(fn: () => Promise<T>): Promise<WireResult<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    console.error(e);
    return { ok: false, error: errorText(e) };
  }
}

const wire: HarmonWire = {
  load: (url, backend) => wrap(() => host.load(url, backend)),
  checkImage: (url, name) =>
    wrap(async () => {
      const image = await decodeImage(await fetchBytes(url), name);
      return { width: image.width, height: image.height };
    }),
  decodeImage: (url, name) =>
    wrap(async () => {
      const image = await decodeImage(await fetchBytes(url), name);
      return { width: image.width, height: image.height, rgba: toBase64(bytesOf(image.rgba)) };
    }),
  generate: (prompt, wireOptions) =>
    wrap(async (): Promise<WireGenerateResult> => {
      const { noiseUrl, image, mask, ...rest } = wireOptions;
      const options: GenerateOptions = { ...rest };
      if (noiseUrl) {
        const b = await fetchBytes(noiseUrl);
        options.noise = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
      }
      if (image) {
        const b = await fetchBytes(image.url);
        options.image = { width: image.width, height: image.height, rgba: new Uint8ClampedArray(b.buffer, b.byteOffset, b.byteLength) };
      }
      if (mask) options.mask = { width: mask.width, height: mask.height, data: await fetchBytes(mask.url) };
      const r = await host.generate(prompt, options);
      return {
        images: r.images.map((im) => ({ width: im.width, height: im.height, rgba: toBase64(bytesOf(im.rgba)) })),
        latents: toBase64(bytesOf(r.latents)),
        latentCount: r.latents.length,
        generated: r.generated?.map((g) => toBase64(g)),
        ms: r.ms,
      };
    }),
  ask: (imageUrl, name, question, options) =>
    wrap(async () => host.ask(await fetchBytes(imageUrl), question, options, name)),
};

window.harmonHost = host;
window.harmonWire = wire;
