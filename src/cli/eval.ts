// `npm run eval -- shapes …`: ShapesEval of a model package through the REAL engine (headless
// Chromium, via `npm run harmon -- generate --prompts` and `ask --questions`), or through the PyTorch
// reference (--reference) for comparison. Python writes the held-out prompts and questions and
// scores the results (models/shapes/evalset.py); this file only runs the steps in order.
// `npm run eval -- inpaint …`: ShapesInpaint (models/shapes/inpaint.py), scenes of the world with one
// object's tokens masked and the prompt asking for another object there, through the engine in one
// browser session (`generate --prompts` whose lines name their "image" and "mask", --keep-pixels).
// Both paths draw prompt i with seed + i. Settings left out: the engine applies the package's
// defaults itself (nothing is passed); the reference, which has no engine, gets the same values
// from the package's manifest here.

import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendChoice } from '../engine/api';
import { generateOption, presetConflict } from '../engine/options';
import { DEFAULT_MODEL_DIR, parseBackend, repoRoot, UsageError } from './args';
import { type FlagSpecs, intFlag, optionFlagSpecs, readOptionFlags, splitFlags, str } from './flags';

const USAGE = `usage: npm run eval -- shapes [--model PKG_DIR] [--out DIR] [--quick | --seen N] [--n 1] [--steps N]
                        [--sampling-steps N | --fast] [--cfg C] [--temperature T] [--seed 0] [--vqa M]
                        [--backend auto|webgpu|wasm] [--reference [--checkpoint DIR]]

Generates ShapesEval's held-out prompts (GenEval layout under DIR/images) and answers its held-out
questions (DIR/answers.jsonl) with the engine — or with the PyTorch reference and the training
checkpoint (default: the package's sibling checkpoint/) — then scores them: per-category accuracy
by GenEval's rules, overall = mean of the six categories, VQA exact match. Prints the table and
writes DIR/results.json. --quick: one prompt per category and 6 questions. Settings left out take
the package's defaults; prompt i uses seed + i. --backend: the engine's (npm run harmon --backend).
--fast: the engine's fast preset (npm run harmon --fast); not with --reference.
--vqa M: the number of questions (default 48). --seen N: instead of the held-out set, the first N
GenEval-style captions of seen compositions from a training stream the training never drew
(shapes.splits.seen_prompts), and M questions about that stream's scenes (shapes.splits.seen_vqa;
none unless --vqa M): the validation set sampling settings are chosen on, so the held-out prompts
and questions stay a test.

usage: npm run eval -- inpaint [--model PKG_DIR] [--out DIR] [--quick] [--cases 48] [--n 1] [--steps N]
                         [--sampling-steps N] [--cfg C] [--seed 0] [--phrasing describe|object]
                         [--backend auto|webgpu|wasm]

ShapesInpaint: --cases scenes of the world (half asking for a held-out colour-shape pair), one
object's tokens masked, the prompt asking for another object there (--phrasing describe: the whole
edited scene's description, the default; object: the asked object alone). The engine inpaints them
with --keep-pixels (n images per case, case i with seed + i); the detector then checks that the
asked object is inside the mask and the other objects are unchanged. Prints the table and writes
DIR/results.json. --quick: 4 cases, two per category.`;

interface EvalArgs {
  bench: 'shapes' | 'inpaint';
  model: string;
  out: string;
  quick: boolean;
  /** shapes: N seen prompts and `vqa` seen questions (the validation set) instead of the held-out ones; 0: the held-out set */
  seen: number;
  reference: boolean;
  checkpoint?: string;
  n: number;
  seed: number;
  /** questions; left out: shapes.evalset's own default (48 held-out ones, none with --seen, six with --quick) */
  vqa?: number;
  steps?: number;
  samplingSteps?: number;
  cfg?: number;
  temperature?: number;
  /** the engine's fast preset (generate's --fast) */
  fast: boolean;
  backend: BackendChoice;
  /** inpaint: the number of cases, and the prompts' phrasing */
  cases: number;
  phrasing: string;
}

function fail(msg: string): never {
  process.stderr.write(`error: ${msg}\n`);
  process.exit(2);
}

/** The engine options eval passes on to `npm run harmon` (the table's names, bounds and messages). */
const SETTINGS = (['n', 'seed', 'steps', 'samplingSteps', 'cfg', 'temperature'] as const).map(generateOption);
const COMMON: FlagSpecs = {
  model: { kind: 'value' }, out: { kind: 'value' }, quick: { kind: 'switch' }, backend: { kind: 'value' }, ...optionFlagSpecs(SETTINGS),
};
const FLAGS: Record<EvalArgs['bench'], FlagSpecs> = {
  shapes: { ...COMMON, vqa: { kind: 'value' }, seen: { kind: 'value' }, reference: { kind: 'switch' }, checkpoint: { kind: 'value' }, fast: { kind: 'switch' } },
  inpaint: { ...COMMON, cases: { kind: 'value' }, phrasing: { kind: 'value' } },
};
const PHRASINGS = ['describe', 'object'];

