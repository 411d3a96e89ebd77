// The demo's image editor end to end (the BUILT site in headless Chromium, like app.e2e.ts): a mask
// painted on a finished image with the mouse and the keyboard, "Regenerate masked area" → a new
// <img> in the history whose pixels outside the mask are the source's exactly (beyond the one-token
// feather band), then Extend (outpainting) and Variations on the result, and a picked file fitted to
// the model. The model is the golden tiny package (random weights: noise, which is all a pixel
// comparison needs), as the embedded default of the build served in a sub-folder: first touch.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumArgs, chromiumPath } from '../src/cli/chromium';
import { root, siteFor } from './build';
import { serveStatic, type StaticServer } from './server';

const TINY_DIR = path.join(root, 'models/golden/tiny/package');
const SUB = '/sub/';
const PROMPT = 'a red circle on the left';
const INPAINT = 'a blue square';
const RAW = 'the raw decode';
const WIDER = 'a wider picture';
const VARIATION = 'a variation';
const FEATHER = 16;

let tmp: string;
let server: StaticServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

interface Pixels {
  width: number;
  height: number;
  rgba: number[];
}

/** The decoded pixels of the history's <img> whose alt is `alt` (its PNG, exactly). */
function imagePixels(alt: string): Promise<Pixels> {
  return page.getByRole('img', { name: alt, exact: true }).evaluate(async (img: HTMLImageElement) => {
    const blob = await (await fetch(img.src)).blob();
    const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    const c = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = c.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    return { width: c.width, height: c.height, rgba: Array.from(ctx.getImageData(0, 0, c.width, c.height).data) };
  });
}

/** The painted mask, one flag per image pixel, read from the editor's overlay (masked = not transparent). */
function paintedMask(): Promise<{ width: number; height: number; mask: number[] }> {
  return page.locator('#mask-canvas').evaluate((c: HTMLCanvasElement) => {
    const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    return { width: c.width, height: c.height, mask: Array.from({ length: c.width * c.height }, (_, i) => (px[i * 4 + 3] > 0 ? 1 : 0)) };
  });
}

/** Distance from every pixel to the nearest masked one (brute force: the images are small). */
function distances(mask: number[], width: number, height: number): number[] {
  const set: [number, number][] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) set.push([i % width, Math.floor(i / width)]);
  return Array.from({ length: width * height }, (_, i) => {
    const x = i % width, y = Math.floor(i / width);
    let best = Infinity;
    for (const [mx, my] of set) best = Math.min(best, Math.hypot(mx - x, my - y));
    return best;
  });
}

const samePixel = (a: Pixels, ai: number, b: Pixels, bi: number) => [0, 1, 2, 3].every((c) => a.rgba[ai * 4 + c] === b.rgba[bi * 4 + c]);

