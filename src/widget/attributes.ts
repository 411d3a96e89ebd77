// The widgets' attributes: read and checked with messages that name the attribute. A setting
// without its attribute is left out of the request: the engine gives it the package's own value
// (ModelInfo.defaults). Pure functions of strings: unit-tested in Node (attributes.test.ts).

import type { AskOptions, BackendChoice, GenerateOptions } from '../engine/api';
import { ASK_OPTIONS, attributeName, BACKEND_OPTION, GENERATE_OPTIONS, generateOption, type OptionSpec, optionRule, parseOption,
  presetConflict } from '../engine/options';
import { normalizeModelUrl } from '../ui/format';

/** A mistake in the page's markup (an attribute's value): shown as is, nothing was run. */
export class WidgetInputError extends Error {
  override name = 'WidgetInputError';
}

/** Anything with attributes (an element); `get` is getAttribute. */
export type AttributeSource = (name: string) => string | null;

/** A table option's attribute (options.ts: its name, bounds and rule), or undefined when absent or
 * empty; a bad value is a WidgetInputError that says the table's rule. */
export function optionAttribute(get: AttributeSource, o: OptionSpec): number | string | boolean | undefined {
  const name = attributeName(o)!;
  const raw = get(name)?.trim();
  if (raw === undefined || raw === '') return undefined;
  const v = parseOption(o, raw);
  if (v === undefined) throw new WidgetInputError(`the ${name} attribute must be ${optionRule(o)} (got “${raw}”)`);
  return v;
}

/** The engine options a <harmon-image>'s attributes set (strength belongs to an edit, preview is a
 * boolean attribute: both read on their own). */
const IMAGE_OPTIONS = GENERATE_OPTIONS.filter((o) => attributeName(o) !== undefined && o.key !== 'strength' && o.key !== 'preview');

/** What a <harmon-image>'s attributes ask for; absent ones come from the model's defaults. */
export type ImageSettings = Pick<GenerateOptions, 'steps' | 'cfg' | 'cfgSchedule' | 'temperature' | 'seed' | 'size' | 'samplingSteps' | 'preset'> & {
  /** draw the image at every step (a VAE decode and a readback per step) */
  preview: boolean;
};

/** The attributes that change what a <harmon-image> draws (a change starts a new generation). */
export const IMAGE_SETTING_ATTRIBUTES: readonly string[] = IMAGE_OPTIONS.map((o) => attributeName(o)!);

export function readImageSettings(get: AttributeSource): ImageSettings {
  const s: Record<string, unknown> = {};
  for (const o of IMAGE_OPTIONS) s[o.key] = optionAttribute(get, o);
  // the engine refuses both together (fast chooses S per step); say so in the markup's terms
  const conflict = presetConflict(s, { fast: 'preset="fast"', samplingSteps: 'the sampling-steps attribute' });
  if (conflict) throw new WidgetInputError(conflict);
  return { ...s, preview: get('preview') !== null } as ImageSettings;
}

/** One image's request: the settings its attributes name (the engine fills in the package's for
 * the rest); the seed is the widget's own default, 0. */
export function generateOptions(s: ImageSettings): GenerateOptions {
  const o: GenerateOptions = { n: 1, seed: s.seed ?? 0, preview: s.preview };
  for (const { key } of IMAGE_OPTIONS) {
    const v = s[key as keyof ImageSettings];
    if (v !== undefined) (o as Record<string, unknown>)[key] = v;
  }
  return o;
}

/** The engine options a <harmon-ask>'s attributes set (the table's: max-tokens, size,
 * repetition-penalty). */
const ASK_ATTRIBUTE_OPTIONS = ASK_OPTIONS.filter((o) => attributeName(o) !== undefined);

/** The attributes that change how a <harmon-ask> answers. */
export const ASK_SETTING_ATTRIBUTES: readonly string[] = ASK_ATTRIBUTE_OPTIONS.map((o) => attributeName(o)!);

/** What a <harmon-ask>'s attributes ask for: an absent one takes the table's page default where it
 * has one (max-tokens: 128), else it is left out and the engine applies the package's (its size,
 * 512 for the released models, and its repetition penalty). */
export function askOptions(get: AttributeSource): AskOptions {
  const o: Record<string, unknown> = {};
  for (const opt of ASK_ATTRIBUTE_OPTIONS) {
    const v = optionAttribute(get, opt) ?? opt.pageDefault;
    if (v !== undefined) o[opt.key] = v;
  }
  return o as AskOptions;
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
  const strength = optionAttribute(get, generateOption('strength')) as number | undefined;
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

/** The `backend` attribute: auto (absent or empty), webgpu or wasm. */
export function backendAttribute(get: AttributeSource): BackendChoice {
  return (optionAttribute(get, BACKEND_OPTION) ?? 'auto') as BackendChoice;
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
