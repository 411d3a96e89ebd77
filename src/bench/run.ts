// `npm run bench`: times the real engine in headless Chromium, per backend and stage by stage, and
// compares the effective FLOP/s with a matmul peak measured on the same backend in the same run
// (page.ts). Models: the embedded default at its own settings and a random-weight model of
// Harmon-0.5B's shapes at reduced depth (written by `npm run bench:model` when missing; on a CPU
// path at 64², 4 MAR steps, 10 sampling steps, where its own 256²/64/100 would take long; left out
// on webgpu over a software adapter, where even that takes many minutes) — or only
// the --model packages, at their own settings. --size/--steps/--sampling-steps apply to every model.
//
//   npm run bench -- [--backend auto|webgpu|wasm|all|webgpu,wasm] [--model PKG_DIR]... [--size 256]
//                    [--steps 64] [--sampling-steps 100] [--matmul 2048]
//   npm run bench -- --preset 0.5b|1.5b ...   the released sizes, per dtype (sizes_run.ts)

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendChoice } from '../engine/api';
import { parseBackend, UsageError } from '../cli/args';
import { type FlagSpecs, intFlag, optionFlagSpecs, readOptionFlags, splitFlags, str } from '../cli/flags';
import { generateOption } from '../engine/options';
import { chromiumArgs, chromiumPath } from '../cli/chromium';
import { startServer } from '../cli/server';
import type { BenchModel, BenchOptions, BenchReport, Settings } from './page';
import { reportLines } from './table';
import { runSizes } from './sizes_run';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DEFAULT_MODEL = 'models/default/package';
const BENCH_MODEL = 'models/bench/harmon-0.5b-reduced';
const REDUCED: Settings = { size: 64, steps: 4, samplingSteps: 10 };

export const USAGE = `usage: npm run bench -- [--backend auto|webgpu|wasm|all|webgpu,wasm] [--model PKG_DIR]...
                      [--size N] [--steps N] [--sampling-steps N | --fast] [--matmul N]
Default: --backend auto; the embedded default (its own settings) and Harmon-0.5B's shapes at reduced
depth (npm run bench:model). With --model: only those packages (inside the repository), at their own
settings. Flags left out take each package's defaults.
       npm run bench -- --preset 0.5b|1.5b ...: the released sizes per dtype (--preset --help).`;

export interface BenchArgs {
  backends: BackendChoice[];
  models: string[];
  settings: Settings;
  matmul?: number;
}

/** The table options bench's --size/--steps/--sampling-steps/--fast are (the engine's names and bounds). */
const SETTINGS = (['size', 'steps', 'samplingSteps', 'preset'] as const).map(generateOption);
const FLAGS: FlagSpecs = {
  backend: { kind: 'value' }, model: { kind: 'value', multiple: true }, matmul: { kind: 'value' }, ...optionFlagSpecs(SETTINGS),
};

/** Parses the command line (node:util parseArgs, cli/flags.ts); a bad argument is a UsageError. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs | 'help' {
  const flags = splitFlags(argv, FLAGS, 'bench');
  if (flags === 'help') return 'help';
  const a: BenchArgs = { backends: ['auto'], models: [], settings: {} };
  const backend = str(flags, 'backend');
  if (backend !== undefined) {
    const list = backend.trim().toLowerCase() === 'all' ? ['webgpu', 'wasm'] : backend.split(',');
    a.backends = [...new Set(list.map((b) => parseBackend(b)))];
  }
  for (const m of (flags.get('model') as string[] | undefined) ?? []) {
    if (m.trim() === '') throw new UsageError('--model needs a package folder');
    a.models.push(m);
  }
  readOptionFlags(flags, SETTINGS, a.settings);
  a.matmul = intFlag(flags, 'matmul', (v) => v >= 16, 'an integer ≥ 16');
  if (a.matmul === undefined) delete a.matmul;
  return a;
}

/** The packages to run, as URLs on the bench's server (the repository root). */
function models(a: BenchArgs): BenchModel[] {
  const inRepo = (dir: string) => {
    const rel = path.relative(root, path.resolve(dir));
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw new UsageError(`--model ${dir}: must be inside the repository (served by the bench page)`);
    if (!existsSync(path.join(root, rel, 'manifest.json'))) throw new UsageError(`--model ${dir}: no manifest.json (not a model package)`);
    return `/${rel.split(path.sep).join('/')}/`;
  };
  if (a.models.length) return a.models.map((dir) => ({ label: dir, url: inRepo(dir), settings: a.settings }));
  const out: BenchModel[] = [];
  if (existsSync(path.join(root, DEFAULT_MODEL, 'manifest.json'))) out.push({ label: 'embedded default', url: `/${DEFAULT_MODEL}/`, settings: a.settings });
  else console.log(`(no embedded default at ${DEFAULT_MODEL} yet: skipped)`);
  if (!existsSync(path.join(root, BENCH_MODEL, 'manifest.json'))) {
    console.log(`writing ${BENCH_MODEL} (npm run bench:model) …`);
    const r = spawnSync('npm', ['run', '--silent', 'bench:model'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('npm run bench:model failed');
  }
  out.push({
    label: 'Harmon-0.5B shapes, reduced depth', url: `/${BENCH_MODEL}/`, settings: a.settings, cpuSettings: REDUCED,
    // measured: its full KL-16 VAE alone decodes in minutes there (0.1 GFLOP/s); a run took > 40 min
    skipOnSoftwareGpu: `skipped on a software adapter (its VAE alone takes minutes per image there); --model ${BENCH_MODEL} runs it`,
  });
  return out;
}

async function main(): Promise<number> {
  if (process.argv.slice(2).some((x) => x === '--preset' || x.startsWith('--preset='))) return runSizes(process.argv.slice(2), root);
  let a: BenchArgs | 'help';
  let list: BenchModel[];
  try {
    a = parseBenchArgs(process.argv.slice(2));
    if (a === 'help') {
      console.log(USAGE);
      return 0;
    }
    list = models(a);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`error: ${e.message}`);
    return 2;
  }
  const server = await startServer({ root });
  const { chromium } = await import('playwright');
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs(), headless: true });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => { if (m.type() === 'error' && process.env.HARMON_DEBUG) console.error(m.text()); });
    await page.exposeFunction('harmonBenchLog', (line: string) => console.error(line));
    await page.goto(`${server.origin}/src/bench/bench.html`, { waitUntil: 'load', timeout: 180_000 });
    await page.waitForFunction(() => 'harmonBench' in window, undefined, { timeout: 60_000 });
    const opts: BenchOptions = { backends: a.backends, models: list, matmul: a.matmul,
      kernelsFirst: process.env.HARMON_BENCH_LLM_ORDER === 'kernels-first' };
    const report: BenchReport = await page.evaluate((o) => window.harmonBench.run(o), opts);
    for (const line of reportLines(report)) console.log(line);
    return report.backends.some((b) => b.error) ? 1 : 0;
  } finally {
    await browser.close();
    await server.close();
  }
}

// Only when run as the command (the test imports parseBenchArgs).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then((code) => process.exit(code), (e) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  });
}
