// The demo page end to end: the BUILT site (vite build of src/app, as `npm run build` makes it) on a
// plain static server on 127.0.0.1 (cross-origin isolated: e2e/server.ts), in Debian's headless
// Chromium (WebGPU on SwiftShader, a software adapter: the Auto backend runs the engine on the CPU),
// driven through Playwright like a user. The model is the golden tiny package (random weights: it
// draws noise and answers gibberish, which is all these tests need), served at /test-models/tiny/.
//
// The tests in this file share one page and run in order: bad inputs first (each leaves the page
// usable, which the later tests then prove), then load, generate, chat, the backend switched to
// WebGPU and back. Then other pages: a sub-folder, a browser without WebGPU.
//
//   HARMON_E2E_SITE=dir   test an existing build instead of building into a temporary folder
//   HARMON_SCREENSHOTS=1  also save screenshots of the test model (idle, generating, finished) to
//                         e2e/screenshots/ (the README's come from `npm run screenshots`, e2e/screenshots.ts)

import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumArgs, chromiumPath } from '../src/cli/chromium';
import { root, siteFor } from './build';
import { serveStatic, type StaticServer } from './server';

const TINY_DIR = path.join(root, 'models/golden/tiny/package');
const TINY = '/test-models/tiny/';
const TAMPERED = '/test-models/tampered/';
const MISSING = '/test-models/missing/';
const SUB = '/sub/folder/';
const PROMPT = 'a red circle on the left';
const SCREENSHOTS = process.env.HARMON_SCREENSHOTS ? path.join(root, 'e2e/screenshots') : null;
const tinyManifest = JSON.parse(readFileSync(path.join(TINY_DIR, 'manifest.json'), 'utf8'));
const tinyBytes = Object.values(tinyManifest.files as Record<string, { bytes: number }>).reduce((s, f) => s + f.bytes, 0);
// its size as the page writes it (formatBytes)
const total = tinyBytes >= 1e6 ? `${(tinyBytes / 1e6).toFixed(2)} MB` : `${(tinyBytes / 1e3).toFixed(1)} kB`;
// the package's first file, with one byte changed in the middle (same size, different SHA-256)
const [tamperedFile, tamperedMeta] = Object.entries(tinyManifest.files as Record<string, { bytes: number }>)[0];
/** onnxruntime-web's WebAssembly runtime, as the build serves it (under `prefix`ort/) */
const ortWasm = (prefix: string) => new RegExp(`^${prefix}ort/ort-wasm[\\w.-]*\\.wasm$`);

let tmp: string;
let server: StaticServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
/** engine workers the page started (a backend switch starts a new one); not onnxruntime-web's
 * WASM threads, which are workers too */
let workersStarted = 0;
const isEngineWorker = (url: string) => !/\/ort\/ort-wasm/.test(url);

/** Records, in the page, when things appear: load progress texts, preview steps, finished images,
 * streamed answer text. Mutation observers only: nothing in the app exists for the tests. */
