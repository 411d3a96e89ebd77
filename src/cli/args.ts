// Command-line arguments of `npm run harmon` (DESIGN.md §6): parsing and every check that can be done
// before anything heavy starts (no server, no browser). A bad argument is a UsageError: the entry
// prints "error: <message>" on one line and exits with status 2.

import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AskOptions, BackendChoice, GenerateOptions } from '../engine/api';
import { textProblem } from '../engine/limits';
import { ASK_OPTIONS, BACKEND_OPTION, GENERATE_OPTIONS, generateOption, optionRule, parseOption, presetConflict } from '../engine/options';
import { UsageError } from './errors';
import { type FlagSpecs, type Flags, imageInput, optionFlagSpecs, optionHelp, readInput, readOptionFlags, splitFlags, statOrUndefined,
  str } from './flags';
import { parseJsonlObjects } from './jsonl';
import { checkDeterministicInputs, deterministicInputsKnown, parseOrdersJson } from './layout';
import { parseSource, parseSourceFlags, type SourceArgs } from './source';

/** The embedded default model package, relative to the repository root. */
export const DEFAULT_MODEL_DIR = 'models/default/package';

export { UsageError };
export { checkDeterministicInputs, checkNoise, checkOrders, parseOrdersJson, tokensFor } from './layout';
export { readInput } from './flags';

export type ModelRef = { kind: 'dir'; dir: string } | { kind: 'url'; url: string };

export interface PromptEntry {
  prompt: string;
  /** the input line exactly as read (without its line break); `--prompt` makes a JSON line */
  line: string;
  /** 1-based line number in the --prompts file (0 for --prompt) */
  lineNumber: number;
  /** the line's optional "image" and "mask": file names relative to the --prompts file */
  image?: string;
  mask?: string;
  /** with "image": this prompt's partly known image (read by parseGenerate, with the --image flags) */
  source?: SourceArgs;
}

/** What the CLI passes to engine.generate, less the deterministic inputs (sent separately) and the
 * source image, its mask and offset (decoded and placed at run time: source.ts). */
export type CliGenerateOptions = Omit<GenerateOptions, 'orders' | 'noise' | 'preview' | 'image' | 'mask' | 'offset'> & { n: number; seed: number };

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
  /** --image and its flags: a partly known image (inpainting, outpainting, variations) */
  source?: SourceArgs;
  /** --orders / --noise still need the package's defaults (no --size, --noise without
   * --sampling-steps, or with --fast without --steps) or the decoded --image: call
   * checkDeterministicInputs with the engine's ModelInfo.defaults after load (and the planned source),
   * before generating. The CLI never reads the manifest for them: the engine owns them. */
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
  /** the ask options given (the engine applies its defaults to the rest) */
  options: AskOptions;
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
                    [--width W --height H] [--fast]
  npm run harmon -- generate [--model ...] --prompts prompts.jsonl --out DIR     (GenEval layout)
                    (a line may name an "image" and a "mask", relative to the file: that prompt edits
                     the image, with --keep-pixels, --outpaint, --strength, --grow-mask as given)
  npm run harmon -- generate [--model ...] --image in.png --prompt "..." --out out.png [--mask mask.png]
                    [--outpaint LEFT,TOP,RIGHT,BOTTOM] [--strength F] [--keep-pixels] [--grow-mask]
                    [--width W --height H] [same settings as above]
  npm run harmon -- ask [--model ...] --image img.png --question "..." [--max-new-tokens 256] [--tokens]
                    [--size S] [--repetition-penalty P]
  npm run harmon -- ask [--model ...] --questions questions.jsonl [--max-new-tokens 256] [--size S]
                    [--repetition-penalty P]
                    (lines {"image": PATH, "question": "..."}; PATH relative to the file; prints each
                     line with "prediction" added, as JSON lines)
