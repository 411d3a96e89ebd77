// The corpus on the CLI (`npm run harmon`, spawned as a user runs it) with the golden tiny model on
// the CPU backend. A refused case exits non-zero with one "error: …" line matching the case's
// pattern; most are refused before any browser starts, the rest (and the valid ones) by the engine
// in the CLI's page. Outcomes go to results/cli.json (the README's table).

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { type Case, type CaseResult, casesFor, judge } from './corpus';
import { changedResults, resultsText } from './results-file';

const root = fileURLToPath(new URL('../..', import.meta.url));
const RESULTS = path.join(root, 'src/reliability/results/cli.json');
const TINY = 'models/golden/tiny/package';
const IMAGE = 'models/golden/tiny/image.png';
const tmp = mkdtempSync(path.join(tmpdir(), 'harmon-reliability-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    // tsx directly, not through npm: the same entry, a second less per case
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/harmon.ts', ...args], {
      cwd: root, env: { ...process.env, HARMON_DEBUG: '' }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** The CLI's arguments for a case (the probe's small settings unless the case sets them). */
function argv(c: Case, i: number): string[] {
  const common = ['--model', TINY, '--backend', 'wasm'];
  if (c.kind === 'generate') {
    const flags = c.cli ?? ['--steps', '1', '--sampling-steps', '2'];
    return ['generate', ...common, '--prompt', String(c.prompt), '--out', path.join(tmp, `${i}.png`), ...flags];
  }
  if (c.kind === 'ask') {
    const flags = c.cli ?? ['--max-new-tokens', '2'];
    return ['ask', ...common, '--image', IMAGE, '--question', String(c.question), ...flags];
  }
  throw new Error(`${c.id}: not a CLI case`);
}

async function runCase(c: Case, i: number): Promise<CaseResult> {
  const r = await run(argv(c, i));
  if (r.code === 0) return judge(c, { ok: true });
  const lines = r.stderr.trimEnd().split('\n');
  const error = lines.filter((l) => l.startsWith('error: '));
  // one line, the last, no stack trace: what the CLI's contract promises for every failure
  const clean = error.length === 1 && lines.at(-1) === error[0] && !/^\s+at /m.test(r.stderr);
  const message = error.length ? error[0].slice('error: '.length).replaceAll(tmp, 'TMP') : `exit ${r.code}: ${r.stderr.slice(-300)}`;
  const res = judge(c, { error: message });
  return clean ? res : { ...res, pass: false, got: `not one clean error line: ${message}` };
}

it('every CLI case exits with its message (or succeeds); results are the committed ones', async () => {
  const cases = casesFor('cli');
  const out: CaseResult[] = new Array(cases.length);
  // two at a time: most end before a browser starts, a few start one
  let next = 0;
  await Promise.all([0, 1].map(async () => {
    while (next < cases.length) {
      const i = next++;
      out[i] = await runCase(cases[i], i);
    }
  }));
  expect(out.filter((r) => !r.pass)).toEqual([]);
  const fresh = resultsText({ cli: out });
  let committed: string | undefined;
  try {
    committed = readFileSync(RESULTS, 'utf8');
  } catch {
    committed = undefined;
  }
  const changed = changedResults('cli', committed, fresh);
  if (changed) writeFileSync(RESULTS, fresh);
  expect(changed).toBeUndefined();
}, 600_000);
