// Command-line arguments of `npm run harmon` (DESIGN.md §6): parsing and every check that can be done
// before anything heavy starts (no server, no browser). A bad argument is a UsageError: the entry
// prints "error: <message>" on one line and exits with status 2.

import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendChoice, GenerateOptions, ModelDefaults } from '../engine/api';
import { UsageError } from './errors';
import { parseJsonlObjects } from './jsonl';

export const MAX_PROMPT_CHARS = 2000;
/** The embedded default model package, relative to the repository root. */
export const DEFAULT_MODEL_DIR = 'models/default/package';
/** The VAE stride: image side / token grid side. */
export const STRIDE = 16;
/** Latent channels per token. */
export const TOKEN_DIM = 16;
/** `--backend` values (Engine.create's `backend`). */
export const BACKENDS: readonly BackendChoice[] = ['auto', 'webgpu', 'wasm'];

export { UsageError };

export type ModelRef = { kind: 'dir'; dir: string } | { kind: 'url'; url: string };

export interface PromptEntry {
  prompt: string;
  /** the input line exactly as read (without its line break); `--prompt` makes a JSON line */
  line: string;
  /** 1-based line number in the --prompts file (0 for --prompt) */
  lineNumber: number;
}

/** What the CLI passes to engine.generate, less the deterministic inputs (sent separately). */
export type CliGenerateOptions = Omit<GenerateOptions, 'orders' | 'noise' | 'preview'> & { n: number; seed: number };

export interface GenerateCommand {
  command: 'generate';
  model: ModelRef;
  backend: BackendChoice;
  prompts: PromptEntry[];
  /** true with --prompts: `out` is a folder in GenEval's layout */
  genEval: boolean;
  /** absolute path: a .png file, or with --prompts a folder */
  out: string;
  /** absolute path for --latents */
  latents?: string;
  options: CliGenerateOptions;
  orders?: number[][];
  /** raw little-endian float32 bytes of --noise */
  noise?: Uint8Array;
  /** the --orders / --noise file names, for messages */
  inputLabels: { orders?: string; noise?: string };
  /** --orders / --noise still need the package's defaults (no --size, or --noise without
   * --sampling-steps): call checkDeterministicInputs with the engine's ModelInfo.defaults after
   * load, before generating. The CLI never reads the manifest for them: the engine owns them. */
  pendingDeterministicCheck: boolean;
}

export interface AskItem {
  image: Uint8Array;
  /** the image's path as given, for messages */
  imageName: string;
  question: string;
  /** with --questions: the input line, echoed with the answer */
  line?: string;
}

export interface AskCommand {
  command: 'ask';
  model: ModelRef;
  backend: BackendChoice;
  /** one item for --image/--question; one per line with --questions */
  items: AskItem[];
  /** --questions: answers are JSON lines on stdout */
  batch: boolean;
  maxNewTokens?: number;
  tokens: boolean;
}

export interface HelpCommand {
  command: 'help';
  text: string;
}

export type Command = GenerateCommand | AskCommand | HelpCommand;

export interface ParseContext {
  /** repository root (where models/default/package lives) */
  root: string;
  /** resolves relative paths; process.cwd() by default */
  cwd?: string;
}

export const USAGE = `usage:
  npm run harmon -- generate [--model PKG_DIR_OR_URL] --prompt "..." [--n 1] [--size 256] [--steps 64]
                    [--cfg 3.0] [--cfg-schedule constant|linear] [--temperature 1.0] [--sampling-steps 100]
                    [--seed 0] --out out.png [--latents out.f32] [--orders orders.json] [--noise noise.f32]
  npm run harmon -- generate [--model ...] --prompts prompts.jsonl --out DIR     (GenEval layout)
  npm run harmon -- ask [--model ...] --image img.png --question "..." [--max-new-tokens 256] [--tokens]
  npm run harmon -- ask [--model ...] --questions questions.jsonl [--max-new-tokens 256]
                    (lines {"image": PATH, "question": "..."}; PATH relative to the file; prints each
                     line with "prediction" added, as JSON lines)
Every command: [--backend auto|webgpu|wasm] (default auto: webgpu on a hardware GPU, wasm — the
CPU through onnxruntime-web's WASM — on a software adapter or without WebGPU).

Without --model: the embedded default (${DEFAULT_MODEL_DIR}). Options left out take the model
package's defaults (the engine applies them). With --prompts, prompt i (0-based) uses seed + i.
Environment: HARMON_DEBUG=1 forwards the page's errors and Vite's log to stderr;
CHROMIUM_PATH (default /usr/bin/chromium); HARMON_CHROMIUM_FLAGS adds Chromium flags.`;

