// The script-tag widget end to end: dist/harmon-widget.js from the BUILT site, on one local origin,
// embedded in a page on ANOTHER origin that sends a strict Content-Security-Policy (no eval, no inline
// script or style: e2e/widget-page.ts), in headless Chromium (WebGPU on SwiftShader). The embedded
// default model is the golden tiny package, served where the widget looks for it
// (models/default/ beside the script): random weights, so only the plumbing is asserted.
//
// The cross-origin page holds two <harmon-image>s, one with a model URL that 404s, and a
// <harmon-ask> about the first image: all on one shared engine (Auto: on this software adapter, the
// CPU backend), in the page (a worker cannot be started from another origin's script); one more
// <harmon-image backend="webgpu"> gets an engine of its own, and one with a misspelt backend says so.
// Two more edit an image fetched from the widget's host: one inpaints (src + mask), one has a mask
// that marks nothing (an input error).
// A second page, on the widget's own origin, shows the engine moving into a worker (the widget file
// itself) and <harmon-ask src=…>.
//
//   HARMON_E2E_SITE=dir   test an existing build instead of building into a temporary folder

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumArgs, chromiumPath } from '../src/cli/chromium';
import { root, siteFor } from './build';
import { serveStatic, type StaticServer } from './server';
import { PAGE_CSS, sameOriginCsp, strictCsp, widgetPage } from './widget-page';

const TINY_DIR = path.join(root, 'models/golden/tiny/package');
const tinyFiles = Object.keys(JSON.parse(readFileSync(path.join(TINY_DIR, 'manifest.json'), 'utf8')).files as Record<string, unknown>);
const FIRST = 'a red circle on the left';
const SECOND = 'a blue square';
const ON_GPU = 'a green star';
const QUESTION = 'What is in the image?';
/** The random tiny model answers these images, at its package's settings (128², repetition penalty
 * 1.1), with ids beyond its 367-token tokenizer, which decode to nothing; at 64² and plain greedy it
 * says something. The answers below are required to be text, so these attributes must reach the
 * engine. */
const ASK_AT = 'size="64" repetition-penalty="1"';
const INPAINT = 'a yellow triangle';
/** The inpainting source (64×64, the tiny package's size: used as is) and its mask: white in the
 * top-left 16 × 24 pixels, so everything from (32, 40) on is more than a token away from it. */
const SIDE = 64;
const sourcePixels = Buffer.alloc(SIDE * SIDE * 4);
for (let i = 0; i < SIDE * SIDE; i++) sourcePixels.set([(i % SIDE) * 4, Math.floor(i / SIDE) * 4, 128, 255], i * 4);
const masked = (x: number, y: number) => x < 16 && y < 24;

interface Recorded {
  events: { type: string; id: string; detail: Record<string, unknown>; t: number }[];
  csp: string[];
}

/** In the page before its scripts: every widget event (they are composed and bubble to the
 * document) and every CSP violation. Init scripts are not subject to the page's CSP. */
function record(): void {
  const rec: Recorded = { events: [], csp: [] };
  (window as unknown as { __rec: Recorded }).__rec = rec;
  for (const type of ['harmon-progress', 'harmon-done', 'harmon-error', 'harmon-token']) {
    document.addEventListener(type, (e) => {
      const detail = JSON.parse(JSON.stringify((e as CustomEvent).detail ?? null));
      rec.events.push({ type, id: (e.target as Element).id, detail, t: performance.now() });
    }, true);
  }
  document.addEventListener('securitypolicyviolation', (e) => rec.csp.push(`${e.violatedDirective} ${e.blockedURI}`));
}

let tmp: string;
let widgetHost: StaticServer;
let pageHost: StaticServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

async function recorded(p: Page = page): Promise<Recorded> {
  return p.evaluate(() => (window as unknown as { __rec: Recorded }).__rec);
}

async function eventsOf(id: string, type: string, p: Page = page) {
  return (await recorded(p)).events.filter((e) => e.id === id && e.type === type);
}

/** The finished image of a <harmon-image> (shadow DOM): its alt, size and how many colours it has. */
async function imageStats(id: string) {
  return page.evaluate(async (id) => {
    const img = document.getElementById(id)!.shadowRoot!.querySelector<HTMLImageElement>('img[part=image]')!;
    await img.decode();
    const c = new OffscreenCanvas(img.naturalWidth, img.naturalHeight);
    const ctx = c.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const px = ctx.getImageData(0, 0, c.width, c.height).data;
    const colours = new Set<number>();
    for (let i = 0; i < px.length; i += 4) colours.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
    return { alt: img.alt, width: img.naturalWidth, hidden: img.hidden, colours: colours.size, src: img.src.slice(0, 5) };
  }, id);
}

