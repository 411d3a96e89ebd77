// The widgets' attributes: read and checked with messages that name the attribute. A setting
// without its attribute is left out of the request: the engine gives it the package's own value
// (ModelInfo.defaults). Pure functions of strings: unit-tested in Node (attributes.test.ts).

import type { AskOptions, BackendChoice, GenerateOptions } from '../engine/api';
import { normalizeModelUrl } from '../app/format';

/** A mistake in the page's markup (an attribute's value): shown as is, nothing was run. */
export class WidgetInputError extends Error {
  override name = 'WidgetInputError';
}

/** Anything with attributes (an element); `get` is getAttribute. */
export type AttributeSource = (name: string) => string | null;

interface NumberRule {
  integer?: boolean;
  min?: number;
  max?: number;
}

/** A number attribute, or undefined when absent or empty; a bad value is a WidgetInputError. */
export function numberAttribute(get: AttributeSource, name: string, rule: NumberRule): number | undefined {
  const raw = get(name)?.trim();
  if (raw === undefined || raw === '') return undefined;
  const v = Number(raw);
  const ok = Number.isFinite(v) && (!rule.integer || Number.isInteger(v))
    && (rule.min === undefined || v >= rule.min) && (rule.max === undefined || v <= rule.max);
  if (!ok) {
    const range = rule.min !== undefined && rule.max !== undefined ? ` from ${rule.min} to ${rule.max}`
      : rule.min !== undefined ? ` of at least ${rule.min}` : '';
    throw new WidgetInputError(`the ${name} attribute must be ${rule.integer ? 'a whole number' : 'a number'}${range} (got “${raw}”)`);
  }
  return v;
}

/** What a <harmon-image>'s attributes ask for; absent ones come from the model's defaults. */
export interface ImageSettings {
  steps?: number;
  cfg?: number;
  cfgSchedule?: 'constant' | 'linear';
  temperature?: number;
  seed?: number;
  size?: number;
  samplingSteps?: number;
  /** `fast`: head-step annealing, 50 → 5 sampling steps over the MAR steps (the engine's preset) */
  preset?: 'default' | 'fast';
  /** draw the image at every step (a VAE decode and a readback per step) */
  preview: boolean;
}

/** The attributes that change what a <harmon-image> draws (a change starts a new generation). */
export const IMAGE_SETTING_ATTRIBUTES = ['steps', 'cfg', 'cfg-schedule', 'temperature', 'seed', 'size', 'sampling-steps', 'preset'] as const;

export function readImageSettings(get: AttributeSource): ImageSettings {
  const schedule = get('cfg-schedule')?.trim();
  if (schedule && schedule !== 'constant' && schedule !== 'linear') {
    throw new WidgetInputError(`the cfg-schedule attribute must be “constant” or “linear” (got “${schedule}”)`);
  }
  const preset = get('preset')?.trim().toLowerCase() || undefined;
  if (preset !== undefined && preset !== 'default' && preset !== 'fast') {
    throw new WidgetInputError(`the preset attribute must be “default” or “fast” (got “${preset}”)`);
  }
  const samplingSteps = numberAttribute(get, 'sampling-steps', { integer: true, min: 2, max: 1000 });
  // the engine refuses both together (fast chooses S per step); say so in the markup's terms
  if (preset === 'fast' && samplingSteps !== undefined) {
    throw new WidgetInputError('preset="fast" chooses its own sampling steps per MAR step (50 → 5): leave out the sampling-steps attribute');
  }
  return {
    steps: numberAttribute(get, 'steps', { integer: true, min: 1, max: 1024 }),
    cfg: numberAttribute(get, 'cfg', { min: 1, max: 100 }),
    cfgSchedule: schedule ? schedule as 'constant' | 'linear' : undefined,
    temperature: numberAttribute(get, 'temperature', { min: 0, max: 10 }),
    seed: numberAttribute(get, 'seed', { integer: true, min: 0, max: 2 ** 31 - 1 }),
    size: numberAttribute(get, 'size', { integer: true, min: 16, max: 2048 }),
    samplingSteps,
    preset,
    preview: get('preview') !== null,
  };
}

/** One image's request: the settings its attributes name (the engine fills in the package's for
 * the rest); the seed is the widget's own default, 0. */