type FlagKind = 'value' | 'switch';

const GENERATE_FLAGS: Record<string, FlagKind> = {
  model: 'value', prompt: 'value', prompts: 'value', n: 'value', size: 'value', steps: 'value',
  cfg: 'value', 'cfg-schedule': 'value', temperature: 'value', 'sampling-steps': 'value', seed: 'value',
  out: 'value', latents: 'value', orders: 'value', noise: 'value', backend: 'value',
};
const ASK_FLAGS: Record<string, FlagKind> = {
  model: 'value', backend: 'value', image: 'value', question: 'value', questions: 'value', 'max-new-tokens': 'value', tokens: 'switch',
};
const COMMANDS: Record<string, Record<string, FlagKind>> = { generate: GENERATE_FLAGS, ask: ASK_FLAGS };

/** The repository root, from this file's location (src/cli/). */
export function repoRoot(): string {
  return fileURLToPath(new URL('../..', import.meta.url));
}

/** Splits argv into the command and its flags; checks names, values present, no repeats. */
export function splitArgs(argv: readonly string[]): { command: string; flags: Map<string, string | true> } | 'help' {
  if (argv.length === 0) throw new UsageError('expected a command: generate or ask (see --help)');
  const first = argv[0];
  if (first === '--help' || first === '-h' || first === 'help') return 'help';
  if (first.startsWith('-')) throw new UsageError(`expected a command (generate or ask) before ${first}`);
  const spec = COMMANDS[first];
  if (!spec) throw new UsageError(`unknown command "${first}": expected generate or ask`);
  const flags = new Map<string, string | true>();
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    if (!arg.startsWith('--') || arg === '--') throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const kind = spec[name];
    if (!kind) throw new UsageError(`unknown option --${name} for ${first} (see --help)`);
    if (flags.has(name)) throw new UsageError(`--${name} given more than once`);
    if (kind === 'switch') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      // A following option means this one's value is missing (write --prompt=--x for such a value).
      if (value === undefined || (value.startsWith('--') && value.length > 2)) throw new UsageError(`--${name} needs a value`);
      i++;
    }
    flags.set(name, value);
  }
  return { command: first, flags };
}

const INT_RE = /^[+-]?\d+$/;
const NUM_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseInt_(raw: string): number | undefined {
  const s = raw.trim();
  if (!INT_RE.test(s)) return undefined;
  const v = Number(s);
  return Number.isSafeInteger(v) ? v : undefined;
}

