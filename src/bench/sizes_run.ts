// `npm run bench -- --preset 0.5b|1.5b`: the released sizes through the real engine in headless
// Chromium, per dtype, backend and image size: load time, one image, a short answer, and the memory
// the engine reports holding (stats()) — or the limit that refuses the package before its download.
// The packages are random-weight conversions of `npm run bench:model -- --preset` checkpoints (see
// models/harmon/bench_model.py), named pkg-SIZE-DTYPE in --packages DIR (default $HARMON_SIZES_DIR).

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { BackendChoice, EngineStats } from '../engine/api';
import { parseBackend, UsageError } from '../cli/args';
import { chromiumArgs, chromiumPath } from '../cli/chromium';
import { type FlagSpecs, intFlag, splitFlags, str } from '../cli/flags';
import { MODEL_ROUTE, startServer } from '../cli/server';
import type { SizesJob, SizesReport } from './sizes';

export const SIZES_USAGE = `usage: npm run bench -- --preset 0.5b|1.5b [--packages DIR] [--dtypes fp32,fp16,q4]
                      [--backend wasm|webgpu|all] [--sizes 256,512] [--steps 2] [--sampling-steps 2]
                      [--answer-tokens 3] [--ask-size S]
Runs DIR/pkg-PRESET-DTYPE (DIR: --packages, else $HARMON_SIZES_DIR), each job in a fresh page. The
answer (at --ask-size, default the package's) is asked after the first size's image only. --sizes 0:
no image (load, then the question about a grey picture).`;

export interface SizesArgs {
  preset: '0.5b' | '1.5b';
  dir: string;
  dtypes: string[];
  backends: BackendChoice[];
  sizes: number[];
  steps: number;
  samplingSteps: number;
  answerTokens: number;
  askSize?: number;
}

const FLAGS: FlagSpecs = Object.fromEntries(['preset', 'packages', 'dtypes', 'backend', 'sizes', 'steps', 'sampling-steps', 'answer-tokens', 'ask-size']
  .map((n) => [n, { kind: 'value' as const }]));

const list = (s: string | undefined, fallback: string[]) => (s === undefined ? fallback : s.split(',').map((x) => x.trim()).filter(Boolean));

export function parseSizesArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): SizesArgs | 'help' {
  const flags = splitFlags(argv, FLAGS, 'bench --preset');
  if (flags === 'help') return 'help';
  const preset = str(flags, 'preset');
  if (preset !== '0.5b' && preset !== '1.5b') throw new UsageError(`--preset must be 0.5b or 1.5b, got ${preset}`);
  const dir = str(flags, 'packages') ?? env.HARMON_SIZES_DIR;
  if (!dir) throw new UsageError('--preset needs --packages DIR (or $HARMON_SIZES_DIR): the folder holding pkg-SIZE-DTYPE packages');
  const dtypes = list(str(flags, 'dtypes'), ['fp32', 'fp16', 'q4']);
  for (const d of dtypes) if (!['fp32', 'fp16', 'q4'].includes(d)) throw new UsageError(`--dtypes: ${d} is not fp32, fp16 or q4`);
  const b = str(flags, 'backend') ?? 'wasm';
  const backends = (b === 'all' ? ['webgpu', 'wasm'] : b.split(',')).map((x) => parseBackend(x));
  const sizes = list(str(flags, 'sizes'), ['256']).map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0 || n % 16 !== 0) throw new UsageError(`--sizes: ${s} is not 0 or a multiple of 16`);
    return n;
  });
  const pos = (v: number) => v >= 1;
  return {
    preset, dir: path.resolve(dir), dtypes, backends, sizes,
    steps: intFlag(flags, 'steps', pos, 'an integer ≥ 1') ?? 2,
    samplingSteps: intFlag(flags, 'sampling-steps', (v) => v >= 2, 'an integer ≥ 2 (the engine minimum)') ?? 2,
    answerTokens: intFlag(flags, 'answer-tokens', (v) => v >= 0, 'an integer ≥ 0') ?? 3,
    askSize: intFlag(flags, 'ask-size', (v) => v >= 16 && v % 16 === 0, 'a multiple of 16'),
  };
}

const GB = (n: number | undefined) => (n === undefined ? '—' : `${(n / 1e9).toFixed(2)} GB`);
const s = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);