/** The command line (node:util parseArgs, flags.ts); a bad argument is a UsageError. */
export function parseEvalArgs(argv: readonly string[], root: string): EvalArgs | 'help' {
  if (argv[0] === '--help' || argv[0] === '-h') return 'help';
  if (argv[0] !== 'shapes' && argv[0] !== 'inpaint') throw new UsageError('expected the benchmark name "shapes" or "inpaint" first (see --help)');
  const bench = argv[0];
  const flags = splitFlags(argv.slice(1), FLAGS[bench], `eval ${bench}`);
  if (flags === 'help') return 'help';
  const given: Partial<Record<'n' | 'seed' | 'steps' | 'samplingSteps' | 'cfg' | 'temperature', number>> = {};
  readOptionFlags(flags, SETTINGS, given);
  const folder = (name: string) => {
    const v = str(flags, name);
    if (v !== undefined && v.trim() === '') throw new UsageError(`--${name} is empty`);
    return v === undefined ? undefined : path.resolve(v);
  };
  const phrasing = str(flags, 'phrasing') ?? 'describe';
  if (!PHRASINGS.includes(phrasing)) throw new UsageError(`--phrasing must be describe or object (got "${phrasing}")`);
  const quick = flags.get('quick') === true;
  const seen = intFlag(flags, 'seen', (v) => v >= 1, 'an integer ≥ 1') ?? 0;
  if (seen && quick) throw new UsageError('--seen N and --quick choose different prompt sets: give one');
  const reference = flags.get('reference') === true;
  const fast = flags.get('fast') === true;
  if (fast && reference) throw new UsageError('--fast runs the engine\'s fast preset; the reference evaluation has no preset (leave out --reference)');
  const conflict = presetConflict({ preset: fast ? 'fast' : undefined, samplingSteps: given.samplingSteps }, { fast: '--fast', samplingSteps: '--sampling-steps' });
  if (conflict) throw new UsageError(conflict);
  const a: EvalArgs = {
    bench, model: folder('model') ?? path.join(root, DEFAULT_MODEL_DIR), out: folder('out') ?? '', quick, seen, reference,
    checkpoint: folder('checkpoint'), n: given.n ?? 1, seed: given.seed ?? 0, steps: given.steps, samplingSteps: given.samplingSteps,
    cfg: given.cfg, temperature: given.temperature, fast, backend: parseBackend(str(flags, 'backend')),
    vqa: intFlag(flags, 'vqa', (v) => v >= 0, 'an integer ≥ 0'),
    cases: intFlag(flags, 'cases', (v) => v >= 1, 'an integer ≥ 1') ?? 48, phrasing,
  };
  a.out ||= path.join(root, 'models', 'eval', bench === 'inpaint' ? `inpaint-engine${a.quick ? '-quick' : ''}`
    : `shapes-${a.reference ? 'reference' : 'engine'}${a.fast ? '-fast' : ''}${a.quick ? '-quick' : ''}${a.seen ? '-seen' : ''}`);
  return a;
}

