// `npm run eval -- shapes --quick` end to end: the embedded default through the real engine in
// headless Chromium (generate --prompts, ask --questions), scored by ShapesEval — the reduced run
// of the full evaluation (one held-out prompt per GenEval category, six held-out questions). It checks
// the pipeline, not the model's quality: the shipped default is too weak for a quality bar on six
// prompts (README, "The embedded default").
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(path.join(tmpdir(), 'harmon-eval-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const TAGS = ['single_object', 'two_object', 'counting', 'colors', 'position', 'color_attr'];

it('ShapesEval --quick on the embedded default: all six categories, six questions, scored', async () => {
  const out = path.join(tmp, 'quick');
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'eval', '--', 'shapes', '--quick', '--out', out], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    child.on('error', reject);
    child.on('close', (c) => (c === 0 ? resolve(c) : reject(new Error(`eval exited with ${c}:\n${log.slice(-4000)}`))));
  });
  expect(code).toBe(0);
  const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
  expect(Object.keys(results.geneval.tags)).toEqual(TAGS);
  expect(results.images).toHaveLength(6);
  for (const r of results.images) expect(existsSync(r.filename)).toBe(true);
  expect(results.vqa.items).toBe(6);
  // answers came from the engine: one per question, each a non-empty prediction
  const answers = readFileSync(path.join(out, 'answers.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(answers.map((a) => typeof a.prediction === 'string' && a.prediction.length > 0)).toEqual(Array(6).fill(true));
  // every image was judged by the detector (its verdict and what it saw are recorded)
  for (const r of results.images) expect(typeof r.correct === 'boolean' && Array.isArray(r.detections)).toBe(true);
}, 1_200_000);