function memoryLine(what: string, m: EngineStats | undefined): string {
  if (!m) return '';
  const o = m.gpuBytesByOwner;
  const gpu = m.gpuPeakBytes > 0 ? `; GPU now ${GB(m.gpuBytes)} (sessions ${GB(o.sessions)}, kernels ${GB(o.kernels)}, ` +
    `KV ${GB(o.kvCache)}, scratch ${GB(o.scratch)}), peak ${GB(m.gpuPeakBytes)}` : '';
  return `    ${what.padEnd(13)} ORT wasm heap ${GB(m.wasmMemoryBytes)}, kernels' wasm ${GB(m.kernelWasmBytes)}${gpu}; KV caches ${GB(m.kvCacheBytes)}`;
}

export function sizesLines(job: SizesJob, r: SizesReport, diskBytes: number): string[] {
  const head = `${job.label} on ${job.backend}${r.backend ? ` (${r.backend.kind}, ${r.backend.adapter})` : ''}, ` +
    `${job.size ? `${job.size}²` : 'no image'}: package ${GB(diskBytes)} on disk`;
  if (r.error) {
    const what = r.error.message.includes('cannot run on the') ? 'refused' : 'failed';
    return [head, `    ${what} after ${s(r.error.ms)}, ${GB(r.error.downloadedBytes)} downloaded: ${r.error.message}`];
  }
  const answer = r.answerTokens === undefined ? '' : `; answer at ${r.askSize}²: ${r.answerTokens} tokens in ${s(r.answerMs)} ${JSON.stringify(r.answerText)}`;
  return [
    `${head}; load ${s(r.loadMs)}${job.size ? `; image (${job.steps} MAR, ${job.samplingSteps} sampling steps) ${s(r.imageMs)}` : ''}${answer}`,
    memoryLine('after load:', r.afterLoad),
    ...(r.afterImage ? [memoryLine('after image:', r.afterImage)] : []),
    ...(r.afterAnswer ? [memoryLine('after answer:', r.afterAnswer)] : []),
  ];
}

export async function runSizes(argv: readonly string[], root: string): Promise<number> {
  let a: SizesArgs | 'help';
  try {
    a = parseSizesArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`error: ${e.message}`);
    return 2;
  }
  if (a === 'help') {
    console.log(SIZES_USAGE);
    return 0;
  }
  const args = a;
  const missing = args.dtypes.filter((d) => !existsSync(path.join(args.dir, `pkg-${args.preset}-${d}`, 'manifest.json')));
  if (missing.length) {
    console.error(`error: no ${missing.map((d) => `pkg-${args.preset}-${d}`).join(', ')} in ${args.dir}: write them with ` +
      `npm run bench:model -- --preset ${args.preset} --out CKPT, then npm run convert (see models/harmon/bench_model.py)`);
    return 2;
  }
  const server = await startServer({ root, modelDir: args.dir });
  const { chromium } = await import('playwright');
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs(), headless: true });
  let failed = false;
  try {
    for (const backend of args.backends) {
      for (const dtype of args.dtypes) {
        const pkg = `pkg-${args.preset}-${dtype}`;
        const manifest = JSON.parse(readFileSync(path.join(args.dir, pkg, 'manifest.json'), 'utf8'));
        const disk = Object.values(manifest.files as Record<string, { bytes: number }>).reduce((t, f) => t + f.bytes, 0);
        for (const [i, size] of args.sizes.entries()) {
          const job: SizesJob = { label: `Harmon-${args.preset} ${dtype}`, url: `${MODEL_ROUTE}${pkg}/`, backend, size,
            steps: args.steps, samplingSteps: args.samplingSteps, answerTokens: i === 0 ? args.answerTokens : 0,
            askSize: args.askSize };
          // a fresh context per job: its own page, its own wasm heap, freed when it closes
          const context = await browser.newContext();
          try {
            const page = await context.newPage();
            await page.exposeFunction('harmonBenchLog', (line: string) => console.error(line));
            await page.goto(`${server.origin}/src/bench/sizes.html`, { waitUntil: 'load', timeout: 180_000 });
            page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
            await page.waitForFunction(() => 'harmonSizes' in window, undefined, { timeout: 300_000 });
            const r: SizesReport = await page.evaluate((j) => window.harmonSizes.run(j), job);
            // a refusal by a limit is a result; any other failure fails the command
            failed ||= Boolean(r.error && !r.error.message.includes('cannot run on the'));
            for (const line of sizesLines(job, r, disk)) console.log(line);
          } catch (e) {
            failed = true;
            console.log(`${job.label} on ${backend}, ${size}²: the page failed: ${(e as Error).message.split('\n')[0]}`);
          } finally {
            await context.close();
          }
        }
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return failed ? 1 : 0;
}
