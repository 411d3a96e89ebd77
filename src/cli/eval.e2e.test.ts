// `npm run eval -- shapes --quick` end to end: the embedded default through the real engine in
// headless Chromium (generate --prompts, ask --questions), scored by ShapesEval — the reduced run
// of the full evaluation (one held-out prompt per GenEval category, six held-out questions). Besides
// the pipeline it holds the shipped default to floors a little under what it scores here (README,
// "The embedded default"): the run is seeded (prompt i with seed + i), so a drop below them is a
// regression of the model, the engine's sampling or its answers, not noise.
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
// The shipped default's quick run: 2 of 6 images right (single object, two objects) and 1 of 6
// answers (shape); the last default scored 4 and 2 on the same prompts and questions, and lower on
// the 360-image validation set (README, "The factorised code": six prompts and six questions are too
// few to choose a model by). Images one below, for float-level differences between machines (a sampled
// image can flip); answers are greedy and held at what the model scores.
const IMAGE_FLOOR = 1;
const ANSWER_FLOOR = 1;

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
  const right = results.images.filter((r: { correct: boolean }) => r.correct).length;
  const answered = Object.values(results.vqa.kinds as Record<string, { correct: number }>).reduce((n, k) => n + k.correct, 0);
  expect(right, 'images the detector accepts').toBeGreaterThanOrEqual(IMAGE_FLOOR);
  expect(answered, 'exact answers').toBeGreaterThanOrEqual(ANSWER_FLOOR);
}, 1_200_000);
