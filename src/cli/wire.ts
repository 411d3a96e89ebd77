// What travels between the CLI (Node) and its host page (Chromium) through page.evaluate: plain
// JSON. Bulk bytes go as base64 (results) or are fetched by the page from the CLI's server (inputs).

import type { AskOptions, AskResult, BackendChoice, GenerateOptions, LoadProgress, ModelInfo } from '../engine/api';

/** Every wire call resolves (never rejects): an engine error comes back as its message. */
export type WireResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Raw pixels on the CLI's server: RGBA bytes (an image) or one byte per pixel (a mask). */
export interface WirePixels {
  url: string;
  width: number;
  height: number;
}

export type WireGenerateOptions = Omit<GenerateOptions, 'noise' | 'preview' | 'image' | 'mask'> & {
  /** URL on the CLI's server of the --noise bytes (little-endian float32) */
  noiseUrl?: string;
  /** the decoded --image, placed at `offset` on the canvas */
  image?: WirePixels;
  /** the canvas-sized mask, one value per pixel */
  mask?: WirePixels;
};

export interface WireImage {
  width: number;
  height: number;
  /** RGBA bytes, base64 */
  rgba: string;
}

export interface WireGenerateResult {
  images: WireImage[];
  /** float32 little-endian bytes, base64 */
  latents: string;
  latentCount: number;
  /** with an image: per image the gh × gw token flags (1 = generated), base64 */
  generated?: string[];
  ms: number;
}

export interface HarmonWire {
  /** Creates the engine on `backend` if needed and loads the package at `url`. */
  load(url: string, backend: BackendChoice): Promise<WireResult<ModelInfo>>;
  /** Fetches and decodes an image (so a bad file fails before the model loads). */
  checkImage(url: string, name: string): Promise<WireResult<{ width: number; height: number }>>;
  /** Fetches and decodes an image, and sends its RGBA pixels back (generate --image/--mask). */
  decodeImage(url: string, name: string): Promise<WireResult<WireImage>>;
  generate(prompt: string, options: WireGenerateOptions): Promise<WireResult<WireGenerateResult>>;
  ask(imageUrl: string, name: string, question: string, options: AskOptions): Promise<WireResult<AskResult>>;
}

/** Progress the page reports to the CLI through window.harmonReport (exposed by Playwright). */
export type HostEvent =
  | { kind: 'load'; progress: LoadProgress }
  | { kind: 'step'; step: number; steps: number };

declare global {
  interface Window {
    harmonWire: HarmonWire;
    /** exposed by the CLI (Playwright's exposeFunction) */
    harmonReport?: (event: HostEvent) => unknown;
  }
}