/** Runs a command with the repo root as working folder; stdout to `stdoutFile` or inherited. */
function run(cmd: string, args: string[], cwd: string, stdoutFile?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', stdoutFile ? 'pipe' : 'inherit', 'inherit'] });
    if (stdoutFile) child.stdout!.pipe(createWriteStream(stdoutFile));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(cmd)} ${args[0]} ${args[1] ?? ''} exited with ${code}`))));
  });
}

interface Manifest {
  defaults?: { steps?: number; cfg?: number; temperature?: number };
  diffusion?: { default_sampling_steps?: number };
  config?: { image_size?: number };
}

/** `--flag value` for each setting given (undefined ones left out). */
function flags(settings: Record<string, number | undefined>): string[] {
  return Object.entries(settings).flatMap(([flag, v]) => (v === undefined ? [] : [flag, String(v)]));
}

export async function main(argv: string[]): Promise<number> {
  const root = repoRoot();
  let parsed: EvalArgs | 'help';
  try {
    parsed = parseEvalArgs(argv, root);
  } catch (e) {
    if (e instanceof UsageError) fail(e.message);
    throw e;
  }
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const a = parsed;
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(a.model, 'manifest.json'), 'utf8')) as Manifest;
  } catch (e) {
    fail(`--model ${a.model}: cannot read its manifest.json (${(e as Error).message}); train the default with \`npm run train\``);
  }
  // The questions' images are rendered at the model's own input size (the engine resizes any other).
  const size = manifest.config?.image_size ?? 64;
  const given = { '--steps': a.steps, '--sampling-steps': a.samplingSteps, '--cfg': a.cfg, '--temperature': a.temperature };
  const py = path.join(root, 'scripts', 'py');
  const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
  const harmon = path.join(root, 'src', 'cli', 'harmon.ts');
  const t0 = Date.now();

  rmSync(a.out, { recursive: true, force: true });
  if (a.bench === 'inpaint') {
    await run(py, ['-m', 'shapes.inpaint', 'prepare', a.out, '--cases', String(a.cases), '--size', String(size), '--seed', String(a.seed),
      '--phrasing', a.phrasing, ...(a.quick ? ['--quick'] : [])], root);
    await run(tsx, [harmon, 'generate', '--model', a.model, '--backend', a.backend, '--prompts', path.join(a.out, 'prompts.jsonl'),
      '--keep-pixels', '--out', path.join(a.out, 'images'), ...flags(given), '--seed', String(a.seed), '--n', String(a.n)], root);
    const label = `ShapesInpaint — engine (--backend ${a.backend}, headless Chromium), ${path.relative(root, a.model) || a.model}, ` +
      `${['package defaults', ...flags(given)].join(' ')}, --keep-pixels, ${a.phrasing} prompts, seed ${a.seed} + case index, n ${a.n}`;
    await run(py, ['-m', 'shapes.inpaint', 'score', a.out, '--label', label], root);
    process.stderr.write(`ShapesInpaint took ${((Date.now() - t0) / 60000).toFixed(1)} min; results in ${path.relative(process.cwd(), a.out)}/results.json\n`);
    return 0;
  }
  await run(py, ['-m', 'shapes.evalset', 'prepare', a.out, ...(a.vqa === undefined ? [] : ['--vqa', String(a.vqa)]), '--size', String(size),
    ...(a.quick ? ['--quick'] : []), ...(a.seen ? ['--seen', String(a.seen)] : [])], root);
  // prepare decides how many questions there are (its default, six with --quick, none with --vqa 0): ask only if it wrote some
  const nQuestions = readFileSync(path.join(a.out, 'vqa', 'questions.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).length;
  let settings: string;
  if (a.reference) {
    // the reference has no engine to fill them in: the package's defaults, as the engine reads them
    const d = manifest.defaults ?? {};
    const ref = { '--steps': a.steps ?? d.steps, '--sampling-steps': a.samplingSteps ?? manifest.diffusion?.default_sampling_steps,
      '--cfg': a.cfg ?? d.cfg, '--temperature': a.temperature ?? d.temperature };
    const checkpoint = a.checkpoint ?? path.join(path.dirname(a.model), 'checkpoint');
    await run(py, ['-m', 'shapes.evalset', 'reference', a.out, '--checkpoint', checkpoint, ...flags(ref),
      '--seed', String(a.seed), '--n', String(a.n)], root);
    settings = flags(ref).join(' ');
  } else {
    // only what was given: the engine applies the package's defaults to the rest
    await run(tsx, [harmon, 'generate', '--model', a.model, '--backend', a.backend, '--prompts', path.join(a.out, 'prompts.jsonl'),
      '--out', path.join(a.out, 'images'), ...flags(given), ...(a.fast ? ['--fast'] : []), '--seed', String(a.seed), '--n', String(a.n)], root);
    if (nQuestions > 0) {
      await run(tsx, [harmon, 'ask', '--model', a.model, '--backend', a.backend, '--questions', path.join(a.out, 'vqa', 'questions.jsonl'),
        '--max-new-tokens', '32'], root, path.join(a.out, 'answers.jsonl'));
    }
    settings = ['package defaults', ...flags(given), ...(a.fast ? ['--fast'] : [])].join(' ');
  }
  const label = `ShapesEval — ${a.reference ? 'PyTorch reference' : `engine (--backend ${a.backend}, headless Chromium)`}, ` +
    `${path.relative(root, a.model) || a.model}, ${a.seen ? `${a.seen} seen prompts and ${nQuestions} seen questions (validation), ` : ''}${settings}, seed ${a.seed} + prompt index, n ${a.n}`;
  await run(py, ['-m', 'shapes.evalset', 'score', a.out, '--label', label], root);
  process.stderr.write(`ShapesEval took ${((Date.now() - t0) / 60000).toFixed(1)} min; results in ${path.relative(process.cwd(), a.out)}/results.json\n`);
  return 0;
}

// Only when run as the command (the test imports parseEvalArgs).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => {
      process.stderr.write(`error: ${e.message}\n`);
      process.exit(1);
    },
  );
}