const shadowText = (id: string, part: string, p: Page = page) =>
  p.evaluate(([id, part]) => document.getElementById(id)!.shadowRoot!.querySelector(`[part=${part}]`)!.textContent ?? '', [id, part]);

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'harmon-widget-e2e-'));
  const site = await siteFor(tmp);
  // the widget's host: the build, the tiny package as its embedded default, CORS for every file
  // (module scripts, ORT's runtime and the model are read cross-origin), and a page of its own
  const same = path.join(tmp, 'same');
  mkdirSync(same);
  writeFileSync(path.join(same, 'page.css'), PAGE_CSS);
  writeFileSync(path.join(same, 'index.html'), widgetPage({
    widgetUrl: '../harmon-widget.js',
    title: 'Same-origin page',
    stylesheet: 'page.css',
    // ASK_AT: see there
    body: `<harmon-ask id="about-icon" src="../icons/icon-192.png" question="${QUESTION}" max-tokens="3" ${ASK_AT}></harmon-ask>`,
  }));
  // the images the editing widgets fetch, beside the widget (CORS like every file there)
  const edit = path.join(tmp, 'edit');
  mkdirSync(edit);
  const png = (fill: (x: number, y: number) => number[]) => {
    const p = new PNG({ width: SIDE, height: SIDE });
    for (let i = 0; i < SIDE * SIDE; i++) p.data.set(fill(i % SIDE, Math.floor(i / SIDE)), i * 4);
    return PNG.sync.write(p);
  };
  writeFileSync(path.join(edit, 'source.png'), png((x, y) => [...sourcePixels.subarray((y * SIDE + x) * 4, (y * SIDE + x) * 4 + 4)]));
  writeFileSync(path.join(edit, 'mask.png'), png((x, y) => (masked(x, y) ? [255, 255, 255, 255] : [0, 0, 0, 255])));
  writeFileSync(path.join(edit, 'black.png'), png(() => [0, 0, 0, 255]));
  widgetHost = await serveStatic(site, [
    { prefix: '/models/default/', dir: TINY_DIR },
    { prefix: '/same/', dir: same },
    { prefix: '/edit/', dir: edit },
  ], {
    headers: (p) => ({ 'Access-Control-Allow-Origin': '*', ...(p.startsWith('/same/') ? { 'Content-Security-Policy': sameOriginCsp() } : {}) }),
  });
  // the embedding page, on another origin
  const other = path.join(tmp, 'page');
  mkdirSync(other);
  writeFileSync(path.join(other, 'page.css'), PAGE_CSS);
  writeFileSync(path.join(other, 'index.html'), widgetPage({
    widgetUrl: `${widgetHost.origin}/harmon-widget.js`,
    title: 'A page on another origin',
    stylesheet: '/page.css',
    body: `<div class="row">
      <harmon-image id="first" prompt="${FIRST}" steps="2" sampling-steps="2" seed="1"></harmon-image>
      <harmon-image id="bad" prompt="anything" model="${widgetHost.origin}/no-such-model/" steps="1" sampling-steps="2"></harmon-image>
      <harmon-image id="second" prompt="${SECOND}" steps="1" sampling-steps="2" size="64" seed="2" preview></harmon-image>
      <harmon-image id="gpu" prompt="${ON_GPU}" backend="webgpu" steps="1" sampling-steps="2" seed="3"></harmon-image>
      <harmon-image id="typo" prompt="anything else" backend="cpu"></harmon-image>
      <harmon-image id="inpaint" prompt="${INPAINT}" src="${widgetHost.origin}/edit/source.png" mask="${widgetHost.origin}/edit/mask.png"
        steps="2" sampling-steps="2" seed="4"></harmon-image>
      <harmon-image id="no-mask" prompt="anything" src="${widgetHost.origin}/edit/source.png" mask="${widgetHost.origin}/edit/black.png"></harmon-image>
    </div>
    <harmon-ask id="ask" for="first" question="${QUESTION}" max-tokens="4" ${ASK_AT}></harmon-ask>`,
  }));
  pageHost = await serveStatic(other, [], { headers: () => ({ 'Content-Security-Policy': strictCsp(widgetHost.origin) }) });
  browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs(), headless: true });
  page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.addInitScript(record);
});

