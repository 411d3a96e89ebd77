// The widgets' events: CustomEvents that bubble and cross the shadow boundary (composed), so a page
// can listen on the element or anywhere above it. Their detail types are the widget's API.

import type { LoadProgress } from '../engine/api';

/** What the element is doing now. */
export type HarmonProgressDetail =
  /** waiting for `ahead` jobs of other widgets on the page (they share one engine) */
  | { stage: 'queued'; ahead: number }
  /** starting the engine (once per page and backend) */
  | { stage: 'engine' }
  /** loading the model: `fraction` of its bytes (null while unknown), `text` says what for people */
  | { stage: 'load'; fraction: number | null; text: string; progress: LoadProgress }
  /** <harmon-image>: MAR step `step` (1-based) of `steps` done */
  | { stage: 'generate'; step: number; steps: number }
  /** <harmon-ask>: `tokens` answer tokens so far */
  | { stage: 'answer'; tokens: number };

/** <harmon-image> finished: the <img> (part "image", alt = prompt) shows `url`, a PNG blob: URL. */
export interface HarmonImageDoneDetail {
  prompt: string;
  url: string;
  width: number;
  height: number;
  seed: number;
  ms: number;
  /** the backend that drew it */
  backend: 'webgpu' | 'wasm';
}

/** <harmon-ask> finished its answer. */
export interface HarmonAskDoneDetail {
  question: string;
  answer: string;
  tokens: number;
  ms: number;
  /** the backend that answered */
  backend: 'webgpu' | 'wasm';
}

/** One streamed answer token (<harmon-ask>). */
export interface HarmonTokenDetail {
  text: string;
  id: number;
}

/** What went wrong, said for people (also shown in the element's "error" part). */
export interface HarmonErrorDetail {
  message: string;
  /** input: an attribute or the image; engine: the engine did not start (e.g. backend="webgpu" without WebGPU); load: the model;
   * run: the generation or the answer */
  stage: 'input' | 'engine' | 'load' | 'run';
}

export interface HarmonEventMap {
  'harmon-progress': CustomEvent<HarmonProgressDetail>;
  'harmon-done': CustomEvent<HarmonImageDoneDetail | HarmonAskDoneDetail>;
  'harmon-token': CustomEvent<HarmonTokenDetail>;
  'harmon-error': CustomEvent<HarmonErrorDetail>;
}

export function emit<K extends keyof HarmonEventMap>(target: EventTarget, type: K, detail: HarmonEventMap[K]['detail']): void {
  target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}