async function waitForImage(alt: string): Promise<void> {
  await page.getByRole('img', { name: alt, exact: true }).waitFor({ timeout: 180_000 });
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'harmon-edit-e2e-'));
  const site = await siteFor(tmp);
  server = await serveStatic(site, [
    { prefix: `${SUB}models/default/`, dir: TINY_DIR },
    { prefix: SUB, dir: site },
  ]);
  browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs(), headless: true });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the demo page’s image editor (built site, headless Chromium)', () => {
  it('paints a mask over a finished image with the mouse and the keyboard', async () => {
    await page.goto(`${server.origin}${SUB}`);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 60_000 }).toContain('Engine ready');
    await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill(PROMPT);
    await page.getByRole('spinbutton', { name: 'Steps', exact: true }).fill('2');
    await page.getByRole('spinbutton', { name: 'Sampling steps' }).fill('2');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await waitForImage(PROMPT);

    await page.getByRole('button', { name: 'Edit image 1 of result 1' }).click();
    const editor = page.getByRole('application', { name: 'Mask editor' });
    await editor.waitFor();
    expect(await page.locator('#edit-source').textContent()).toBe('Editing #1, image 1 (64×64).');
    expect(await page.getByRole('textbox', { name: 'Edit prompt' }).inputValue()).toBe(PROMPT);
    // "Edit" puts the keyboard in the editor
    expect(await editor.evaluate((e) => document.activeElement === e)).toBe(true);
    const status = page.locator('#mask-status');
    expect(await status.textContent()).toMatch(/Nothing masked yet/);
    expect(await page.getByRole('slider', { name: 'Brush size' }).inputValue()).toBe('16');

    // the keyboard: E/B pick the tool, arrows move the cursor (from the centre; the pointer moves it too), Space paints
    await editor.press('e');
    expect(await page.getByRole('radio', { name: 'Eraser' }).isChecked()).toBe(true);
    await editor.press('b');
    expect(await page.getByRole('radio', { name: 'Brush' }).isChecked()).toBe(true);
    await editor.press('Shift+ArrowUp');
    await expect.poll(() => status.textContent()).toMatch(/^Brush at 32, 16\. Nothing masked yet/);
    await editor.press(' ');
    await expect.poll(() => status.textContent()).toMatch(/^Masked: \d+% of the image \(\d+ of 16 tokens to regenerate\)\.$/);
    const afterKeys = (await paintedMask()).mask.reduce((s, v) => s + v, 0);
    expect(afterKeys).toBeGreaterThan(100);
    // the mouse: a stroke along the top-left of the image (16 px brush)
    const box = (await editor.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.15);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.15, { steps: 6 });
    await page.mouse.up();
    const painted = (await paintedMask()).mask.reduce((s, v) => s + v, 0);
    expect(painted).toBeGreaterThan(afterKeys + 100);

    // Invert twice is the same mask
    const before = await status.textContent();
    await page.getByRole('button', { name: 'Invert mask' }).click();
    expect((await paintedMask()).mask.reduce((s, v) => s + v, 0)).toBe(64 * 64 - painted);
    await page.getByRole('button', { name: 'Invert mask' }).click();
    expect(await status.textContent()).toBe(before);
  });

  it('regenerates the masked area: a new <img> in the history, the source’s pixels outside the mask', async () => {
    const { width, height, mask } = await paintedMask();
    expect(await page.getByRole('checkbox', { name: 'Keep pixels outside the mask' }).isChecked()).toBe(true);
    await page.getByRole('textbox', { name: 'Edit prompt' }).fill(INPAINT);
    await page.getByRole('button', { name: 'Regenerate masked area' }).click();
    // step by step like a generation: the previews come before the image
    await page.locator('#edit-previews canvas[data-step]').first().waitFor({ state: 'attached', timeout: 120_000 });
    await waitForImage(INPAINT);
    expect(await page.locator('#edit-message').textContent()).toMatch(/^Done: inpainting, 1 image in/);
    const card = page.locator('#history li').first();
    expect(await card.locator('.result-meta').textContent()).toMatch(/^Inpainting · 64×64 · 2 steps/);
    expect(await card.locator('figure.source figcaption').textContent()).toBe('From #1, image 1 (64×64)');

    const source = await imagePixels(PROMPT);
    const result = await imagePixels(INPAINT);
    expect([result.width, result.height]).toEqual([width, height]);
    const d = distances(mask, width, height);
    let kept = 0;
    let changedInside = 0;
    for (let i = 0; i < width * height; i++) {
      if (d[i] >= FEATHER) {
        expect(samePixel(result, i, source, i), `pixel (${i % width}, ${Math.floor(i / width)})`).toBe(true);
        kept++;
      } else if (d[i] === 0 && !samePixel(result, i, source, i)) changedInside++;
    }
    expect(kept).toBeGreaterThan(500);
    expect(changedInside).toBeGreaterThan(0);
    // the editor moved on to the result, the mask kept
    expect(await page.locator('#edit-source').textContent()).toBe(`Editing the result of “${INPAINT}” (64×64).`);
    expect((await paintedMask()).mask).toEqual(mask);
  });

  it('without "Keep pixels outside the mask" the decoded pixels outside it drift (what the paste-back is for)', async () => {
    const { width, height, mask } = await paintedMask();
    const keep = page.getByRole('checkbox', { name: 'Keep pixels outside the mask' });
    await keep.setChecked(false);
    await page.getByRole('textbox', { name: 'Edit prompt' }).fill(RAW);
    await page.getByRole('button', { name: 'Regenerate masked area' }).click();
    await waitForImage(RAW);
    const source = await imagePixels(INPAINT);
    const raw = await imagePixels(RAW);
    const d = distances(mask, width, height);
    let drifted = 0;
    for (let i = 0; i < width * height; i++) if (d[i] >= FEATHER && !samePixel(raw, i, source, i)) drifted++;
    expect(drifted).toBeGreaterThan(0);
    await keep.setChecked(true);
  });

  it('extends the image by 32 px (outpainting) and makes variations of it', async () => {
    const before = await imagePixels(RAW);
    await page.getByRole('button', { name: 'Clear mask' }).click();
    expect(await page.locator('#mask-status').textContent()).toMatch(/Nothing masked yet/);
    await page.getByRole('textbox', { name: 'Edit prompt' }).fill(WIDER);
    await page.getByRole('button', { name: 'Extend right' }).click();
    await waitForImage(WIDER);
    const wider = await imagePixels(WIDER);
    expect([wider.width, wider.height]).toEqual([96, 64]);
    expect(await page.locator('#history li').first().locator('.result-meta').textContent()).toMatch(/^Outpainting: 32 px on the right · 96×64/);
    // the source's columns more than a token from the new strip are the source's
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64 - FEATHER; x++) expect(samePixel(wider, y * 96 + x, before, y * 64 + x), `(${x}, ${y})`).toBe(true);
    }

    await page.getByRole('textbox', { name: 'Edit prompt' }).fill(VARIATION);
    await page.getByRole('slider', { name: 'Variation strength' }).fill('0.25');
    expect(await page.locator('#strength-value').textContent()).toBe('0.25');
    await page.getByRole('button', { name: 'Variations' }).click();
    await waitForImage(VARIATION);
    const variation = await imagePixels(VARIATION);
    expect([variation.width, variation.height]).toEqual([96, 64]);
    expect(await page.locator('#history li').first().locator('.result-meta').textContent()).toMatch(/^Variation, strength 0\.25 · 96×64/);
    expect(await page.locator('#history img[alt]:not([alt=""])').count()).toBe(5);
  });

  it('edits a picked file, fitted to the model (sides multiples of 16), and refuses a file that is not an image', async () => {
    const input = page.locator('#edit-file');
    await input.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a picture') });
    await expect.poll(() => page.locator('#edit-message').textContent()).toMatch(/“notes\.txt” is not an image/);
    const png = new PNG({ width: 40, height: 30 });
    for (let i = 0; i < 40 * 30; i++) png.data.set([i % 40 * 6, 90, 200, 255], i * 4);
    await input.setInputFiles({ name: 'small.png', mimeType: 'image/png', buffer: PNG.sync.write(png) });
    await expect.poll(() => page.locator('#edit-source').textContent()).toBe('Editing “small.png” (40×30).');
    // nothing painted: Regenerate says what to do first, and nothing runs
    await page.getByRole('textbox', { name: 'Edit prompt' }).fill('a picked photo');
    await page.getByRole('button', { name: 'Regenerate masked area' }).click();
    await expect.poll(() => page.locator('#edit-message').textContent()).toMatch(/^Paint over the area to regenerate first/);
    await page.getByRole('button', { name: 'Variations' }).click();
    await waitForImage('a picked photo');
    const out = await imagePixels('a picked photo');
    expect([out.width, out.height]).toEqual([48, 32]);
    expect(await page.locator('#history li').first().locator('figure.source figcaption').textContent()).toBe('From “small.png” (48×32)');
    expect(pageErrors).toEqual([]);
  });
});
