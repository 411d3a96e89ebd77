// The generation, answer and engine options, defined once: for each its name, type, bounds, where
// its default comes from and the one rule its error messages state. The engine checks requests with
// it (engine.ts, canvas.ts); the CLI's flags (src/cli/flag-table.ts), the demo's settings form and
// the widget's attributes are made from it, so a bound or a message changes here and nowhere else.
// Adding an option is one entry in GENERATE_OPTIONS or ASK_OPTIONS (plus what it does in the engine).
//
// Each surface names an option its own way — the engine by its key (`samplingSteps`), the CLI by a
// kebab-case flag (`--sampling-steps`), the widget by an attribute (`sampling-steps`), the demo by
// its label — and says the same rule after it ("must be an integer from 2 to 1000").

import type { AskDefaults, AskOptions, EngineOptions, GenerateOptions, ModelDefaults } from './api';
import { MAX_IMAGES, STRIDE } from './limits';

/** Where a request that leaves an option out gets its value. */
export type OptionDefault =
  /** the loaded package's (ModelInfo.defaults, from its manifest); `fallback` when the manifest has
   * none (DESIGN.md §6's settings; `size` falls back to the model's image size instead) */
  | { from: 'package'; key: keyof ModelDefaults; fallback?: number | string }
  /** the loaded package's understanding settings (ModelInfo.ask, from its manifest's
   * `understanding`); `fallback` when the manifest has none (`size` falls back to the model's image
   * size instead) */
  | { from: 'understanding'; key: keyof AskDefaults; fallback?: number }
  /** a constant of the engine */
  | { from: 'engine'; value: number | string | boolean }
  /** made from other options of the request, as `text` says */
  | { from: 'request'; text: string };

interface Common<K extends string> {
  /** the field of the request (GenerateOptions, AskOptions, EngineOptions) */
  key: K;
  /** what it means, in a few words (CLI help) */
  help: string;
  default: OptionDefault;
  /** the CLI flag: kebab-case of `key` unless named; `{ name, sets }` is a switch that sets this
   * enum to `sets`; false: no flag */
  flag?: string | false | { name: string; sets: string };
  /** the widget's attribute: kebab-case of `key` unless named; false: none */
  attribute?: string | false;
  /** the demo's and the widget's starting value where it differs from the engine's default */
  pageDefault?: number;
}

export type OptionSpec<K extends string = string> = Common<K> & (
  /** `stride`: a positive multiple of the VAE stride */
  | { type: 'int'; min?: number; max?: number; stride?: true }
  /** `above`: an exclusive lower bound */
  | { type: 'number'; min?: number; max?: number; above?: number }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'bool' }
);

type GenerateKey = Exclude<keyof GenerateOptions, 'image' | 'mask' | 'offset' | 'orders' | 'noise'>;

/** generate()'s scalar options, in the order the CLI's help lists them. */
export const GENERATE_OPTIONS: readonly OptionSpec<GenerateKey>[] = [
  { key: 'n', type: 'int', min: 1, max: MAX_IMAGES, default: { from: 'engine', value: 1 }, help: 'images per prompt', attribute: false },
  { key: 'size', type: 'int', stride: true, default: { from: 'package', key: 'size' }, help: 'image side in pixels (a square canvas)' },
  { key: 'width', type: 'int', stride: true, default: { from: 'request', text: 'size, or with an image its own width' },
    help: 'canvas width in pixels', attribute: false },
  { key: 'height', type: 'int', stride: true, default: { from: 'request', text: 'size, or with an image its own height' },
    help: 'canvas height in pixels', attribute: false },
  { key: 'steps', type: 'int', min: 1, max: 1024, default: { from: 'package', key: 'steps', fallback: 64 }, help: 'MAR steps' },
  { key: 'cfg', type: 'number', min: 1, max: 100, default: { from: 'package', key: 'cfg', fallback: 3 }, help: 'classifier-free guidance scale' },
  { key: 'cfgSchedule', type: 'enum', values: ['constant', 'linear'], default: { from: 'package', key: 'cfgSchedule', fallback: 'constant' },
    help: 'the guidance over the MAR steps' },
  { key: 'temperature', type: 'number', min: 0, max: 10, default: { from: 'package', key: 'temperature', fallback: 1 }, help: 'sampling temperature' },
  { key: 'samplingSteps', type: 'int', min: 2, max: 1000, default: { from: 'package', key: 'samplingSteps', fallback: 100 },
    help: 'diffusion sampling steps per token, at every MAR step' },
  { key: 'preset', type: 'enum', values: ['default', 'fast'], default: { from: 'engine', value: 'default' }, flag: { name: 'fast', sets: 'fast' },
    help: 'the fast preset: 50 → 5 diffusion sampling steps over the MAR steps (not with sampling steps)' },
  { key: 'seed', type: 'int', default: { from: 'engine', value: 0 }, help: 'random seed' },
  { key: 'strength', type: 'number', above: 0, max: 1, default: { from: 'request', text: 'none: every unknown token is generated' },
    help: 'with an image: a variation, the share of the (masked) tokens regenerated' },
  { key: 'growMask', type: 'bool', default: { from: 'engine', value: false }, help: 'with an image: widen the token mask by one ring', attribute: false },
  { key: 'preview', type: 'bool', default: { from: 'engine', value: false }, help: 'a preview image after every step', flag: false },
];