afterAll(async () => {
  await browser?.close();
  await widgetHost?.close();
  await pageHost?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the widget (built harmon-widget.js, headless Chromium)', () => {
  it('generates on a page of another origin under a strict CSP: <img alt=prompt>, not blank', async () => {
    const t0 = Date.now();
    await page.goto(`${pageHost.origin}/`);
    await page.getByRole('img', { name: FIRST, exact: true }).waitFor({ timeout: 200_000 });
    const stats = await imageStats('first');
    expect(stats).toMatchObject({ alt: FIRST, width: 64, hidden: false, src: 'blob:' });
    expect(stats.colours).toBeGreaterThan(1);
    // the events say what happened, in order: engine start, model load (with bytes), steps, done
    const progress = await eventsOf('first', 'harmon-progress');
    const stages = progress.map((e) => e.detail.stage);
    expect(stages[0]).toBe('engine');
    expect(stages).toContain('load');
    expect(progress.filter((e) => e.detail.stage === 'load').some((e) => String(e.detail.text).startsWith('Downloading: '))).toBe(true);
    expect(progress.filter((e) => e.detail.stage === 'generate').map((e) => e.detail.step)).toEqual([1, 2]);
    const [done] = await eventsOf('first', 'harmon-done');
    // no size attribute: the package's own (the engine applies ModelInfo.defaults); Auto on a software adapter: the CPU
    expect(done.detail).toMatchObject({ prompt: FIRST, width: 64, height: 64, seed: 1, backend: 'wasm' });
    expect(String(done.detail.url)).toMatch(/^blob:/);
    // nothing was shown in the error part
    expect(await shadowText('first', 'error')).toBe('');
    console.log(`widget: first image after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });

  it('shows a model URL that 404s as an error, and the next widget still generates', async () => {
    await expect.poll(() => shadowText('bad', 'error'), { timeout: 60_000 }).toMatch(/^Could not load the model: No model package found/);
    expect(await shadowText('bad', 'error')).toContain('/no-such-model/manifest.json');
    const [err] = await eventsOf('bad', 'harmon-error');
    expect(err.detail).toMatchObject({ stage: 'load' });
    expect(await page.getByRole('img', { name: 'anything' }).count()).toBe(0);
    await page.getByRole('img', { name: SECOND, exact: true }).waitFor({ timeout: 200_000 });
    expect((await imageStats('second')).colours).toBeGreaterThan(1);
  });

  it('shares one engine: later widgets wait their turn, the model loads once', async () => {
    const queued = await eventsOf('second', 'harmon-progress');
    expect(queued[0].detail).toEqual({ stage: 'queued', ahead: 2 });
    // the first widget started the engine and loaded the model; the second did neither
    expect(queued.some((e) => e.detail.stage === 'engine' || e.detail.stage === 'load')).toBe(false);
    // `preview`: the second widget drew its one step before the image
    expect((await eventsOf('second', 'harmon-progress')).filter((e) => e.detail.stage === 'generate')).toHaveLength(1);
    for (const f of tinyFiles) expect(widgetHost.requests.filter((r) => r === `/models/default/${f}`), f).toHaveLength(1);
    // onnxruntime-web's runtime from beside the widget, each file once
    const wasm = widgetHost.requests.filter((r) => r.endsWith('.wasm'));
    expect(wasm.length).toBeGreaterThan(0);
    expect(wasm.every((r) => /^\/ort\/ort-wasm[\w.-]*\.wasm$/.test(r))).toBe(true);
    expect(new Set(wasm).size).toBe(wasm.length);
    // another origin's script cannot start a worker: the engine runs in the page
    expect(page.workers()).toHaveLength(0);
    // and the page does not answer the worker protocol (Comlink) to anyone who posts to it
    const answered = await page.evaluate(() => new Promise<boolean>((resolve) => {
      let reply = false;
      addEventListener('message', (e) => { if (e.data?.id === 'probe' && e.data.type !== 'GET') reply = true; });
      postMessage({ id: 'probe', type: 'GET', path: ['init'] }, '*');
      setTimeout(() => resolve(reply), 500);
    }));
    expect(answered).toBe(false);
  });

  it('says so when the backend attribute is misspelt, and runs nothing for it', async () => {
    await expect.poll(() => shadowText('typo', 'error')).toBe('harmon-image: the backend attribute must be auto, webgpu or wasm (got “cpu”)');
    const [err] = await eventsOf('typo', 'harmon-error');
    expect(err.detail).toMatchObject({ stage: 'input' });
    expect(await eventsOf('typo', 'harmon-progress')).toEqual([]);
  });

  it('gives a widget with backend="webgpu" an engine of its own: WebGPU draws under the strict CSP too', async () => {
    await page.getByRole('img', { name: ON_GPU, exact: true }).waitFor({ timeout: 200_000 });
    const stats = await imageStats('gpu');
    expect(stats).toMatchObject({ alt: ON_GPU, width: 64, hidden: false, src: 'blob:' });
    expect(stats.colours).toBeGreaterThan(1);
    const [done] = await eventsOf('gpu', 'harmon-done');
    expect(done.detail.backend).toBe('webgpu');
    // the others run on the CPU here: this one started its own engine and loaded the model into it
    // (from the page's offline cache: no second download, as the per-file count above says)
    const stages = (await eventsOf('gpu', 'harmon-progress')).map((e) => e.detail.stage);
    expect(stages).toContain('engine');
    expect(stages).toContain('load');
    for (const f of tinyFiles) expect(widgetHost.requests.filter((r) => r === `/models/default/${f}`), f).toHaveLength(1);
  });

  it('inpaints an image under the strict CSP: <harmon-image src mask>, the source’s pixels outside the mask', async () => {
    await page.getByRole('img', { name: INPAINT, exact: true }).waitFor({ timeout: 200_000 });
    const [done] = await eventsOf('inpaint', 'harmon-done');
    expect(done.detail).toMatchObject({ prompt: INPAINT, width: SIDE, height: SIDE, seed: 4 });
    // the finished <img> drawn into a canvas (no fetch: the page's CSP allows blob: images only)
    const px = await page.evaluate(async () => {
      const img = document.getElementById('inpaint')!.shadowRoot!.querySelector<HTMLImageElement>('img[part=image]')!;
      await img.decode();
      const c = new OffscreenCanvas(img.naturalWidth, img.naturalHeight);
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      return Array.from(ctx.getImageData(0, 0, c.width, c.height).data);
    });
    let kept = 0;
    let changed = 0;
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        const i = (y * SIDE + x) * 4;
        const same = [0, 1, 2, 3].every((c) => px[i + c] === sourcePixels[i + c]);
        // a token (16 px) or more from the mask: pasted back exactly
        if (x >= 32 || y >= 40) {
          expect(same, `(${x}, ${y})`).toBe(true);
          kept++;
        } else if (masked(x, y) && !same) changed++;
      }
    }
    expect(kept).toBe(SIDE * SIDE - 32 * 40);
    expect(changed).toBeGreaterThan(0);
  });

  it('says so when the mask marks nothing to regenerate: an input error, nothing run', async () => {
    await expect.poll(() => shadowText('no-mask', 'error')).toMatch(/^harmon-image: the mask http:\/\/\S+\/edit\/black\.png marks nothing to regenerate/);
    const [err] = await eventsOf('no-mask', 'harmon-error');
    expect(err.detail).toMatchObject({ stage: 'input' });
    expect(await eventsOf('no-mask', 'harmon-progress')).toEqual([]);
  });

  it('<harmon-ask for=…> answers about the generated image, streamed', async () => {
    await expect.poll(async () => (await eventsOf('ask', 'harmon-done')).length, { timeout: 200_000, interval: 1000 }).toBe(1);
    const [done] = await eventsOf('ask', 'harmon-done');
    expect(done.detail.question).toBe(QUESTION);
    expect(Number(done.detail.tokens)).toBeGreaterThan(0);
    expect(String(done.detail.answer).length).toBeGreaterThan(0);
    expect(await shadowText('ask', 'answer')).toBe(done.detail.answer);
    expect(await shadowText('ask', 'question')).toBe(QUESTION);
    const tokens = await eventsOf('ask', 'harmon-token');
    expect(tokens.length).toBe(done.detail.tokens);
    expect(tokens[0].t).toBeLessThan(done.t);
    // it asked after the image it follows was done, on the same engine (no second model load)
    const [firstDone] = await eventsOf('first', 'harmon-done');
    expect(tokens[0].t).toBeGreaterThan(firstDone.t);
    expect((await eventsOf('ask', 'harmon-progress')).some((e) => e.detail.stage === 'load')).toBe(false);
    // no backend attribute: the engine of the image it follows
    expect(done.detail.backend).toBe(firstDone.detail.backend);
  });

  it('broke no rule of the page’s Content-Security-Policy and threw nothing', async () => {
    expect((await recorded()).csp).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('runs the engine in a worker (the widget file itself) on the widget’s own origin; <harmon-ask src=…>', async () => {
    const same = await browser.newPage();
    const errors: string[] = [];
    try {
      same.on('pageerror', (e) => errors.push(e.message));
      await same.addInitScript(record);
      await same.goto(`${widgetHost.origin}/same/`);
      await expect.poll(async () => (await eventsOf('about-icon', 'harmon-done', same)).length, { timeout: 200_000, interval: 1000 }).toBe(1);
      const [done] = await eventsOf('about-icon', 'harmon-done', same);
      expect(String(done.detail.answer).length).toBeGreaterThan(0);
      expect(await shadowText('about-icon', 'answer', same)).toBe(done.detail.answer);
      // the engine's worker is the widget file (onnxruntime-web's WASM threads, if any, come from its own files)
      const workers = same.workers().map((w) => w.url());
      expect(workers).toContain(`${widgetHost.origin}/harmon-widget.js`);
      expect(workers.every((u) => u.startsWith(`${widgetHost.origin}/`))).toBe(true);
      expect((await recorded(same)).csp).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await same.close();
    }
  });
});
