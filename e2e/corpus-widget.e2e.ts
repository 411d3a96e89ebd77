// The bad-input corpus (src/reliability/corpus.ts) on the widget, as a page's author uses it: the
// BUILT harmon-widget.js on its own origin, embedded in a page of another origin under a strict
// Content-Security-Policy (e2e/widget-page.ts), in headless Chromium. Each case is one element put
// into the page with the case's attributes — the prompt, the question, a setting, src (an image file
// served beside the widget), model (a package) — or, where the widget takes it from script, its
// `image` property; its error part (role=alert) must say the case's message. After each refused case
// the next valid element must succeed on the same shared engine (the golden tiny package, the
// embedded default here, on the CPU backend: 1 MAR step, 2 diffusion steps, 64²; 2-token answers).
// The plan of each case is src/reliability/ui-cases.ts's. Outcomes go to
// src/reliability/results/widget.json (the README's table).
//
//   HARMON_E2E_SITE=dir   test an existing build instead of building into a temporary folder

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumArgs, chromiumPath } from '../src/cli/chromium';
import type { Case } from '../src/reliability/corpus';
import type { BuiltPackage } from '../src/reliability/packages';
import { type UiPlan, type UiResult, uiCases } from '../src/reliability/ui-cases';
import { siteFor } from './build';
import {
  badCacheEntries, commitResults, FIXTURES_DIR, FIXTURES_PREFIX, judged, PACKAGES_PREFIX, packageUrl, testPng, TINY_DIR, writePackages,
} from './corpus-ui';
import { serveStatic, type StaticServer } from './server';
import { strictCsp, widgetPage } from './widget-page';

const VALID_PROMPT = 'a red circle';
const VALID_QUESTION = 'what is in the image?';
/** the cheap settings every element starts from (a case sets one of them) */
const IMAGE_BASE = { steps: '1', 'sampling-steps': '2', size: '64' };
const ASK_BASE = { 'max-tokens': '2', size: '64', 'repetition-penalty': '1' };

let tmp: string;
let widgetHost: StaticServer;
let pageHost: StaticServer;
let browser: Browser;
let page: Page;
let built: Map<string, BuiltPackage | undefined>;
let validImageUrl: string;
const pageErrors: string[] = [];
const results: UiResult[] = [];

interface Element {
  tag: 'harmon-image' | 'harmon-ask';
  attrs: Record<string, string>;
  /** the `image` property, as the corpus gives it (rgba as a length: typed arrays do not cross evaluate) */
  image?: { width: number; height: number; rgbaLength: number } | Record<string, unknown>;
  /** call generate()/ask() after checking that the element stayed idle on its own */
  call?: boolean;
}

/** Puts the element into the page; its outcome: 'ok' (its image or answer shown) or its error part's text. */
async function run(e: Element): Promise<{ ok: true } | { error: string }> {
  return page.evaluate(async ({ tag, attrs, image, call }) => {
    const host = document.getElementById('cases')!;
    const el = document.createElement(tag) as unknown as HTMLElement & { image: unknown; generate(): Promise<unknown>; ask(): Promise<unknown>; answer: string };
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    const outcome = new Promise<{ ok: true } | { error: string; event: string }>((resolve) => {
      el.addEventListener('harmon-done', () => resolve({ ok: true }), { once: true });
      el.addEventListener('harmon-error', (ev) => resolve({ error: '', event: (ev as CustomEvent).detail.message }), { once: true });
    });
    host.replaceChildren(el);
    if (image) {
      el.image = 'rgbaLength' in image
        ? { width: image.width, height: image.height, rgba: new Uint8ClampedArray(image.rgbaLength as number) } : image;
    }
    const part = (name: string) => el.shadowRoot!.querySelector<HTMLElement>(`[part=${name}]`)!;
    if (call) {
      // a few tasks: an element without a prompt or question must not have started anything
      await new Promise((r) => setTimeout(r, 100));
      if (!part('status').hidden || !part('error').hidden) return { error: `not idle: “${part('status').textContent}${part('error').textContent}”` };
      (tag === 'harmon-image' ? el.generate() : el.ask()).catch(() => {});
    }
    const timeout = new Promise<{ error: string }>((r) => setTimeout(() => r({ error: 'no harmon-done or harmon-error within 60 s' }), 60_000));
    const r = await Promise.race([outcome, timeout]);
    try {
      if ('ok' in r) {
        if (tag === 'harmon-image') {
          const img = part('image') as HTMLImageElement;
          return !img.hidden && img.alt === attrs.prompt.trim() ? r : { error: `done, but the image shows “${img.alt}” (hidden: ${img.hidden})` };
        }
        return part('answer').textContent === el.answer ? r : { error: 'done, but the answer part differs from the answer' };
      }
      if (!('event' in r)) return r;
      // what the user sees: the error part's text, the same as the event's
      const shown = part('error').hidden ? '' : part('error').textContent ?? '';
      return { error: shown === r.event ? shown : `the error part says “${shown}”, the event “${r.event}”` };
    } finally {
      el.remove();
    }
  }, e);
}