function parseNum(raw: string): number | undefined {
  const s = raw.trim();
  if (!NUM_RE.test(s)) return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

function intFlag(flags: Map<string, string | true>, name: string, ok: (v: number) => boolean, rule: string): number | undefined {
  const raw = flags.get(name);
  if (raw === undefined) return undefined;
  const v = parseInt_(raw as string);
  if (v === undefined || !ok(v)) throw new UsageError(`--${name} must be ${rule} (got "${raw}")`);
  return v;
}

function numFlag(flags: Map<string, string | true>, name: string, ok: (v: number) => boolean, rule: string): number | undefined {
  const raw = flags.get(name);
  if (raw === undefined) return undefined;
  const v = parseNum(raw as string);
  if (v === undefined || !ok(v)) throw new UsageError(`--${name} must be ${rule} (got "${raw}")`);
  return v;
}

function str(flags: Map<string, string | true>, name: string): string | undefined {
  const v = flags.get(name);
  return v === undefined ? undefined : (v as string);
}

/** A --backend value (undefined: auto). Shared by `npm run harmon`, `npm run eval` and `npm run bench`. */
export function parseBackend(raw: string | undefined, flag = '--backend'): BackendChoice {
  if (raw === undefined) return 'auto';
  const v = raw.trim().toLowerCase();
  if (!(BACKENDS as readonly string[]).includes(v)) throw new UsageError(`${flag} must be auto, webgpu or wasm (got "${raw}")`);
  return v as BackendChoice;
}

/** Characters as a person counts them (code points, not UTF-16 units). */
export function charCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Throws unless `text` is a usable prompt/question. `what` names it in the message. */
export function checkText(text: string, what = 'prompt', where = ''): void {
  if (text.trim() === '') throw new UsageError(`${where}the ${what} is empty`);
  const n = charCount(text);
  if (n > MAX_PROMPT_CHARS) {
    throw new UsageError(`${where}the ${what} is longer than the limit of ${MAX_PROMPT_CHARS} characters (it has ${n})`);
  }
}

/** Resolves --model (or the embedded default) to a local package folder or a URL prefix. */
export function resolveModel(raw: string | undefined, ctx: ParseContext): ModelRef {
  const cwd = ctx.cwd ?? process.cwd();
  if (raw === undefined) {
    const dir = path.join(ctx.root, DEFAULT_MODEL_DIR);
    if (!isFile(path.join(dir, 'manifest.json'))) {
      throw new UsageError(`no embedded default model at ${DEFAULT_MODEL_DIR}; pass --model PKG_DIR`);
    }
    return { kind: 'dir', dir };
  }
  if (raw.trim() === '') throw new UsageError('--model is empty');
  if (/^https?:\/\//i.test(raw)) {
    // A URL prefix: passed through unchecked (the page fetches it). Make it a folder URL so that
    // "manifest.json" resolves inside it.
    const url = /[?#]/.test(raw) || raw.endsWith('/') ? raw : `${raw}/`;
    return { kind: 'url', url };
  }
  let p = raw;
  if (/^file:\/\//i.test(raw)) p = fileURLToPath(raw);
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) throw new UsageError(`--model ${raw}: only http(s) URLs or local folders`);
  let dir = path.resolve(cwd, p);
  const st = statOrUndefined(dir);
  if (!st) throw new UsageError(`model folder not found: ${raw}`);
  if (st.isFile() && path.basename(dir) === 'manifest.json') dir = path.dirname(dir);
  else if (!st.isDirectory()) throw new UsageError(`--model ${raw} is not a folder`);
  if (!isFile(path.join(dir, 'manifest.json'))) throw new UsageError(`--model ${raw} has no manifest.json (not a model package)`);
  return { kind: 'dir', dir };
}

function statOrUndefined(p: string) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

/** An output path must be creatable: its nearest existing ancestor is a writable folder. Checked
 * up front so that a long run does not fail only when it writes. */
function checkWritable(flag: string, raw: string, p: string): void {
  let dir = path.dirname(p);
  for (;;) {
    const st = statOrUndefined(dir);
    if (st) {
      if (!st.isDirectory()) throw new UsageError(`--${flag} ${raw}: ${dir} is not a folder`);
      try {
        accessSync(dir, constants.W_OK);
      } catch {
        throw new UsageError(`--${flag} ${raw}: cannot write in ${dir}`);
      }
      return;
    }
    const up = path.dirname(dir);
    if (up === dir) return;
    dir = up;
  }
}

function isFile(p: string): boolean {
  return statOrUndefined(p)?.isFile() ?? false;
}

/** Reads an input file named by a flag, with a clear message when it is missing or unreadable. */
export function readInput(flag: string, raw: string, ctx: ParseContext): Buffer {
  const p = path.resolve(ctx.cwd ?? process.cwd(), raw);
  const st = statOrUndefined(p);
  if (!st) throw new UsageError(`--${flag} ${raw}: file not found`);
  if (!st.isFile()) throw new UsageError(`--${flag} ${raw}: not a file`);
  try {
    return readFileSync(p);
  } catch (e) {
    throw new UsageError(`--${flag} ${raw}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** GenEval's evaluation_metadata.jsonl: one JSON object per line with a non-empty string `prompt`.
 * Blank lines are skipped; each entry keeps its line unchanged. */
export function parsePromptsJsonl(text: string, label: string): PromptEntry[] {
  return parseJsonlObjects(text, label, ['prompt'], 'prompts').map(({ obj, line, lineNumber }) => {
    const prompt = obj.prompt as string;
    checkText(prompt, 'prompt', `${label} line ${lineNumber}: `);
    return { prompt, line, lineNumber };
  });
}

/** --orders: a JSON array of n arrays of integers (permutations are checked once N is known). */
export function parseOrdersJson(text: string, label: string, n: number): number[][] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--orders ${label}: not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(v)) throw new UsageError(`--orders ${label}: expected a JSON array with one permutation per image`);
  if (v.length !== n) {
    throw new UsageError(`--orders ${label}: has ${v.length} order${v.length === 1 ? '' : 's'}; expected one per image (--n ${n})`);
  }
  v.forEach((o, i) => {
    if (!Array.isArray(o) || !o.every((x) => Number.isInteger(x))) {
      throw new UsageError(`--orders ${label}: entry ${i} is not an array of integers`);
    }
  });
  return v as number[][];
}

/** Tokens per image: N = (size / 16)². */
export function tokensFor(size: number): number {
  return (size / STRIDE) ** 2;
}

/** Each order must be a permutation of 0…N−1. */
export function checkOrders(orders: number[][], N: number, label: string): void {
  orders.forEach((o, i) => {
    const seen = new Uint8Array(N);
    const bad = o.length !== N || o.some((x) => {
      if (!Number.isInteger(x) || x < 0 || x >= N || seen[x]) return true;
      seen[x] = 1;
      return false;
    });
    if (bad) throw new UsageError(`--orders ${label}: entry ${i} is not a permutation of 0…${N - 1} (N = ${N} tokens)`);
  });
}

/** --noise must hold n·N·(S+1)·16 little-endian float32 values. */
export function checkNoise(byteLength: number, n: number, N: number, S: number, label: string): void {
  const want = n * N * (S + 1) * TOKEN_DIM * 4;
  if (byteLength !== want) {
    throw new UsageError(
      `--noise ${label}: has ${byteLength} bytes; expected n·N·(S+1)·16·4 = ${n}·${N}·${S + 1}·16·4 = ${want}`,
    );
  }
}

/** Checks --orders / --noise against N and S: from the flags, else from the package's defaults as the
 * engine reports them after load (ModelInfo.defaults; the engine runs the same values). */
export function checkDeterministicInputs(cmd: GenerateCommand, defaults?: Pick<ModelDefaults, 'size' | 'samplingSteps'>): void {
  const size = cmd.options.size ?? defaults?.size;
  const S = cmd.options.samplingSteps ?? defaults?.samplingSteps;
  if (size === undefined || (cmd.noise && S === undefined)) {
    throw new UsageError('--orders/--noise need the image size and sampling steps: the engine reported no package defaults; pass --size and --sampling-steps');
  }
  if (size % STRIDE !== 0) throw new UsageError(`the model's image size ${size} is not a multiple of ${STRIDE}`);
  const N = tokensFor(size);
  if (cmd.orders) checkOrders(cmd.orders, N, cmd.inputLabels.orders ?? 'file');
  if (cmd.noise) checkNoise(cmd.noise.byteLength, cmd.options.n, N, S!, cmd.inputLabels.noise ?? 'file');
  cmd.pendingDeterministicCheck = false;
}

function parseGenerate(flags: Map<string, string | true>, ctx: ParseContext): GenerateCommand {
  const cwd = ctx.cwd ?? process.cwd();
  const prompt = str(flags, 'prompt');
  const promptsFile = str(flags, 'prompts');
  if (prompt !== undefined && promptsFile !== undefined) throw new UsageError('--prompt and --prompts cannot be used together');
  if (prompt === undefined && promptsFile === undefined) throw new UsageError('generate needs --prompt TEXT or --prompts FILE');
  if (prompt !== undefined) checkText(prompt);
  const outRaw = str(flags, 'out');
  if (outRaw === undefined) throw new UsageError(promptsFile !== undefined ? 'generate needs --out DIR' : 'generate needs --out FILE.png');

  const n = intFlag(flags, 'n', (v) => v >= 1, 'an integer ≥ 1') ?? 1;
  const size = intFlag(flags, 'size', (v) => v > 0 && v % STRIDE === 0, `a positive multiple of ${STRIDE}`);
  const steps = intFlag(flags, 'steps', (v) => v >= 1, 'an integer ≥ 1');
  const cfg = numFlag(flags, 'cfg', (v) => v >= 1, 'a finite number ≥ 1');
  const schedule = str(flags, 'cfg-schedule');
  if (schedule !== undefined && schedule !== 'constant' && schedule !== 'linear') {
    throw new UsageError(`--cfg-schedule must be constant or linear (got "${schedule}")`);
  }
  const temperature = numFlag(flags, 'temperature', (v) => v >= 0, 'a finite number ≥ 0');
  const samplingSteps = intFlag(flags, 'sampling-steps', (v) => v >= 2 && v <= 1000, 'an integer from 2 to 1000');
  const seed = intFlag(flags, 'seed', () => true, 'an integer') ?? 0;
  const backend = parseBackend(str(flags, 'backend'));

  const options: CliGenerateOptions = { n, seed };
  if (size !== undefined) options.size = size;
  if (steps !== undefined) options.steps = steps;
  if (cfg !== undefined) options.cfg = cfg;
  if (schedule !== undefined) options.cfgSchedule = schedule;
  if (temperature !== undefined) options.temperature = temperature;
  if (samplingSteps !== undefined) options.samplingSteps = samplingSteps;

  // Outputs.
  if (outRaw.trim() === '') throw new UsageError('--out is empty');
  const out = path.resolve(cwd, outRaw);
  const outStat = statOrUndefined(out);
  const latentsRaw = str(flags, 'latents');
  let latents: string | undefined;
  if (promptsFile !== undefined) {
    if (outStat && !outStat.isDirectory()) throw new UsageError(`--out ${outRaw} exists and is not a folder (--prompts writes a folder)`);
    checkWritable('out', outRaw, path.join(out, '00000'));
    if (latentsRaw !== undefined) throw new UsageError('--latents needs --prompt (one prompt), not --prompts');
  } else {
    if (!/\.png$/i.test(outRaw)) throw new UsageError(`--out ${outRaw} must be a .png file`);
    if (outStat?.isDirectory()) throw new UsageError(`--out ${outRaw} is a folder`);
    checkWritable('out', outRaw, out);
    if (latentsRaw !== undefined) {
      if (latentsRaw.trim() === '') throw new UsageError('--latents is empty');
      latents = path.resolve(cwd, latentsRaw);
      if (statOrUndefined(latents)?.isDirectory()) throw new UsageError(`--latents ${latentsRaw} is a folder`);
      if (latents === out) throw new UsageError('--latents and --out name the same file');
      checkWritable('latents', latentsRaw, latents);
    }
  }

  const model = resolveModel(str(flags, 'model'), ctx);

  let prompts: PromptEntry[];
  if (promptsFile !== undefined) {
    const bytes = readInput('prompts', promptsFile, ctx);
    prompts = parsePromptsJsonl(bytes.toString('utf8'), promptsFile);
  } else {
    prompts = [{ prompt: prompt!, line: JSON.stringify({ prompt }), lineNumber: 0 }];
  }

  const ordersFile = str(flags, 'orders');
  const noiseFile = str(flags, 'noise');
  const cmd: GenerateCommand = {
    command: 'generate', model, backend, prompts, genEval: promptsFile !== undefined,
    out, latents, options, inputLabels: { orders: ordersFile, noise: noiseFile }, pendingDeterministicCheck: false,
  };
  if (ordersFile !== undefined) cmd.orders = parseOrdersJson(readInput('orders', ordersFile, ctx).toString('utf8'), ordersFile, n);
  if (noiseFile !== undefined) {
    const bytes = readInput('noise', noiseFile, ctx);
    if (bytes.byteLength % 4 !== 0) throw new UsageError(`--noise ${noiseFile}: ${bytes.byteLength} bytes is not a whole number of float32 values`);
    cmd.noise = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  if (cmd.orders || cmd.noise) {
    // Known from the flags: checked now. Otherwise once the engine has loaded the package (harmon.ts).
    const known = size !== undefined && (cmd.noise === undefined || samplingSteps !== undefined);
    if (known) checkDeterministicInputs(cmd);
    else cmd.pendingDeterministicCheck = true;
  }
  return cmd;
}

function imageInput(name: string, flag: string, ctx: ParseContext): Uint8Array {
  if (name.trim() === '') throw new UsageError(`--${flag} is empty`);
  const bytes = readInput(flag, name, ctx);
  if (bytes.byteLength === 0) throw new UsageError(`--${flag} ${name}: the file is empty`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function parseAsk(flags: Map<string, string | true>, ctx: ParseContext): AskCommand {
  const imageName = str(flags, 'image');
  const question = str(flags, 'question');
  const questionsFile = str(flags, 'questions');
  const maxNewTokens = intFlag(flags, 'max-new-tokens', (v) => v >= 1, 'an integer ≥ 1');
  const tokens = flags.get('tokens') === true;
  const backend = parseBackend(str(flags, 'backend'));
  if (questionsFile !== undefined) {
    if (imageName !== undefined || question !== undefined) {
      throw new UsageError('--questions cannot be used with --image or --question');
    }
    if (tokens) throw new UsageError('--tokens is for a single question (--image/--question)');
    const model = resolveModel(str(flags, 'model'), ctx);
    const text = readInput('questions', questionsFile, ctx).toString('utf8');
    const base = path.dirname(path.resolve(ctx.cwd ?? process.cwd(), questionsFile));
    const items = parseJsonlObjects(text, questionsFile, ['image', 'question'], 'questions').map(({ obj, line, lineNumber }) => {
      const where = `${questionsFile} line ${lineNumber}: `;
      checkText(obj.question as string, 'question', where);
      const name = obj.image as string;
      let image: Uint8Array;
      try {
        image = imageInput(name, 'image', { ...ctx, cwd: base });
      } catch (e) {
        throw new UsageError(`${where}${(e as Error).message}`);
      }
      return { image, imageName: name, question: obj.question as string, line };
    });
    return { command: 'ask', model, backend, items, batch: true, maxNewTokens, tokens: false };
  }
  if (imageName === undefined) throw new UsageError('ask needs --image FILE (or --questions FILE)');
  if (question === undefined) throw new UsageError('ask needs --question TEXT');
  checkText(question, 'question');
  const model = resolveModel(str(flags, 'model'), ctx);
  const image = imageInput(imageName, 'image', ctx);
  return { command: 'ask', model, backend, items: [{ image, imageName, question }], batch: false, maxNewTokens, tokens };
}

/** Parses and validates the whole command line. Throws UsageError with a one-line message. */
export function parseCommand(argv: readonly string[], ctx: ParseContext = { root: repoRoot() }): Command {
  const split = splitArgs(argv);
  if (split === 'help') return { command: 'help', text: USAGE };
  return split.command === 'generate' ? parseGenerate(split.flags, ctx) : parseAsk(split.flags, ctx);
}