function recordEvents(): void {
  type Ev = { kind: string; detail: string; t: number };
  const events: Ev[] = [];
  (window as unknown as { __e2e: Ev[] }).__e2e = events;
  const last: Record<string, string> = {};
  const rec = (kind: string, detail: string | null | undefined) => {
    if (detail === null || detail === undefined || last[kind] === detail) return;
    last[kind] = detail;
    events.push({ kind, detail, t: performance.now() });
  };
  new MutationObserver(() => {
    rec('load', document.getElementById('load-text')?.textContent);
    const steps = [...document.querySelectorAll<HTMLCanvasElement>('#previews canvas[data-step]')].map((c) => c.dataset.step);
    if (steps.length) rec('preview', steps.join(','));
    rec('img', String(document.querySelectorAll('#history img').length));
    const answers = document.querySelectorAll('#chat-log .answer-text');
    if (answers.length) rec('answer', `${answers.length}:${answers[answers.length - 1].textContent}`);
  }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
}

async function events(kind?: string): Promise<{ kind: string; detail: string; t: number }[]> {
  const all = await page.evaluate(() => (window as unknown as { __e2e: { kind: string; detail: string; t: number }[] }).__e2e);
  return kind ? all.filter((e) => e.kind === kind) : all;
}

async function shot(name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

const alertOf = (id: string) => page.locator(`#${id}`);

/** A definition list's terms and values. */
const facts = (selector: string, p: Page = page) => p.locator(selector).evaluate((dl) => Object.fromEntries(
  [...dl.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling?.textContent ?? ''])));

/** The page still takes input: the main buttons are enabled and the prompt can be typed into. */
async function expectUsable(): Promise<void> {
  await expect.poll(() => page.getByRole('button', { name: 'Generate', exact: true }).isEnabled()).toBe(true);
  await expect.poll(() => page.getByRole('button', { name: 'Load model' }).isEnabled()).toBe(true);
  const box = page.getByRole('textbox', { name: 'Prompt', exact: true });
  await box.fill('still typing');
  expect(await box.inputValue()).toBe('still typing');
  await box.fill('');
}

async function loadUrl(url: string): Promise<void> {
  await page.getByRole('combobox', { name: 'Model', exact: true }).selectOption('url');
  await page.getByRole('textbox', { name: 'Model URL' }).fill(url);
  await page.getByRole('button', { name: 'Load model' }).click();
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'harmon-app-e2e-'));
  const site = await siteFor(tmp);
  server = await serveStatic(site, [
    // the same build in a sub-folder, with the tiny package where the page looks for an embedded default
    { prefix: `${SUB}models/default/`, dir: TINY_DIR },
    { prefix: SUB, dir: site },
    { prefix: TINY, dir: TINY_DIR },
    { prefix: TAMPERED, dir: TINY_DIR, tamper: { file: tamperedFile, offset: Math.floor(tamperedMeta.bytes / 2) } },
  ]);
  browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs(), headless: true });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('worker', (w) => {
    if (isEngineWorker(w.url())) workersStarted++;
  });
  await page.addInitScript(recordEvents);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the demo page (built site, headless Chromium)', () => {
  it('loads, starts the engine and shows the capability panel: which backend runs and why', async () => {
    await page.goto(`${server.origin}/`);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 60_000 }).toContain('Engine ready');
    const caps = page.getByRole('region', { name: 'Backend and GPU' });
    expect(await caps.getByRole('combobox', { name: 'Backend' }).inputValue()).toBe('auto');
    // SwiftShader is a software adapter: Auto chose the CPU, and the page says so and why
    expect(await caps.locator('[data-cap=backend]').textContent()).toBe('CPU (WASM)');
    expect(await caps.locator('[data-cap=backend-reason]').textContent()).toMatch(/software|SwiftShader|fallback/i);
    // the e2e server sends COOP/COEP: the page is cross-origin isolated, so WASM may use threads
    expect(await caps.locator('[data-cap=isolated]').textContent()).toBe('yes');
    expect(Number(await caps.locator('[data-cap=threads]').textContent())).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#backend-line').textContent()).toMatch(/^Runs on the CPU \(WebAssembly, \d+ threads?\): ./);
    expect(await page.locator('#backend-line').isVisible()).toBe(true);
    expect(await caps.locator('#caps-note').textContent()).toMatch(/software one .*runs on the CPU through WebAssembly instead/);
    await expect.poll(() => caps.locator('[data-cap=webgpu]').textContent()).toBe('available');
    expect(await caps.locator('[data-cap=adapter]').textContent()).toMatch(/\w/);
    expect(await caps.locator('[data-cap="shader-f16"]').textContent()).toMatch(/^(yes|no)\b/);
    expect(Number((await caps.locator('[data-cap=maxComputeInvocationsPerWorkgroup]').textContent())!.replace(/,/g, ''))).toBeGreaterThanOrEqual(64);
    // the build ships the embedded default (models/default/package): it is preselected
    const select = page.getByRole('combobox', { name: 'Model', exact: true });
    await expect.poll(() => select.locator('option').first().textContent(), { timeout: 30_000 }).toMatch(/^Embedded default: shapes/);
    expect(await select.inputValue()).toBe('default');
    expect(await page.locator('#no-default-note').isVisible()).toBe(false);
    expect(await page.locator('#no-webgpu').isVisible()).toBe(false);
    // the runtime came from the build's own ort/ folder, not a CDN or node_modules (loaded lazily
    // with the first graph, so only the worker and page assets so far)
    expect(server.requests.some((r) => r.startsWith('/node_modules/'))).toBe(false);
    await shot('idle');
  });

  it('refuses an empty prompt with a message', async () => {
    await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill('   ');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await expect.poll(() => alertOf('gen-message').textContent()).toMatch(/Enter a prompt first/);
    expect(await page.getByRole('alert').filter({ hasText: 'Enter a prompt first' }).isVisible()).toBe(true);
    await expectUsable();
  });

  it('says so when the model URL is a 404', async () => {
    await loadUrl(MISSING);
    await expect.poll(() => alertOf('model-error').textContent(), { timeout: 30_000 }).toMatch(/No model package found.*404/);
    expect(await alertOf('model-error').getAttribute('data-kind')).toBe('error');
    expect(await alertOf('model-error').textContent()).toContain(`${MISSING}manifest.json`);
    await expectUsable();
  });

  it('refuses a package whose file does not match its SHA-256', async () => {
    await loadUrl(TAMPERED);
    await expect.poll(() => alertOf('model-error').textContent(), { timeout: 60_000 }).toMatch(/SHA-256 mismatch/);
    const text = (await alertOf('model-error').textContent())!;
    expect(text).toContain(tamperedFile);
    expect(text).toMatch(/^Could not load the model: Verification failed/);
    await expectUsable();
    // nothing was loaded: Generate loads the selected package first (first touch), and says why it cannot
    await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill(PROMPT);
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await expect.poll(() => alertOf('gen-message').textContent(), { timeout: 60_000 }).toMatch(/^Could not load the model: Verification failed.*SHA-256 mismatch/);
    expect(await page.getByRole('img', { name: PROMPT }).count()).toBe(0);
    await expectUsable();
  });

  it('refuses a file that is not an image before any image is chosen', async () => {
    await page.locator('#chat-file').setInputFiles({ name: 'report.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4') });
    await expect.poll(() => alertOf('chat-message').textContent()).toMatch(/“report\.pdf” is not an image \(application\/pdf\)/);
    expect(await page.locator('#chat-canvas').isVisible()).toBe(false);
    expect(await page.locator('#chat-image-label').textContent()).toBe('No image yet.');
    // the page keeps working: the next tests load a model, generate and chat on this same page
    await expectUsable();
  });

  it('loads the tiny package by URL with download progress', async () => {
    await loadUrl(TINY);
    await expect.poll(() => alertOf('model-error').textContent(), { timeout: 120_000 }).toMatch(/^Loaded tiny \(fp32/);
    const texts = (await events('load')).map((e) => e.detail);
    expect(texts.some((t) => t.startsWith('Downloading: ') && t.includes(` of ${total}`))).toBe(true);
    expect(texts.some((t) => /^Checking \S+ \(SHA-256\)/.test(t))).toBe(true);
    expect(texts.some((t) => /^Preparing \S+…/.test(t))).toBe(true);
    expect(texts.at(-1)).toBe('Ready.');
    expect(await page.locator('#model-info').textContent()).toContain('64 × 64');
    expect((await facts('#model-info'))['Runs on']).toMatch(/^CPU \(WASM\) · \d+ threads?$/);
    // the package's own settings (ModelInfo.defaults) fill the inputs, and it is now kept offline
    const d = tinyManifest.defaults;
    expect(await page.getByLabel('Size (px)').inputValue()).toBe(String(d.size));
    expect(await page.getByRole('spinbutton', { name: 'Steps', exact: true }).inputValue()).toBe(String(d.steps));
    expect(await page.getByRole('spinbutton', { name: 'Sampling steps' }).inputValue()).toBe(String(tinyManifest.diffusion.default_sampling_steps));
    expect(await page.getByRole('combobox', { name: 'CFG schedule' }).inputValue()).toBe(d.cfg_schedule);
    // and the chat's understanding settings (ModelInfo.ask: the tiny package asks at 128² with penalty 1.1)
    expect(await page.getByRole('spinbutton', { name: 'Image size' }).inputValue()).toBe(String(tinyManifest.understanding.size));
    expect(await page.getByRole('spinbutton', { name: 'Repetition penalty' }).inputValue()).toBe(String(tinyManifest.understanding.repetition_penalty));
    const cached = page.locator(`#cached-list li[data-base-url="${server.origin}${TINY}"]`);
    await expect.poll(() => cached.count()).toBe(1);
    expect(await cached.textContent()).toContain(total);
    // the ORT runtime was fetched from the build's ort/ folder
    expect(server.requests.filter((r) => /^\/ort\/ort-wasm[\w.-]+\.(mjs|wasm)$/.test(r)).length).toBeGreaterThanOrEqual(2);
  });

  it('generates step by step: previews in a canvas, then <img alt=prompt>', async () => {
    await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill(PROMPT);
    await page.getByRole('spinbutton', { name: 'Steps', exact: true }).fill('2');
    await page.getByRole('spinbutton', { name: 'Sampling steps' }).fill('2');
    await page.getByRole('spinbutton', { name: 'Size (px)' }).fill('64');
    expect(await page.getByRole('checkbox', { name: 'Show the image at each step' }).isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Stop', exact: true }).isEnabled()).toBe(true);
    // on the CPU backend the whole generation may be over before a poll sees the previews shown
    await page.locator('#previews canvas[data-step]').first().waitFor({ state: 'attached', timeout: 120_000 });
    await shot('generating');
    const img = page.getByRole('img', { name: PROMPT, exact: true });
    await img.waitFor({ timeout: 180_000 });
    const previews = await events('preview');
    const imgs = (await events('img')).filter((e) => e.detail === '1');
    expect(previews.length).toBeGreaterThan(0);
    expect(previews[0].t).toBeLessThan(imgs[0].t);
    expect(previews.at(-1)!.detail).toBe('2');
    // the preview canvas holds real pixels
    const drawn = await page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('#previews canvas')!;
      const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      return { w: c.width, opaque: px.filter((_, i) => i % 4 === 3 && px[i] === 255).length };
    });
    expect(drawn).toEqual({ w: 64, opaque: 64 * 64 });
    // the finished image: decoded PNG, its timing, a PNG download
    expect(await img.evaluate((e: HTMLImageElement) => e.complete && e.naturalWidth)).toBe(64);
    const card = page.locator('#history li').first();
    expect(await card.locator('.result-time').textContent()).toMatch(/^1 image in [\d.]+ (ms|s)|^1 image in \d+ min/);
    expect(await card.locator('.result-meta').textContent()).toContain('64×64 · 2 steps');
    const link = card.getByRole('link', { name: /Download image 1 of result 1 as PNG/ });
    expect(await link.getAttribute('download')).toMatch(/^harmon-a-red-circle-on-the-left-seed0-1\.png$/);
    const signature = await link.evaluate(async (a: HTMLAnchorElement) =>
      Array.from(new Uint8Array(await (await fetch(a.href)).arrayBuffer()).slice(0, 8)));
    expect(signature).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(await alertOf('gen-message').textContent()).toMatch(/^Done: 1 image in/);
    await shot('finished');
  });

  it('answers questions about the generated image, streamed, over two turns', async () => {
    await page.getByRole('button', { name: 'Ask about image 1 of result 1' }).click();
    expect(await page.locator('#chat-canvas').getAttribute('aria-label')).toBe('Chat image: image 1 of result 1');
    await page.getByRole('spinbutton', { name: 'Max answer tokens' }).fill('4');
    await page.getByRole('textbox', { name: 'Question' }).fill('What is in the image?');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    const first = page.locator('#chat-log .turn').nth(0);
    await expect.poll(() => first.getAttribute('data-tokens'), { timeout: 120_000 }).toMatch(/^[1-9]\d*$/);
    const streamed = (await events('answer')).filter((e) => e.detail.startsWith('1:') && e.detail.length > 2);
    expect(streamed.length).toBeGreaterThan(0);
    expect(await first.locator('.answer-meta').textContent()).toMatch(/\(\d+ tokens, /);
    // a second turn continues the conversation (its KV cache)
    await page.getByRole('spinbutton', { name: 'Max answer tokens' }).fill('2');
    await page.getByRole('textbox', { name: 'Question' }).fill('And what colour is it?');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    const second = page.locator('#chat-log .turn').nth(1);
    await expect.poll(() => second.getAttribute('data-tokens'), { timeout: 120_000 }).toMatch(/^\d+$/);
    expect(await page.locator('#chat-log .turn').count()).toBe(2);
    expect(await page.getByRole('button', { name: 'New conversation' }).isEnabled()).toBe(true);
    expect(await alertOf('chat-message').isVisible()).toBe(false);
  });

  it('refuses a file that is not an image and keeps the chat image', async () => {
    const chooser = page.locator('#chat-file');
    await chooser.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a picture') });
    await expect.poll(() => alertOf('chat-message').textContent()).toMatch(/“notes\.txt” is not an image/);
    // an "image" that is not one
    await chooser.setInputFiles({ name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('this is no PNG at all') });
    await expect.poll(() => alertOf('chat-message').textContent()).toMatch(/“broken\.png” could not be read as an image/);
    expect(await page.locator('#chat-canvas').getAttribute('aria-label')).toBe('Chat image: image 1 of result 1');
    expect(await page.locator('#chat-log .turn').count()).toBe(2);
    expect(await page.getByRole('button', { name: 'Ask', exact: true }).isEnabled()).toBe(true);
    await expectUsable();
  });

  it('stops a generation with the Stop button', async () => {
    await page.getByRole('checkbox', { name: 'Show the image at each step' }).setChecked(false);
    await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill('a blue square');
    // the tiny package's full 64 × 100 steps: long enough on the CPU backend for Stop to land mid-way
    await page.getByRole('spinbutton', { name: 'Steps', exact: true }).fill('64');
    await page.getByRole('spinbutton', { name: 'Sampling steps' }).fill('100');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Stop', exact: true }).isEnabled()).toBe(true);
    // stop once the first step is in: then at least one more step's check must see the request
    await expect.poll(() => page.locator('#gen-bar').evaluate((b: HTMLProgressElement) => b.value), { timeout: 120_000, interval: 20 })
      .toBeGreaterThanOrEqual(1);
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await expect.poll(() => alertOf('gen-message').textContent(), { timeout: 120_000 }).toMatch(/^Stopped after ([1-9]|[1-5]\d|6[0-3]) of 64 steps/);
    expect(await page.getByRole('img', { name: 'a blue square' }).count()).toBe(0);
    expect(await page.locator('#history li').count()).toBe(1);
    await expectUsable();
  });

  it('loads a package from a local folder, and says when a folder holds none', async () => {
    const select = page.getByRole('combobox', { name: 'Model', exact: true });
    await select.selectOption('folder');
    const folder = page.getByLabel('Model folder');
    await folder.setInputFiles(path.join(root, 'src/app'));
    await page.getByRole('button', { name: 'Load model' }).click();
    await expect.poll(() => alertOf('model-error').textContent()).toMatch(/the selected files contain no manifest\.json/);
    await expectUsable();
    await select.selectOption('folder');
    await folder.setInputFiles(TINY_DIR);
    await page.getByRole('button', { name: 'Load model' }).click();
    await expect.poll(() => alertOf('model-error').textContent(), { timeout: 120_000 }).toMatch(/^Loaded tiny \(fp32/);
    // the new model ended the engine's conversations: the chat says so and starts afresh
    expect(await page.locator('#chat-log').textContent()).toContain('the next question starts a new conversation');
    expect(await page.getByRole('button', { name: 'New conversation' }).isEnabled()).toBe(false);
  });

  it('takes a chat image by paste and by drop, and refuses a pasted non-image', async () => {
    // synthetic clipboard and drag events carrying files, as the browser delivers them
    const send = (kind: 'paste' | 'drop', name: string, type: string) => page.evaluate(async ({ kind, name, type }) => {
      let blob: Blob;
      if (type === 'image/png') {
        const c = new OffscreenCanvas(40, 30);
        const ctx = c.getContext('2d')!;
        ctx.fillStyle = '#c00';
        ctx.fillRect(0, 0, 40, 30);
        blob = await c.convertToBlob({ type: 'image/png' });
      } else {
        blob = new Blob(['plain text'], { type });
      }
      const dt = new DataTransfer();
      dt.items.add(new File([blob], name, { type }));
      if (kind === 'paste') document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true }));
      else document.getElementById('drop-zone')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, { kind, name, type });
    const canvas = page.locator('#chat-canvas');
    await send('paste', 'pasted.png', 'image/png');
    await expect.poll(() => canvas.getAttribute('aria-label')).toBe('Chat image: pasted.png');
    expect(await page.locator('#chat-image-label').textContent()).toBe('pasted.png (40×30)');
    await send('drop', 'dropped.png', 'image/png');
    await expect.poll(() => canvas.getAttribute('aria-label')).toBe('Chat image: dropped.png');
    await send('paste', 'clip.txt', 'text/plain');
    await expect.poll(() => alertOf('chat-message').textContent()).toMatch(/“clip\.txt” is not an image/);
    expect(await canvas.getAttribute('aria-label')).toBe('Chat image: dropped.png');
  });

  it('switching the backend restarts the engine and loads the model again; WebGPU generates too', async () => {
    const backend = page.getByRole('combobox', { name: 'Backend' });
    const before = workersStarted;
    await backend.selectOption('webgpu');
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 120_000 }).toBe('Ready: tiny is loaded.');
    expect(await page.locator('[data-cap=backend]').textContent()).toBe('WebGPU');
    expect(await page.locator('[data-cap=backend-reason]').textContent()).toMatch(/forced|asked|chosen|requested/i);
    expect(await page.locator('#backend-line').textContent()).toMatch(/^Runs on WebGPU on a software adapter/);
    expect((await facts('#model-info'))['Runs on']).toMatch(/^WebGPU · /);
    // a new engine worker; the old one is gone
    expect(workersStarted).toBe(before + 1);
    await expect.poll(() => page.workers().filter((w) => isEngineWorker(w.url())).length).toBe(1);
    // the page's WebGPU path still draws (small: SwiftShader is slow)
    const prompt = 'a purple cross';
    await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill(prompt);
    await page.getByRole('spinbutton', { name: 'Steps', exact: true }).fill('2');
    await page.getByRole('spinbutton', { name: 'Sampling steps' }).fill('2');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    const img = page.getByRole('img', { name: prompt, exact: true });
    await img.waitFor({ timeout: 180_000 });
    expect(await img.evaluate((e: HTMLImageElement) => e.complete && e.naturalWidth)).toBe(64);
    // back to Auto: the CPU again, the model loaded again; the choice is kept for the next visit
    await backend.selectOption('auto');
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 120_000 }).toBe('Ready: tiny is loaded.');
    expect(await page.locator('[data-cap=backend]').textContent()).toBe('CPU (WASM)');
    expect(workersStarted).toBe(before + 2);
    expect(await page.evaluate(() => localStorage.getItem('harmon-backend'))).toBe('auto');
    await expectUsable();
  });

  it('deletes a cached model', async () => {
    const entry = page.locator(`#cached-list li[data-base-url="${server.origin}${TINY}"]`);
    await entry.getByRole('button', { name: /^Delete tiny/ }).click();
    await expect.poll(() => entry.count()).toBe(0);
    expect(await alertOf('model-error').textContent()).toMatch(/^Deleted tiny from the offline cache/);
    expect(pageErrors).toEqual([]);
  });

  it('works from a sub-folder and preselects the embedded default model when the build has one', async () => {
    const other = await browser.newPage();
    try {
      other.on('pageerror', (e) => pageErrors.push(e.message));
      await other.goto(`${server.origin}${SUB}`);
      const select = other.getByRole('combobox', { name: 'Model', exact: true });
      await expect.poll(() => select.locator('option').first().textContent(), { timeout: 30_000 }).toBe(`Embedded default: tiny (${total})`);
      expect(await select.inputValue()).toBe('default');
      expect(await other.locator('#no-default-note').isVisible()).toBe(false);
      expect(await other.locator('#url-row').isVisible()).toBe(false);
      await expect.poll(() => other.getByRole('button', { name: 'Load model' }).isEnabled(), { timeout: 60_000 }).toBe(true);
      await other.getByRole('button', { name: 'Load model' }).click();
      await expect.poll(() => other.locator('#model-error').textContent(), { timeout: 120_000 }).toMatch(/^Loaded tiny \(fp32/);
      expect(server.requests.some((r) => ortWasm(SUB).test(r))).toBe(true);
      expect(pageErrors).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('runs on the CPU in a browser without WebGPU: first touch generates, the note says what is missing', async () => {
    // Chromium without --enable-unsafe-webgpu offers no adapter here, in the page and in workers
    // alike (an init script could hide navigator.gpu from the page only, not from the engine's worker)
    const noGpu = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs().filter((a) => a !== '--enable-unsafe-webgpu'), headless: true });
    try {
      const other = await noGpu.newPage();
      const errors: string[] = [];
      other.on('pageerror', (e) => errors.push(e.message));
      // the sub-folder build: its embedded default is the tiny package
      await other.goto(`${server.origin}${SUB}`);
      const note = other.getByRole('region', { name: 'No WebGPU here: Harmon runs on the CPU' });
      await note.waitFor({ timeout: 30_000 });
      expect(await note.textContent()).toContain('the browser gave no GPU adapter');
      expect(await note.textContent()).toContain('chrome://flags/#enable-unsafe-webgpu');
      expect(await other.locator('#app').isVisible()).toBe(true);
      await expect.poll(() => other.locator('#status').textContent(), { timeout: 60_000 }).toContain('Engine ready');
      expect(await other.locator('#backend-line').textContent()).toMatch(/^Runs on the CPU \(WebAssembly/);
      expect(await other.locator('[data-cap=backend]').textContent()).toBe('CPU (WASM)');
      // forcing WebGPU cannot work here: not offered
      const webgpu = other.getByRole('combobox', { name: 'Backend' }).locator('option[value=webgpu]');
      expect(await webgpu.isDisabled()).toBe(true);
      expect(await webgpu.textContent()).toBe('WebGPU (not available here)');
      // type, Generate: no click on Load model
      const prompt = 'a yellow star';
      await other.getByRole('textbox', { name: 'Prompt', exact: true }).fill(prompt);
      await other.getByRole('spinbutton', { name: 'Steps', exact: true }).fill('2');
      await other.getByRole('spinbutton', { name: 'Sampling steps' }).fill('2');
      await other.getByRole('button', { name: 'Generate', exact: true }).click();
      const img = other.getByRole('img', { name: prompt, exact: true });
      await img.waitFor({ timeout: 120_000 });
      expect(await img.evaluate((e: HTMLImageElement) => e.complete && e.naturalWidth)).toBe(64);
      expect(await other.locator('#model-error').textContent()).toMatch(/^Loaded tiny \(fp32/);
      expect(errors).toEqual([]);
    } finally {
      await noGpu.close();
    }
  });

  it('says what is missing when the page has no navigator.gpu at all', async () => {
    const other = await browser.newPage();
    try {
      await other.addInitScript(() => {
        Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
      });
      await other.goto(`${server.origin}${SUB}`);
      const note = other.getByRole('region', { name: 'No WebGPU here: Harmon runs on the CPU' });
      await note.waitFor({ timeout: 30_000 });
      expect(await note.textContent()).toContain('navigator.gpu is missing');
      expect(await other.locator('#app').isVisible()).toBe(true);
      expect(await other.locator('[data-cap=webgpu]').textContent()).toBe('not available');
      await expect.poll(() => other.locator('#status').textContent(), { timeout: 60_000 }).toContain('Engine ready');
    } finally {
      await other.close();
    }
  });
});