Every command: [--backend auto|webgpu|wasm] (default auto: webgpu on a hardware GPU, wasm — the
CPU through onnxruntime-web's WASM — on a software adapter or without WebGPU).

Without --model: the embedded default (${DEFAULT_MODEL_DIR}). Options left out take the model
package's defaults (the engine applies them). With --prompts, prompt i (0-based) uses seed + i.
--width/--height: the canvas in pixels (multiples of 16; default --size, or the --image's size).
--fast: the fast preset (50 → 5 diffusion steps over the MAR steps; not with --sampling-steps).
A partly known image (--image, any format the browser decodes) keeps its tokens outside the
regenerated area: --mask (white = regenerate; resized to the canvas, nearest neighbour),
--outpaint (pixels added per side, multiples of 16; the image sits at LEFT,TOP), --strength F in
(0, 1] (a variation: that fraction of the tokens, of the masked ones if any), --grow-mask (one more
token ring), --keep-pixels (the source's pixels pasted back outside it, feathered over 16 px).
--orders/--noise then cover the u generated tokens; --latents the whole canvas (gh × gw × 16).
ask pads the image to a grey square and resizes it to --size (a multiple of 16; default the
package's, 512 for the released models, as the official image2text) as PIL does; answers are
greedy with the package's --repetition-penalty (Qwen's 1.1 for converted models; 1 = none).
Environment: HARMON_DEBUG=1 forwards the page's errors and Vite's log to stderr;
CHROMIUM_PATH (default /usr/bin/chromium); HARMON_CHROMIUM_FLAGS adds Chromium flags.

generate's settings:
${optionHelp(GENERATE_OPTIONS).join('\n')}
ask's settings:
${optionHelp(ASK_OPTIONS).join('\n')}
every command:
${optionHelp([BACKEND_OPTION]).join('\n')}`;

/** Flags of `npm run harmon` that are not engine options (the files in and out, the model). */
const COMMON_FLAGS: FlagSpecs = { model: { kind: 'value' }, ...optionFlagSpecs([BACKEND_OPTION]) };
const COMMANDS: Record<string, FlagSpecs> = {
  generate: {
    ...COMMON_FLAGS, ...optionFlagSpecs(GENERATE_OPTIONS),
    prompt: { kind: 'value' }, prompts: { kind: 'value' }, out: { kind: 'value' }, latents: { kind: 'value' }, orders: { kind: 'value' },
    noise: { kind: 'value' }, image: { kind: 'value' }, mask: { kind: 'value' }, outpaint: { kind: 'value' }, 'keep-pixels': { kind: 'switch' },
  },
  ask: {
    ...COMMON_FLAGS, ...optionFlagSpecs(ASK_OPTIONS),
    image: { kind: 'value' }, question: { kind: 'value' }, questions: { kind: 'value' }, tokens: { kind: 'switch' },
  },
};

/** The repository root, from this file's location (src/cli/). */
export function repoRoot(): string {
  return fileURLToPath(new URL('../..', import.meta.url));
}

/** Splits argv into the command and its flags; checks names, values present, no repeats. */
export function splitArgs(argv: readonly string[]): { command: string; flags: Flags } | 'help' {
  if (argv.length === 0) throw new UsageError('expected a command: generate or ask (see --help)');
  const first = argv[0];
  if (first === '--help' || first === '-h' || first === 'help') return 'help';
  if (first.startsWith('-')) throw new UsageError(`expected a command (generate or ask) before ${first}`);
  const spec = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (!spec) throw new UsageError(`unknown command "${first}": expected generate or ask`);
  const flags = splitFlags(argv.slice(1), spec, first);
  return flags === 'help' ? 'help' : { command: first, flags };
}

/** A --backend value (undefined: auto). Shared by `npm run harmon`, `npm run eval` and `npm run bench`. */
export function parseBackend(raw: string | undefined, flag = '--backend'): BackendChoice {
  if (raw === undefined) return 'auto';
  const v = parseOption(BACKEND_OPTION, raw);
  if (v === undefined) throw new UsageError(`${flag} must be ${optionRule(BACKEND_OPTION)} (got "${raw}")`);
  return v as BackendChoice;
}

/** Throws unless `text` is a usable prompt/question (the engine's rule). `what` names it in the message. */
export function checkText(text: string, what = 'prompt', where = ''): void {
  const problem = textProblem(text, what);
  if (problem) throw new UsageError(`${where}${problem}`);
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

/** GenEval's evaluation_metadata.jsonl: one JSON object per line with a non-empty string `prompt`.
 * Blank lines are skipped; each entry keeps its line unchanged. A line may also name an "image"
 * (and a "mask" for it), relative to the file: that prompt then edits that image, as --image and
 * --mask would. */
export function parsePromptsJsonl(text: string, label: string): PromptEntry[] {
  return parseJsonlObjects(text, label, ['prompt'], 'prompts').map(({ obj, line, lineNumber }) => {
    const prompt = obj.prompt as string;
    const where = `${label} line ${lineNumber}: `;
    checkText(prompt, 'prompt', where);
    const entry: PromptEntry = { prompt, line, lineNumber };
    for (const key of ['image', 'mask'] as const) {
      const v = obj[key];
      if (v === undefined) continue;
      if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`${where}"${key}" must be a file name (a non-empty string)`);
      entry[key] = v;
    }
    if (entry.mask !== undefined && entry.image === undefined) throw new UsageError(`${where}"mask" needs an "image" (the source the mask marks)`);
    return entry;
  });
}

/** --prompts lines that name an "image": each is read (relative to the file) into its own source,
 * with the shared --image flags (--keep-pixels, --outpaint, --strength, --grow-mask). The flags
 * that name one source or one token layout for every prompt do not combine with them. */
function readLineSources(flags: Flags, prompts: PromptEntry[], promptsFile: string, cwd: string, options: CliGenerateOptions): void {
  const first = prompts.find((p) => p.image !== undefined)!;
  const lines = `--prompts lines that name an "image" (${promptsFile} line ${first.lineNumber})`;
  for (const flag of ['image', 'mask', 'orders', 'noise'] as const) {
    if (!flags.has(flag)) continue;
    const why = flag === 'image' ? 'each line names its own' : flag === 'mask' ? 'give each line its own "mask"'
      : 'each line has its own unknown tokens';
    throw new UsageError(`--${flag} cannot be used with ${lines}: ${why}`);
  }
  const shared = parseSourceFlags(flags);
  const base = path.dirname(path.resolve(cwd, promptsFile));
  for (const p of prompts) {
    if (p.image === undefined) continue;
    try {
      const image = { name: p.image, bytes: imageInput(p.image, 'image', base) };
      const mask = p.mask === undefined ? undefined : { name: p.mask, bytes: imageInput(p.mask, 'mask', base) };
      p.source = { image, mask, ...shared };
    } catch (e) {
      throw new UsageError(`${promptsFile} line ${p.lineNumber}: ${(e as Error).message}`);
    }
  }
}

function parseGenerate(flags: Flags, ctx: ParseContext): GenerateCommand {
  const cwd = ctx.cwd ?? process.cwd();
  const prompt = str(flags, 'prompt');
  const promptsFile = str(flags, 'prompts');
  if (prompt !== undefined && promptsFile !== undefined) throw new UsageError('--prompt and --prompts cannot be used together');
  if (prompt === undefined && promptsFile === undefined) throw new UsageError('generate needs --prompt TEXT or --prompts FILE');
  if (prompt !== undefined) checkText(prompt);
  const outRaw = str(flags, 'out');
  if (outRaw === undefined) throw new UsageError(promptsFile !== undefined ? 'generate needs --out DIR' : 'generate needs --out FILE.png');

  // n and seed are pinned here (the orders and --prompts' seed + i need them); the other settings
  // left out are the engine's to fill in
  const defaults = (key: 'n' | 'seed') => { const d = generateOption(key).default; return d.from === 'engine' ? d.value as number : 0; };
  const options: CliGenerateOptions = { n: defaults('n'), seed: defaults('seed') };
  readOptionFlags(flags, GENERATE_OPTIONS, options);
  const conflict = presetConflict(options, { fast: '--fast', samplingSteps: '--sampling-steps' });
  if (conflict) throw new UsageError(conflict);
  const n = options.n;
  const backend = parseBackend(str(flags, 'backend'));

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
    const bytes = readInput('prompts', promptsFile, cwd);
    prompts = parsePromptsJsonl(bytes.toString('utf8'), promptsFile);
  } else {
    prompts = [{ prompt: prompt!, line: JSON.stringify({ prompt }), lineNumber: 0 }];
  }
  let source: SourceArgs | undefined;
  if (promptsFile !== undefined && prompts.some((p) => p.image !== undefined)) readLineSources(flags, prompts, promptsFile, cwd, options);
  else source = parseSource(flags, cwd);

  const ordersFile = str(flags, 'orders');
  const noiseFile = str(flags, 'noise');
  const cmd: GenerateCommand = {
    command: 'generate', model, backend, prompts, genEval: promptsFile !== undefined,
    out, latents, options, inputLabels: { orders: ordersFile, noise: noiseFile }, source, pendingDeterministicCheck: false,
  };
  if (ordersFile !== undefined) cmd.orders = parseOrdersJson(readInput('orders', ordersFile, cwd).toString('utf8'), ordersFile, n);
  if (noiseFile !== undefined) {
    const bytes = readInput('noise', noiseFile, cwd);
    if (bytes.byteLength % 4 !== 0) throw new UsageError(`--noise ${noiseFile}: ${bytes.byteLength} bytes is not a whole number of float32 values`);
    cmd.noise = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  if (cmd.orders || cmd.noise) {
    // Known from the flags: checked now. Otherwise once the page has decoded --image and the engine
    // has loaded the package (harmon.ts).
    if (deterministicInputsKnown(cmd)) checkDeterministicInputs(cmd);
    else cmd.pendingDeterministicCheck = true;
  }
  return cmd;
}

function parseAsk(flags: Flags, ctx: ParseContext): AskCommand {
  const imageName = str(flags, 'image');
  const question = str(flags, 'question');
  const questionsFile = str(flags, 'questions');
  const options: AskOptions = {};
  readOptionFlags(flags, ASK_OPTIONS, options);
  const tokens = flags.get('tokens') === true;
  const backend = parseBackend(str(flags, 'backend'));
  if (questionsFile !== undefined) {
    if (imageName !== undefined || question !== undefined) {
      throw new UsageError('--questions cannot be used with --image or --question');
    }
    if (tokens) throw new UsageError('--tokens is for a single question (--image/--question)');
    const model = resolveModel(str(flags, 'model'), ctx);
    const text = readInput('questions', questionsFile, ctx.cwd ?? process.cwd()).toString('utf8');
    const base = path.dirname(path.resolve(ctx.cwd ?? process.cwd(), questionsFile));
    const items = parseJsonlObjects(text, questionsFile, ['image', 'question'], 'questions').map(({ obj, line, lineNumber }) => {
      const where = `${questionsFile} line ${lineNumber}: `;
      checkText(obj.question as string, 'question', where);
      const name = obj.image as string;
      let image: Uint8Array;
      try {
        image = imageInput(name, 'image', base);
      } catch (e) {
        throw new UsageError(`${where}${(e as Error).message}`);
      }
      return { image, imageName: name, question: obj.question as string, line };
    });
    return { command: 'ask', model, backend, items, batch: true, options, tokens: false };
  }
  if (imageName === undefined) throw new UsageError('ask needs --image FILE (or --questions FILE)');
  if (question === undefined) throw new UsageError('ask needs --question TEXT');
  checkText(question, 'question');
  const model = resolveModel(str(flags, 'model'), ctx);
  const image = imageInput(imageName, 'image', ctx.cwd ?? process.cwd());
  return { command: 'ask', model, backend, items: [{ image, imageName, question }], batch: false, options, tokens };
}

/** Parses and validates the whole command line. Throws UsageError with a one-line message. */
export function parseCommand(argv: readonly string[], ctx: ParseContext = { root: repoRoot() }): Command {
  const split = splitArgs(argv);
  if (split === 'help') return { command: 'help', text: USAGE };
  return split.command === 'generate' ? parseGenerate(split.flags, ctx) : parseAsk(split.flags, ctx);
}
