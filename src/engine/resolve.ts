// A request's options resolved: each checked by the options table (options.ts) and given its default
// (the loaded package's, or the engine's) before any work, so a bad request leaves the engine as it
// was. Pure: unit-tested in Node (resolve.test.ts).

import type { AskDefaults, AskOptions, GenerateOptions, ModelDefaults } from './api';
import { type CanvasLimits, type CanvasRequest, checkCanvasLimits, planCanvas, resolveCanvas } from './canvas';
import { EngineError } from './errors';
import { vaeStride } from './limits';
import type { HarmonConfig } from './model';
import { ASK_OPTIONS, CANVAS_KEYS, defaultValue, GENERATE_OPTIONS, generateOption, optionError, type OptionSpec, optionValid,
  packageFallback, presetConflict, understandingFallback } from './options';
import type { Manifest } from './package';
import type { Preset } from './plan';

export interface Resolved {
  n: number; steps: number; cfg: number; cfgSchedule: 'constant' | 'linear'; temperature: number;
  samplingSteps: number; preset: Preset; seed: number; orders?: number[][]; noise?: Float32Array; preview: boolean;
  /** the canvas: its size and, for a partly known image, the image, mask, offset, strength */
  canvas: CanvasRequest;
}

/** The package's generation settings: manifest `defaults` and `diffusion.default_sampling_steps`,
 * else the options table's fallbacks (DESIGN.md §6), each checked like a request's option (a
 * package with a bad default fails to load, clearly). */
export function packageDefaults(manifest: Manifest): ModelDefaults {
  const d = (manifest.defaults ?? {}) as Partial<Manifest['defaults']>;
  const defaults: ModelDefaults = {
    steps: d.steps ?? packageFallback('steps'),
    cfg: d.cfg ?? packageFallback('cfg'),
    cfgSchedule: d.cfg_schedule ?? packageFallback('cfgSchedule'),
    temperature: d.temperature ?? packageFallback('temperature'),
    size: d.size ?? manifest.config.image_size,
    samplingSteps: manifest.diffusion?.default_sampling_steps ?? packageFallback('samplingSteps'),
  };
  try {
    resolveGenerate({}, defaults, vaeStride(manifest.config));
  } catch (e) {
    throw new EngineError(`the package's manifest has a bad default: ${(e as Error).message}`);
  }
  return defaults;
}

/** The package's understanding settings (manifest `understanding`, else the options table's
 * fallbacks: a package from before the setting answers at its generation size, plain greedy),
 * checked like a request's options. */
export function packageAskDefaults(manifest: Manifest): AskDefaults {
  const u = manifest.understanding;
  const d: AskDefaults = {
    size: u?.size ?? manifest.config.image_size,
    repetitionPenalty: u?.repetition_penalty ?? understandingFallback('repetitionPenalty'),
  };
  try {
    resolveAsk({}, d, vaeStride(manifest.config));
  } catch (e) {
    throw new EngineError(`the package's manifest has a bad default: ${(e as Error).message}`);
  }
  return d;
}

/** generate()'s options the table does not list (arrays and images: no flag, attribute or field). */
const GENERATE_EXTRA: readonly Exclude<keyof GenerateOptions, (typeof GENERATE_OPTIONS)[number]['key']>[] =
  ['image', 'mask', 'offset', 'orders', 'noise'];
const GENERATE_NAMES: readonly string[] = [...GENERATE_OPTIONS.map((o) => o.key), ...GENERATE_EXTRA];
const ASK_NAMES: readonly string[] = ASK_OPTIONS.map((o) => o.key);

/** Refuses option names the engine does not know, naming the ones it does: a misspelt option
 * (`stpes`) would otherwise do nothing, silently. */
function checkOptionNames(o: unknown, known: readonly string[], what: string): void {
  if (typeof o !== 'object' || o === null) throw new EngineError(`${what} options must be an object, got ${o === null ? 'null' : typeof o}`);
  const unknown = Object.keys(o).filter((k) => !known.includes(k));
  if (unknown.length) throw new EngineError(`unknown ${what} option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${known.join(', ')})`);
}

/** A request's option, else its default (the package's or the engine's), checked by the options table. */
function resolved(o: object, spec: OptionSpec, d: Partial<ModelDefaults>, stride: number, ask: Partial<AskDefaults> = {}): unknown {
  const v = (o as Record<string, unknown>)[spec.key] ?? defaultValue(spec, d, ask);
  if (v !== undefined && !optionValid(spec, v, stride)) throw new EngineError(optionError(spec, v, stride));
  return v;
}

export function resolveGenerate(o: GenerateOptions, d: ModelDefaults, stride: number): Resolved {
  checkOptionNames(o, GENERATE_NAMES, 'generate');
  const v: Record<string, unknown> = {};
  // the canvas's options are resolveCanvas's (the CLI plans a canvas with it alone)
  for (const spec of GENERATE_OPTIONS) if (!(CANVAS_KEYS as readonly string[]).includes(spec.key)) v[spec.key] = resolved(o, spec, d, stride);
  const conflict = presetConflict(o, { fast: "preset 'fast'", samplingSteps: 'samplingSteps' });
  if (conflict) throw new EngineError(conflict);
  const size = generateOption('size');
  if (!optionValid(size, d.size, stride)) throw new EngineError(optionError(size, d.size, stride));
  return {
    ...(v as Omit<Resolved, 'canvas' | 'orders' | 'noise'>),
    orders: o.orders, noise: o.noise, canvas: resolveCanvas(o, d.size, stride),
  };
}

/** What a question's image must fit: the model's positions and the backend's buffers, with the
 * prompt around the image (`promptTokens`). */
export interface AskFit {
  config: HarmonConfig;
  limits: CanvasLimits;
  promptTokens?: number;
}

/** ask()'s options with their defaults (the package's understanding settings `d`, the engine's),
 * checked by the options table; with `fit`, also that the image's tokens at `size` fit the model
 * and the backend (the one place a question's size is checked). */
export function resolveAsk(o: AskOptions, d: AskDefaults, stride: number, fit?: AskFit): Required<AskOptions> {
  checkOptionNames(o, ASK_NAMES, 'ask');
  const v: Record<string, unknown> = {};
  for (const spec of ASK_OPTIONS) v[spec.key] = resolved(o, spec, {}, stride, d);
  const r = v as Required<AskOptions>;
  if (fit) {
    const canvas = planCanvas(resolveCanvas({ size: r.size }, r.size, stride), stride);
    const p = fit.promptTokens ?? 0;
    try {
      checkCanvasLimits(fit.config, canvas, { n: 1, batch: 1, promptValid: p, promptLen: p, noiseSlots: 0 }, fit.limits);
    } catch (e) {
      throw new EngineError(`cannot answer at size ${r.size}: ${(e as Error).message.replace(/; use a smaller canvas or fewer images$/, '')}; choose a smaller size`);
    }
  }
  return r;
}
