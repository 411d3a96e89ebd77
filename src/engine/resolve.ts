// A request's options resolved: each checked by the options table (options.ts) and given its default
// (the loaded package's, or the engine's) before any work, so a bad request leaves the engine as it
// was. Pure: unit-tested in Node (resolve.test.ts).

import type { AskOptions, GenerateOptions, ModelDefaults } from './api';
import { type CanvasRequest, resolveCanvas } from './canvas';
import { EngineError } from './errors';
import { STRIDE, vaeStride } from './limits';
import { ASK_OPTIONS, CANVAS_KEYS, defaultValue, GENERATE_OPTIONS, generateOption, optionError, type OptionSpec, optionValid,
  packageFallback, presetConflict } from './options';
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
function resolved(o: object, spec: OptionSpec, d: ModelDefaults, stride: number): unknown {
  const v = (o as Record<string, unknown>)[spec.key] ?? defaultValue(spec, d);
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

/** ask()'s options with their defaults, checked by the options table. */
export function resolveAsk(o: AskOptions): Required<AskOptions> {
  checkOptionNames(o, ASK_NAMES, 'ask');
  const v: Record<string, unknown> = {};
  for (const spec of ASK_OPTIONS) v[spec.key] = resolved(o, spec, {} as ModelDefaults, STRIDE);
  return v as Required<AskOptions>;
}
