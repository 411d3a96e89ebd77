// The widgets' attributes: read, checked with messages that name the attribute, and merged with the
// model's defaults (manifest "defaults" and "diffusion.default_sampling_steps", as the demo page does).
// Pure functions of strings: unit-tested in Node (attributes.test.ts).

import type { GenerateOptions } from '../engine/api';
import { normalizeModelUrl } from '../app/format';
import type { ModelDefaults } from '../app/state';

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
  /** draw the image at every step (a VAE decode and a readback per step) */
  preview: boolean;
}

/** The attributes that change what a <harmon-image> draws (a change starts a new generation). */
export const IMAGE_SETTING_ATTRIBUTES = ['steps', 'cfg', 'cfg-schedule', 'temperature', 'seed', 'size', 'sampling-steps'] as const;

export function readImageSettings(get: AttributeSource): ImageSettings {
  const schedule = get('cfg-schedule')?.trim();
  if (schedule && schedule !== 'constant' && schedule !== 'linear') {
    throw new WidgetInputError(`the cfg-schedule attribute must be “constant” or “linear” (got “${schedule}”)`);
  }
  return {
    steps: numberAttribute(get, 'steps', { integer: true, min: 1, max: 1024 }),
    cfg: numberAttribute(get, 'cfg', { min: 1, max: 100 }),
    cfgSchedule: schedule ? schedule as 'constant' | 'linear' : undefined,
    temperature: numberAttribute(get, 'temperature', { min: 0, max: 10 }),
    seed: numberAttribute(get, 'seed', { integer: true, min: 0, max: 2 ** 31 - 1 }),
    size: numberAttribute(get, 'size', { integer: true, min: 16, max: 2048 }),
    samplingSteps: numberAttribute(get, 'sampling-steps', { integer: true, min: 2, max: 1000 }),
    preview: get('preview') !== null,
  };
}

/** One image's options: each setting from its attribute, else the model's default, else the engine's. */
export function generateOptions(s: ImageSettings, defaults: ModelDefaults, imageSize: number): GenerateOptions {
  return {
    n: 1,
    steps: s.steps ?? defaults.steps,
    cfg: s.cfg ?? defaults.cfg,
    cfgSchedule: s.cfgSchedule ?? defaults.cfg_schedule,
    temperature: s.temperature ?? defaults.temperature,
    seed: s.seed ?? 0,
    size: s.size ?? defaults.size ?? imageSize,
    samplingSteps: s.samplingSteps ?? defaults.sampling_steps,
    preview: s.preview,
  };
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