/** ask()'s options. A question's `size` must also fit the model's positions and the backend's
 * buffers, which only the loaded model knows (resolveAsk checks it). */
export const ASK_OPTIONS: readonly OptionSpec<keyof AskOptions>[] = [
  { key: 'maxNewTokens', type: 'int', min: 1, max: 2048, default: { from: 'engine', value: 256 }, attribute: 'max-tokens', pageDefault: 128,
    help: 'longest answer, in tokens' },
  { key: 'size', type: 'int', stride: true, default: { from: 'understanding', key: 'size' },
    help: 'the side the image is padded to a square and resized to (512 for the released models)' },
  { key: 'repetitionPenalty', type: 'number', above: 0, max: 10, default: { from: 'understanding', key: 'repetitionPenalty', fallback: 1 },
    help: "Hugging Face's repetition penalty on the answer's tokens (Qwen's 1.1 for converted models; 1 = plain greedy)" },
];

/** Engine.create's choice of backend. */
export const BACKEND_OPTION: OptionSpec<'backend'> = {
  key: 'backend', type: 'enum', values: ['auto', 'webgpu', 'wasm'], default: { from: 'engine', value: 'auto' },
  help: 'auto: webgpu on a hardware GPU, wasm (the CPU) on a software adapter or without WebGPU',
} satisfies OptionSpec<keyof EngineOptions>;

/** The entry for `key` (a typo in a key is a type error). */
export function generateOption(key: GenerateKey): OptionSpec<GenerateKey> {
  return GENERATE_OPTIONS.find((o) => o.key === key)!;
}

export function askOption(key: keyof AskOptions): OptionSpec<keyof AskOptions> {
  return ASK_OPTIONS.find((o) => o.key === key)!;
}

/** The options resolveCanvas checks (the canvas's size and what of a source image is regenerated). */
export const CANVAS_KEYS = ['size', 'width', 'height', 'strength', 'growMask'] as const;

/** The value a request that leaves the option out gets (undefined: none, or made from other
 * options): `d` the package's generation settings, `ask` its understanding settings. */
export function defaultValue(o: OptionSpec, d: Partial<ModelDefaults>, ask: Partial<AskDefaults> = {}): unknown {
  if (o.default.from === 'package') return d[o.default.key];
  if (o.default.from === 'understanding') return ask[o.default.key];
  return o.default.from === 'engine' ? o.default.value : undefined;
}

/** Whether the option's default is the loaded package's (a generation or an understanding setting). */
export function fromPackage(o: OptionSpec): boolean {
  return o.default.from === 'package' || o.default.from === 'understanding';
}

function fallbackOf(from: 'package' | 'understanding', key: string): number | string {
  const o = [...GENERATE_OPTIONS, ...ASK_OPTIONS].find((s) => s.default.from === from && s.default.key === key);
  const fallback = o?.default.from === from ? o.default.fallback : undefined;
  if (fallback === undefined) throw new Error(`the options table has no fallback for the package's ${key}`);
  return fallback;
}

/** DESIGN.md §6's value of a package setting, for a manifest that leaves it out. */
export function packageFallback<K extends keyof ModelDefaults>(key: K): ModelDefaults[K] {
  return fallbackOf('package', key) as ModelDefaults[K];
}

/** The value of an understanding setting for a manifest without it (a package from before the
 * setting answers greedily). */
