// `npm run bench`: times the real engine in headless Chromium, stage by stage, on the embedded
// default and on a random-weight model of Harmon-0.5B's shapes at reduced depth (written by
// `npm run bench:model` when missing), and compares the effective FLOP/s with the matmul peak
// measured on the same adapter in the same run.
//
//   npm run bench -- [--size 256] [--steps 64] [--sampling-steps 100] [--matmul 2048] [--model PKG_DIR]

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumArgs, chromiumPath } from '../cli/chromium';
import { startServer } from '../cli/server';
import type { BenchOptions, BenchReport, ModelReport } from './page';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DEFAULT_MODEL = 'models/default/package';
const BENCH_MODEL = 'models/bench/harmon-0.5b-reduced';

function parse(argv: string[]): BenchOptions & { extra: string[] } {
  const o: BenchOptions & { extra: string[] } = { models: [], extra: [] };
  const num = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} takes a positive integer, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, v] = [argv[i], argv[i + 1]];
    if (flag === '--size') o.size = num(flag, v);
    else if (flag === '--steps') o.steps = num(flag, v);
    else if (flag === '--sampling-steps') o.samplingSteps = num(flag, v);
    else if (flag === '--matmul') o.matmul = num(flag, v);
    else if (flag === '--model') o.extra.push(v);
    else throw new Error(`unknown argument ${flag}`);
    i++;
  }
  return o;
}

const fmt = (x: number, d = 1) => x.toFixed(d).padStart(9);

function printModel(m: ModelReport, peak: number): void {
  console.log(`\n${m.label}: ${m.name} (${m.dtype}), ${m.size}², ${m.steps} MAR steps, ${m.samplingSteps} sampling steps`);
  console.log('  stage            ms/step   GFLOP/step  GFLOP/s  share of time');
  const perStep = (r: ModelReport['stages'][number]) => (r.stage === 'vae_decode' || r.stage === 'prefill' ? 1 : m.steps);
  for (const r of m.stages) {
    const unit = perStep(r);
    console.log(`  ${r.stage.padEnd(15)}${fmt(r.ms / unit)}${fmt(r.flops / unit / 1e9, 3)}${fmt(r.flops / r.ms / 1e6, 2)}` +
      `${fmt((100 * r.ms) / m.stages.reduce((s, x) => s + x.ms, 0))}%${unit === 1 ? '  (once per image)' : ''}`);
  }
  const eff = m.totalFlops / m.totalMs / 1e6;
  console.log(`  whole image: ${(m.totalMs / 1000).toFixed(1)} s, ${(m.totalFlops / 1e9).toFixed(2)} GFLOP → ${eff.toFixed(2)} GFLOP/s` +
    ` = ${((100 * eff) / peak).toFixed(1)}% of the matmul peak`);
  console.log(`  per image: ${m.dispatches} compute dispatches, ${m.readbacks} GPU→CPU readbacks (${m.readbacksInLoop} inside the loop)`);
}

async function main(): Promise<number> {
  const o = parse(process.argv.slice(2));
  const models: BenchOptions['models'] = [];
  if (existsSync(path.join(root, DEFAULT_MODEL, 'manifest.json'))) models.push({ label: 'embedded default', url: `/${DEFAULT_MODEL}/` });
  else console.log(`(no embedded default at ${DEFAULT_MODEL} yet: skipped)`);
  if (!existsSync(path.join(root, BENCH_MODEL, 'manifest.json'))) {
    console.log(`writing ${BENCH_MODEL} (npm run bench:model) …`);
    const r = spawnSync('npm', ['run', '--silent', 'bench:model'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('npm run bench:model failed');
  }
  models.push({ label: 'Harmon-0.5B shapes, reduced depth', url: `/${BENCH_MODEL}/` });
  for (const dir of o.extra) {
    const rel = path.relative(root, path.resolve(dir));
    if (rel.startsWith('..')) throw new Error(`--model ${dir}: must be inside the repository (served by the bench page)`);
    models.push({ label: rel, url: `/${rel}/` });
  }
  const server = await startServer({ root });
  const { chromium } = await import('playwright');
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs(), headless: true });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => { if (m.type() === 'error' && process.env.HARMON_DEBUG) console.error(m.text()); });
    await page.goto(`${server.origin}/src/bench/bench.html`, { waitUntil: 'load', timeout: 180_000 });
    await page.waitForFunction(() => 'harmonBench' in window, undefined, { timeout: 60_000 });
    const report: BenchReport = await page.evaluate((opts) => window.harmonBench.run(opts), { ...o, models, extra: undefined } as BenchOptions);
    console.log(`adapter: ${report.adapter}${report.software ? ' (software: reduced settings)' : ''}; features: ${report.features.join(', ') || 'none'}`);
    console.log(`matmul peak: ${report.matmul.gflops.toFixed(2)} GFLOP/s (f32 ${report.matmul.n}³, kernels/matmul_peak)`);
    for (const m of report.models) printModel(m, report.matmul.gflops);
    return 0;
  } finally {
    await browser.close();
    await server.close();
  }
}

main().then((code) => process.exit(code), (e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