const validImage = (): Element => ({ tag: 'harmon-image', attrs: { prompt: VALID_PROMPT, ...IMAGE_BASE } });
const validAsk = (): Element => ({ tag: 'harmon-ask', attrs: { question: VALID_QUESTION, src: validImageUrl, ...ASK_BASE } });

/** The element a case makes (with the plan's setting on top of the cheap ones). */
function elementFor(c: Case, plan: Exclude<UiPlan, { na: string }>): Element {
  const setting = plan.setting ? { [plan.setting.name]: plan.setting.raw } : {};
  switch (c.kind) {
    case 'generate':
      return { tag: 'harmon-image', attrs: { prompt: c.prompt as string, ...IMAGE_BASE, ...setting }, call: plan.call };
    case 'ask': {
      const image = c.image as Record<string, unknown> | undefined;
      const property = image && image.rgba instanceof Uint8ClampedArray
        ? { width: image.width as number, height: image.height as number, rgbaLength: image.rgba.length } : image;
      return { tag: 'harmon-ask', attrs: { question: c.question as string, ...(image ? {} : { src: validImageUrl }), ...ASK_BASE, ...setting },
        image: property, call: plan.call };
    }
    case 'image':
      return { tag: 'harmon-ask', attrs: { question: VALID_QUESTION, src: `${widgetHost.origin}${FIXTURES_PREFIX}${c.file}`, ...ASK_BASE } };
    case 'package':
      return { tag: 'harmon-image', attrs: { prompt: VALID_PROMPT, model: packageUrl(widgetHost.origin, c), ...IMAGE_BASE } };
  }
}

async function runCase(c: Case, plan: UiPlan): Promise<UiResult> {
  if ('na' in plan) return { id: c.id, pass: false, got: 'not applicable', na: plan.na };
  const r = judged(c, plan, await run(elementFor(c, plan)), widgetHost.origin);
  if (c.kind === 'package') {
    const bad = await badCacheEntries(page, packageUrl(widgetHost.origin, c), built.get(c.id));
    if (bad.length) Object.assign(r, { pass: false, got: `${r.got}; left in the offline cache: ${bad.join(', ')}` });
  }
  if (plan.expect !== 'ok') {
    // the same kind of element, valid, on the same shared engine
    const next = c.kind === 'ask' || c.kind === 'image' ? validAsk() : validImage();
    const after = await run(next);
    r.usableAfter = 'ok' in after;
    if ('error' in after) r.got += `; then the valid request: ${after.error}`;
  }
  return r;
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'harmon-corpus-widget-'));
  const site = await siteFor(tmp);
  built = await writePackages(path.join(tmp, 'packages'));
  mkdirSync(path.join(tmp, 'valid'));
  writeFileSync(path.join(tmp, 'valid', 'valid.png'), testPng());
  widgetHost = await serveStatic(site, [
    { prefix: '/models/default/', dir: TINY_DIR },
    { prefix: PACKAGES_PREFIX, dir: path.join(tmp, 'packages') },
    { prefix: FIXTURES_PREFIX, dir: FIXTURES_DIR },
    { prefix: '/valid/', dir: path.join(tmp, 'valid') },
  ], { headers: () => ({ 'Access-Control-Allow-Origin': '*' }) });
  validImageUrl = `${widgetHost.origin}/valid/valid.png`;
  const other = path.join(tmp, 'page');
  mkdirSync(other);
  writeFileSync(path.join(other, 'index.html'), widgetPage({
    widgetUrl: `${widgetHost.origin}/harmon-widget.js`, title: 'The corpus on the widget', body: '<div id="cases"></div>',
  }));
  pageHost = await serveStatic(other, [], { headers: () => ({ 'Content-Security-Policy': strictCsp(widgetHost.origin) }) });
  browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs(), headless: true });
  page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${pageHost.origin}/`);
  await page.waitForFunction(() => customElements.get('harmon-image') && customElements.get('harmon-ask'));
  // the shared engine started and the default model loaded (the first valid request)
  const first = await run(validImage());
  if (!('ok' in first)) throw new Error(`the widget did not generate: ${first.error}`);
});

afterAll(async () => {
  await browser?.close();
  await widgetHost?.close();
  await pageHost?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the corpus on the widget (built harmon-widget.js, another origin, strict CSP)', () => {
  it('every case the widget can express shows its message, and the next element succeeds', async () => {
    const t0 = Date.now();
    for (const { c, plan } of uiCases('widget')) results.push(await runCase(c, plan));
    const ran = results.filter((r) => !r.na);
    console.log(`corpus on the widget: ${ran.length} cases run, ${results.length - ran.length} not applicable, in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(ran.filter((r) => !r.pass || r.usableAfter === false)).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 600_000);

  it('the results are the committed ones (results/widget.json, the README table)', () => {
    expect(results).toHaveLength(uiCases('widget').length);
    expect(commitResults('widget', results)).toBeUndefined();
  });
});