export function understandingFallback<K extends keyof AskDefaults>(key: K): AskDefaults[K] {
  return fallbackOf('understanding', key) as AskDefaults[K];
}

/** camelCase → kebab-case: the CLI's and the widget's spelling of a key. */
export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The option's widget attribute, or undefined when it has none. */
export function attributeName(o: OptionSpec): string | undefined {
  return o.attribute === false ? undefined : o.attribute ?? kebab(o.key);
}

const list = (values: readonly (string | number)[]) =>
  values.length === 1 ? String(values[0]) : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;

/** The rule a value must follow, as every message says it: "an integer from 2 to 1000". `stride`:
 * the model's VAE stride (before a model is loaded: every Harmon package's, 16). */
export function optionRule(o: OptionSpec, stride = STRIDE): string {
  switch (o.type) {
    case 'int':
      if (o.stride) return `a positive multiple of ${stride}`;
      if (o.min !== undefined && o.max !== undefined) return `an integer from ${o.min} to ${o.max}`;
      return o.min !== undefined ? `an integer ≥ ${o.min}` : 'an integer';
    case 'number':
      if (o.above !== undefined) return `a number in (${o.above}, ${o.max ?? '∞'}]`;
      if (o.min !== undefined && o.max !== undefined) return `a finite number from ${o.min} to ${o.max}`;
      return o.min !== undefined ? `a finite number ≥ ${o.min}` : 'a finite number';
    case 'enum':
      return list(o.values);
    case 'bool':
      return 'true or false';
  }
}

/** Whether a typed value (a request's) follows the option's rule. */
export function optionValid(o: OptionSpec, v: unknown, stride = STRIDE): boolean {
  switch (o.type) {
    case 'int':
      if (!(typeof v === 'number' && Number.isSafeInteger(v))) return false;
      if (o.stride) return v > 0 && v % stride === 0;
      return (o.min === undefined || v >= o.min) && (o.max === undefined || v <= o.max);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) && (o.min === undefined || v >= o.min)
        && (o.max === undefined || v <= o.max) && (o.above === undefined || v > o.above);
    case 'enum':
      return typeof v === 'string' && o.values.includes(v);
    case 'bool':
      return typeof v === 'boolean';
  }
}

/** The engine's message for a bad request value: "samplingSteps must be an integer from 2 to 1000, got 1". */
export function optionError(o: OptionSpec, v: unknown, stride = STRIDE): string {
  return `${o.key} must be ${optionRule(o, stride)}, got ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`;
}

const INT_RE = /^[+-]?\d+$/;
const NUM_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A decimal integer (no exponent, no hex), or undefined. */
export function parseIntStrict(raw: string): number | undefined {
  const s = raw.trim();
  if (!INT_RE.test(s)) return undefined;
  const v = Number(s);
  return Number.isSafeInteger(v) ? v : undefined;
}

/** A finite decimal number (no hex, no Infinity), or undefined. */
export function parseNum(raw: string): number | undefined {
  const s = raw.trim();
  if (!NUM_RE.test(s)) return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

/** A value typed as text (a flag, an attribute, a form field) → the option's value, or undefined
 * when it breaks the rule (the caller names the option and says optionRule). Enums and booleans
 * ignore case and surrounding space. */
export function parseOption(o: OptionSpec, raw: string, stride = STRIDE): number | string | boolean | undefined {
  let v: number | string | boolean | undefined;
  if (o.type === 'int') v = parseIntStrict(raw);
  else if (o.type === 'number') v = parseNum(raw);
  else if (o.type === 'enum') v = raw.trim().toLowerCase();
  else {
    const s = raw.trim().toLowerCase();
    v = s === 'true' ? true : s === 'false' ? false : undefined;
  }
  return v !== undefined && optionValid(o, v, stride) ? v : undefined;
}

/** The one rule between options: the fast preset chooses S per MAR step, so an explicit S with it
 * (which it would silently override) is refused. `names` says both as the surface spells them. */
export function presetConflict(o: { preset?: unknown; samplingSteps?: unknown }, names: { fast: string; samplingSteps: string }): string | undefined {
  if (o.preset !== 'fast' || o.samplingSteps === undefined) return undefined;
  return `${names.fast} sets the sampling steps per MAR step (50 → 5): leave out ${names.samplingSteps} (got ${o.samplingSteps})`;
}
