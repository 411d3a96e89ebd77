// The embedded default end to end, as a newcomer meets it: the BUILT site (which ships
// models/default/package), a fresh page, a prompt typed and Generate pressed with no click on "Load
// model" (first touch: the preselected default loads, then generates at the package's own settings),
// then, on another fresh page, a question about that picture asked with no model loaded either.
//
// The picture is read by ShapesEval's detector (models/shapes): it must hold the shape the prompt
// names in the colour it names, by GenEval's rule for a "colors" prompt. The prompt is the first of
// the examples a new user tried ("a red circle"); the previous default drew it as an orange circle
// at seed 0, this one (the factorised latent code, README "The factorised code") as a red one.
//
//   HARMON_E2E_SITE=dir   test an existing build instead of building into a temporary folder

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumArgs, chromiumPath } from '../src/cli/chromium';
import { root, siteFor } from './build';
import { judge } from './detector';
import { imageStats } from './image-stats';
import { serveStatic, type StaticServer } from './server';

const manifest = JSON.parse(readFileSync(path.join(root, 'models/default/package/manifest.json'), 'utf8'));
const PROMPT = 'a red circle';
const META = { tag: 'colors', include: [{ class: 'circle', count: 1, color: 'red' }], prompt: PROMPT };

let tmp: string;
let server: StaticServer;
let browser: Browser;
let png: Buffer;
const pageErrors: string[] = [];

async function freshPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${server.origin}/`);
  return page;
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'harmon-default-e2e-'));
  server = await serveStatic(await siteFor(tmp), []);
  browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs(), headless: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the embedded default in the demo page, on first touch', () => {
  it('generates on a fresh page with no click on "Load model": a real image at the package’s settings', async () => {
    const page = await freshPage();
    // typed and pressed as soon as the page takes it: the engine and the model list may still be coming
    const prompt = page.getByRole('textbox', { name: 'Prompt', exact: true });
    await prompt.fill(PROMPT);
    const generate = page.getByRole('button', { name: 'Generate', exact: true });
    await expect.poll(() => generate.isEnabled(), { timeout: 60_000 }).toBe(true);
    await generate.click();
    const img = page.getByRole('img', { name: PROMPT, exact: true });
    await img.waitFor({ timeout: 240_000 });
    expect(await page.locator('#model-error').textContent()).toMatch(/^Loaded shapes \(fp32/);
    expect(await page.getByRole('combobox', { name: 'Model', exact: true }).inputValue()).toBe('default');
    // the engine applied the package's settings (nothing was set on the page)
    const d = manifest.defaults;
    const card = page.locator('#history li').first();
    expect(await card.locator('.result-meta').textContent()).toBe(`${d.size}×${d.size} · ${d.steps} steps · CFG ${d.cfg} (${d.cfg_schedule})` +
      ` · temperature ${d.temperature} · ${manifest.diffusion.default_sampling_steps} sampling steps · seed 0`);
    const stats = await imageStats(img);
    const bytes = await img.evaluate(async (e: HTMLImageElement) => Array.from(new Uint8Array(await (await fetch(e.src)).arrayBuffer())));
    expect([stats.width, stats.height]).toEqual([d.size, d.size]);
    expect(stats.colours).toBeGreaterThan(16);
    expect(stats.std).toBeGreaterThan(0);
    png = Buffer.from(bytes);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    // what the detector sees: clean objects of the world, the asked red circle among them
    const verdict = await judge(png, META);
    expect(verdict.detections.map((d) => d.class), JSON.stringify(verdict)).toContain('circle');
    expect(verdict.correct, JSON.stringify(verdict)).toBe(true);
    await page.close();
  });

  it('answers a question on a fresh page with no click on "Load model", streamed', async () => {
    const page = await freshPage();
    await page.locator('#chat-file').setInputFiles({ name: 'generated.png', mimeType: 'image/png', buffer: png });
    await expect.poll(() => page.locator('#chat-canvas').getAttribute('aria-label')).toBe('Chat image: generated.png');
    await page.getByRole('textbox', { name: 'Question' }).fill('How many circles are there?');
    const ask = page.getByRole('button', { name: 'Ask', exact: true });
    await expect.poll(() => ask.isEnabled(), { timeout: 60_000 }).toBe(true);
    await ask.click();
    const turn = page.locator('#chat-log .turn').nth(0);
    await expect.poll(() => turn.getAttribute('data-tokens'), { timeout: 240_000 }).toMatch(/^[1-9]\d*$/);
    expect(await page.locator('#model-error').textContent()).toMatch(/^Loaded shapes \(fp32/);
    // an answer in the world's words (the model's accuracy is ShapesEval's business, not this test's)
    const answer = (await turn.locator('.answer-text').textContent())!.trim().toLowerCase();
    expect(answer).toMatch(/^(zero|one|two|three|four|five)$/);
    // the first touch's load left no note in the conversation
    expect(await page.locator('#chat-log .turn.note').count()).toBe(0);
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
