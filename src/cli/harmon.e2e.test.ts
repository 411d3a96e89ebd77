// End to end: `npm run --silent harmon -- …` as a user runs it. Argument errors need no browser; the
// rest drive the real engine in headless Chromium and run once src/engine/engine.ts exists.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePng } from './output';

const root = fileURLToPath(new URL('../..', import.meta.url));
const hasEngine = existsSync(path.join(root, 'src/engine/engine.ts'));
const TINY = 'models/golden/tiny/package';
const tmp = mkdtempSync(path.join(tmpdir(), 'harmon-e2e-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function harmon(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'harmon', '--', ...args], {
      cwd: root,
      env: { ...process.env, HARMON_DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A failing run: the status, and stderr ends in exactly one "error: …" line, no stack trace. */
function expectError(r: Run, code: number, message: string | RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trimEnd().split('\n');
  const errors = lines.filter((l) => l.startsWith('error:'));
  expect(errors, r.stderr).toHaveLength(1);
  expect(lines.at(-1)).toBe(errors[0]);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  if (typeof message === 'string') expect(errors[0]).toBe(`error: ${message}`);
  else expect(errors[0]).toMatch(message);
  expect(r.stdout).toBe('');
}

describe('argument errors (exit 2, one line, before anything starts)', () => {
  it('empty prompt', async () => {
    expectError(await harmon('generate', '--prompt', '', '--out', path.join(tmp, 'o.png')), 2, 'the prompt is empty');
  });

  it('missing model folder', async () => {
    const r = await harmon('generate', '--model', '/nonexistent/harmon-pkg', '--prompt', 'a cat', '--out', path.join(tmp, 'o.png'));
    expectError(r, 2, 'model folder not found: /nonexistent/harmon-pkg');
  });

  it('invalid --cfg', async () => {
    const r = await harmon('generate', '--model', TINY, '--prompt', 'a cat', '--cfg', '0.5', '--out', path.join(tmp, 'o.png'));
    expectError(r, 2, '--cfg must be a finite number ≥ 1 (got "0.5")');
  });

  it('unknown flag', async () => {
    const r = await harmon('ask', '--model', TINY, '--image', 'x.png', '--question', 'q', '--steps', '3');
    expectError(r, 2, 'unknown option --steps for ask (see --help)');
  });

  it('--help', async () => {
    const r = await harmon('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/npm run harmon -- ask/);
  });
});

describe.skipIf(!hasEngine)('through the engine in Chromium', () => {
  it('a file that is not an image fails in the page decode (exit 1)', async () => {
    const bad = path.join(tmp, 'x.png');
    writeFileSync(bad, 'this is text, not a PNG\n');
    const r = await harmon('ask', '--model', TINY, '--image', bad, '--question', 'What is in the image?');
    expectError(r, 1, /^error: could not decode the image .*x\.png/);
  }, 300_000);

  it('generate writes a grid PNG and the latents', async () => {
    const out = path.join(tmp, 'g.png');
    const lat = path.join(tmp, 'g.f32');
    const r = await harmon(
      'generate', '--model', TINY, '--prompt', 'a red cube', '--n', '2', '--size', '64', '--steps', '2',
      '--sampling-steps', '2', '--out', out, '--latents', lat,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^step 1\/2$/m);
    expect(r.stderr).toMatch(/^step 2\/2$/m);
    const png = decodePng(readFileSync(out));
    expect([png.width, png.height]).toEqual([128, 64]);
    expect(readFileSync(lat).byteLength).toBe(2 * 16 * 16 * 4);
  }, 600_000);

  it('ask prints the answer, then the token ids', async () => {
    const r = await harmon(
      'ask', '--model', TINY, '--image', path.join(root, 'models/golden/tiny/image.png'), '--question', 'What is this?',
      '--max-new-tokens', '4', '--tokens',
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const ids = JSON.parse(lines.at(-2)!);
    expect(Array.isArray(ids) && ids.length <= 4 && ids.every(Number.isInteger)).toBe(true);
  }, 600_000);
});
