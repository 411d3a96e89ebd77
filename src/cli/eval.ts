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
import type { BackendChoice } from '../engine/api';
import { DEFAULT_MODEL_DIR, parseBackend, repoRoot, UsageError } from './args';

const USAGE = `usage: npm run eval -- shapes [--model PKG_DIR] [--out DIR] [--quick] [--n 1] [--steps N]
                        [--sampling-steps N] [--cfg C] [--seed 0] [--vqa 48] [--backend auto|webgpu|wasm]
                        [--reference [--checkpoint DIR]]

Generates ShapesEval's held-out prompts (GenEval layout under DIR/images) and answers its held-out
questions (DIR/answers.jsonl) with the engine — or with the PyTorch reference and the training
checkpoint (default: the package's sibling checkpoint/) — then scores them: per-category accuracy
by GenEval's rules, overall = mean of the six categories, VQA exact match. Prints the table and
writes DIR/results.json. --quick: one prompt per category and 6 questions. Settings left out take
the package's defaults; prompt i uses seed + i. --backend: the engine's (npm run harmon --backend).

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
  reference: boolean;
  checkpoint?: string;
  n: number;
  seed: number;
  vqa: number;
  steps?: number;
  samplingSteps?: number;
  cfg?: number;
  backend: BackendChoice;
  /** inpaint: the number of cases, and the prompts' phrasing */
  cases: number;
  phrasing: string;
}

function fail(msg: string): never {
  process.stderr.write(`error: ${msg}\n`);
  process.exit(2);
}

function parse(argv: string[], root: string): EvalArgs {
  if (argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (argv[0] !== 'shapes' && argv[0] !== 'inpaint') fail(`expected the benchmark name "shapes" or "inpaint" first\n${USAGE}`);
  const bench = argv[0];
  const a: EvalArgs = {
    bench, model: path.join(root, DEFAULT_MODEL_DIR), out: '', quick: false, reference: false, n: 1, seed: 0, vqa: 48, backend: 'auto',
    cases: 48, phrasing: 'describe',
  };
  const only = new Set(bench === 'shapes' ? ['--cases', '--phrasing'] : ['--vqa', '--reference', '--checkpoint']);
  const num = (flag: string, v: string | undefined, int = true): number => {
    const x = Number(v);
    if (v === undefined || !Number.isFinite(x) || (int && !Number.isInteger(x)) || x < 0) fail(`${flag} needs a number, got ${v}`);
    return x;
  };
  for (let i = 1; i < argv.length; i++) {
    const [flag, v] = [argv[i], argv[i + 1]];
    const takes = () => (i++, v);
    if (only.has(flag)) fail(`${flag} is not an option of eval ${bench}\n${USAGE}`);
    if (flag === '--model') a.model = path.resolve(takes() ?? fail('--model needs a folder'));
    else if (flag === '--out') a.out = path.resolve(takes() ?? fail('--out needs a folder'));
    else if (flag === '--checkpoint') a.checkpoint = path.resolve(takes() ?? fail('--checkpoint needs a folder'));
    else if (flag === '--quick') a.quick = true;
    else if (flag === '--reference') a.reference = true;
    else if (flag === '--n') a.n = num(flag, takes());
    else if (flag === '--seed') a.seed = num(flag, takes());
    else if (flag === '--vqa') a.vqa = num(flag, takes());
    else if (flag === '--cases') a.cases = num(flag, takes()) || fail('--cases needs at least 1');
    else if (flag === '--phrasing') {
      a.phrasing = takes() ?? fail('--phrasing needs describe or object');
      if (a.phrasing !== 'describe' && a.phrasing !== 'object') fail(`--phrasing must be describe or object, got ${a.phrasing}`);
    }
    else if (flag === '--steps') a.steps = num(flag, takes());
    else if (flag === '--sampling-steps') a.samplingSteps = num(flag, takes());
    else if (flag === '--cfg') a.cfg = num(flag, takes(), false);
    else if (flag === '--backend') {
      try {
        a.backend = parseBackend(takes() ?? fail('--backend needs auto, webgpu or wasm'));
      } catch (e) {
        fail((e as UsageError).message);
      }
    }
    else fail(`unknown argument ${flag}\n${USAGE}`);
  }
  a.out ||= path.join(root, 'models', 'eval', bench === 'inpaint' ? `inpaint-engine${a.quick ? '-quick' : ''}`
    : `shapes-${a.reference ? 'reference' : 'engine'}${a.quick ? '-quick' : ''}`);
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
  const a = parse(argv, root);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(a.model, 'manifest.json'), 'utf8')) as Manifest;
  } catch (e) {
    fail(`--model ${a.model}: cannot read its manifest.json (${(e as Error).message}); train the default with \`npm run train\``);
  }
  // The questions' images are rendered at the model's own input size (the engine resizes any other).
  const size = manifest.config?.image_size ?? 64;
  const given = { '--steps': a.steps, '--sampling-steps': a.samplingSteps, '--cfg': a.cfg };
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
  await run(py, ['-m', 'shapes.evalset', 'prepare', a.out, '--vqa', String(a.vqa), '--size', String(size), ...(a.quick ? ['--quick'] : [])], root);
  let settings: string;
  if (a.reference) {
    // the reference has no engine to fill them in: the package's defaults, as the engine reads them
    const d = manifest.defaults ?? {};
    const ref = { '--steps': a.steps ?? d.steps, '--sampling-steps': a.samplingSteps ?? manifest.diffusion?.default_sampling_steps,
      '--cfg': a.cfg ?? d.cfg, '--temperature': d.temperature };
    const checkpoint = a.checkpoint ?? path.join(path.dirname(a.model), 'checkpoint');
    await run(py, ['-m', 'shapes.evalset', 'reference', a.out, '--checkpoint', checkpoint, ...flags(ref),
      '--seed', String(a.seed), '--n', String(a.n)], root);
    settings = flags(ref).join(' ');
  } else {
    // only what was given: the engine applies the package's defaults to the rest
    await run(tsx, [harmon, 'generate', '--model', a.model, '--backend', a.backend, '--prompts', path.join(a.out, 'prompts.jsonl'),
      '--out', path.join(a.out, 'images'), ...flags(given), '--seed', String(a.seed), '--n', String(a.n)], root);
    await run(tsx, [harmon, 'ask', '--model', a.model, '--backend', a.backend, '--questions', path.join(a.out, 'vqa', 'questions.jsonl'),
      '--max-new-tokens', '32'], root, path.join(a.out, 'answers.jsonl'));
    settings = ['package defaults', ...flags(given)].join(' ');
  }
  const label = `ShapesEval — ${a.reference ? 'PyTorch reference' : `engine (--backend ${a.backend}, headless Chromium)`}, ` +
    `${path.relative(root, a.model) || a.model}, ${settings}, seed ${a.seed} + prompt index, n ${a.n}`;
  await run(py, ['-m', 'shapes.evalset', 'score', a.out, '--label', label], root);
  process.stderr.write(`ShapesEval took ${((Date.now() - t0) / 60000).toFixed(1)} min; results in ${path.relative(process.cwd(), a.out)}/results.json\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`error: ${e.message}\n`);
    process.exit(1);
  },
);