export function generateOptions(s: ImageSettings): GenerateOptions {
  const o: GenerateOptions = { n: 1, seed: s.seed ?? 0, preview: s.preview };
  for (const k of ['steps', 'cfg', 'cfgSchedule', 'temperature', 'size', 'samplingSteps', 'preset'] as const) {
    if (s[k] !== undefined) (o as Record<string, unknown>)[k] = s[k];
  }
  return o;
}

/** What a <harmon-ask>'s attributes ask for; absent ones come from the package (the engine's
 * `ask` defaults: its size, 512 for the released models, and its repetition penalty). */
export function askOptions(get: AttributeSource, defaultMaxTokens: number): AskOptions {
  const o: AskOptions = {
    maxNewTokens: numberAttribute(get, 'max-tokens', { integer: true, min: 1, max: 2048 }) ?? defaultMaxTokens,
  };
  const size = numberAttribute(get, 'size', { integer: true, min: 16, max: 2048 });
  if (size !== undefined) {
    if (size % 16) throw new WidgetInputError(`the size attribute must be a multiple of 16 (got “${size}”)`);
    o.size = size;
  }
  const penalty = numberAttribute(get, 'repetition-penalty', { min: 0.01, max: 10 });
  if (penalty !== undefined) o.repetitionPenalty = penalty;
  return o;
}

/** A <harmon-image> that edits an image: `src` (absolute URL), what of it to regenerate (a `mask`
 * image URL, white = regenerate, and/or a variation `strength`), and whether the source's pixels
 * are pasted back outside the regenerated area (`keep-pixels`, on unless "false"). */
export interface EditAttributes {
  src?: string;
  mask?: string;
  strength?: number;
  keepPixels: boolean;
}

/** The attributes that make a <harmon-image> edit an image (a change starts a new run). */
export const EDIT_ATTRIBUTES = ['src', 'mask', 'strength', 'keep-pixels'] as const;

export function readEditAttributes(get: AttributeSource, base: string): EditAttributes {
  const url = (name: 'src' | 'mask'): string | undefined => {
    const raw = get(name)?.trim();
    if (!raw) return undefined;
    try {
      return new URL(raw, base).href;
    } catch {
      throw new WidgetInputError(`the ${name} attribute is not a URL (got “${raw}”)`);
    }
  };
  const src = url('src');
  const mask = url('mask');
  const strength = numberAttribute(get, 'strength', { min: 0, max: 1 });
  if (strength === 0) throw new WidgetInputError('the strength attribute must be above 0 (at most 1): the share of the tokens to redraw');
  const keep = get('keep-pixels')?.trim().toLowerCase() ?? '';
  if (keep !== '' && keep !== 'true' && keep !== 'false') {
    throw new WidgetInputError(`the keep-pixels attribute must be “true” or “false” (got “${keep}”)`);
  }
  if (!src && (mask || strength !== undefined)) {
    throw new WidgetInputError(`the ${mask ? 'mask' : 'strength'} attribute needs a src image to regenerate part of`);
  }
  if (src && !mask && strength === undefined) {
    throw new WidgetInputError('with a src image, give a mask (white = regenerate) or a strength (variations): what to regenerate');
  }
  return { src, mask, strength, keepPixels: keep !== 'false' };
}

const BACKENDS: readonly BackendChoice[] = ['auto', 'webgpu', 'wasm'];

/** The `backend` attribute: auto (absent or empty), webgpu or wasm. */
export function backendAttribute(get: AttributeSource): BackendChoice {
  const raw = get('backend')?.trim().toLowerCase() ?? '';
  if (raw === '') return 'auto';
  const choice = BACKENDS.find((b) => b === raw);
  if (!choice) throw new WidgetInputError(`the backend attribute must be “auto”, “webgpu” or “wasm” (got “${raw}”)`);
  return choice;
}

/** The package folder a `model` attribute names (relative to the page), or `fallback` without one. */
export function modelUrlFrom(get: AttributeSource, base: string, fallback: string): string {
  const raw = get('model')?.trim();
  if (!raw) return fallback;
  try {
    return normalizeModelUrl(raw, base);
  } catch (e) {
    throw new WidgetInputError(`the model attribute: ${(e as Error).message}`);
  }
}
