// Two tabs using the offline cache at once (issue 16's faults): two pages of ONE browser context
// (same origin, one Cache Storage) of the BUILT demo, each loading the same package through its UI
// at the same moment. Both must load; the cache must hold one verified copy (an entry per file plus
// the manifest, every one matching its SHA-256). Then the same again for a package whose first
// download of one file is corrupted (the static server changes a byte of its first response only):
// the tab that got the bad bytes must say so, the other must load, nothing unverified may be cached,
// and the failed tab's next load must succeed. Each tab then generates. The outcome goes to
// src/reliability/results/faults-tabs.json (the README's fault table).
//
//   HARMON_E2E_SITE=dir   test an existing build instead of building into a temporary folder

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chromiumArgs, chromiumPath } from '../src/cli/chromium';
import { CACHE_NAME } from '../src/engine/cache';
import { changedResults, resultsText } from '../src/reliability/results-file';
import { root, siteFor } from './build';
import { badCacheEntries, TINY_DIR, until } from './corpus-ui';
import { serveStatic, type StaticServer } from './server';

const RESULTS = path.join(root, 'src/reliability/results/faults-tabs.json');
const TINY = '/test-models/tiny/';
const ONCE = '/test-models/corrupted-once/';
const manifestText = readFileSync(path.join(TINY_DIR, 'manifest.json'), 'utf8');
const files = JSON.parse(manifestText).files as Record<string, { bytes: number }>;
const CORRUPTED = 'llm.onnx';

let tmp: string;
let server: StaticServer;
let browser: Browser;
let context: BrowserContext;
let tabs: Page[];
const pageErrors: string[] = [];

const message = async (p: Page) => ((await p.locator('#model-error').isVisible()) ? (await p.locator('#model-error').textContent()) ?? '' : '');

/** Types `url` into Model URL and presses Load model in each tab, both at once; what each says at the end. */
async function loadInAll(pages: Page[], url: string): Promise<string[]> {
  await Promise.all(pages.map(async (p) => {
    await p.getByRole('combobox', { name: 'Model', exact: true }).selectOption('url');
    await p.getByRole('textbox', { name: 'Model URL' }).fill(url);
  }));
  await Promise.all(pages.map((p) => p.getByRole('button', { name: 'Load model' }).click()));
  return Promise.all(pages.map(async (p) => {
    await until('the load to end', async () => (await p.getByRole('button', { name: 'Load model' }).isEnabled()) &&
      /^(Loaded|Could not)/.test(await message(p)), 120_000);
    return message(p);
  }));
}

/** The offline cache's entries under `base` (the one Cache Storage both tabs share). */
const cachedUnder = (p: Page, base: string) => p.evaluate(async ({ name, base }) =>
  (await (await caches.open(name)).keys()).map((r) => r.url).filter((u) => u.startsWith(base)).map((u) => u.slice(base.length)).sort(),
{ name: CACHE_NAME, base });

async function generates(p: Page, prompt: string): Promise<boolean> {
  await p.getByRole('textbox', { name: 'Prompt', exact: true }).fill(prompt);
  for (const [name, v] of [['Steps', '1'], ['Sampling steps', '2']]) await p.getByRole('spinbutton', { name, exact: true }).fill(v);
  await p.getByRole('button', { name: 'Generate', exact: true }).click();
  await p.getByRole('img', { name: prompt, exact: true }).waitFor({ timeout: 120_000 });
  return true;
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'harmon-two-tabs-'));
  const site = await siteFor(tmp);
  server = await serveStatic(site, [
    { prefix: TINY, dir: TINY_DIR },
    { prefix: ONCE, dir: TINY_DIR, tamper: { file: CORRUPTED, offset: Math.floor(files[CORRUPTED].bytes / 2), first: 1 } },
  ]);
  browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs(), headless: true });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  tabs = [await context.newPage(), await context.newPage()];
  for (const t of tabs) t.on('pageerror', (e) => pageErrors.push(e.message));
  await Promise.all(tabs.map(async (t) => {
    await t.goto(`${server.origin}/`);
    await until('the engine', async () => ((await t.locator('#status').textContent()) ?? '').includes('Engine ready'));
  }));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

it('two tabs load one package at once, and a download corrupted in one tab does not poison the other', async () => {
  const want = [...Object.keys(files), 'manifest.json'].sort();
  // the same package in both tabs at once
  const base = `${server.origin}${TINY}`;
  const both = await loadInAll(tabs, base);
  for (const m of both) expect(m).toMatch(/^Loaded tiny \(/);
  expect(await cachedUnder(tabs[0], base)).toEqual(want);
  expect(await cachedUnder(tabs[1], base)).toEqual(want);
  expect(await badCacheEntries(tabs[0], base, { manifest: manifestText, files: new Map() })).toEqual([]);
  // how often each file was downloaded depends on which tab is first: printed, not a result
  console.log(`two tabs: each file downloaded ${Object.keys(files).map((f) => server.requests.filter((r) => r === `${TINY}${f}`).length).join(', ')} times`);

  // the same at once, where the first download of one file is corrupted
  const once = `${server.origin}${ONCE}`;
  const [a, b] = await loadInAll(tabs, once);
  const failed = [a, b].filter((m) => /^Could not load the model: Verification failed: llm\.onnx: SHA-256 mismatch/.test(m));
  const loaded = [a, b].filter((m) => /^Loaded tiny \(/.test(m));
  expect({ failed: failed.length, loaded: loaded.length }, `${a} | ${b}`).toEqual({ failed: 1, loaded: 1 });
  expect(await badCacheEntries(tabs[0], once, { manifest: manifestText, files: new Map() })).toEqual([]);
  // the tab that got the bad bytes loads it again: now from the verified copy or a good download
  const loser = tabs[/^Loaded/.test(a) ? 1 : 0];
  const [again] = await loadInAll([loser], once);
  expect(again).toMatch(/^Loaded tiny \(/);
  expect(await cachedUnder(tabs[0], once)).toEqual(want);
  expect(await badCacheEntries(tabs[0], once, { manifest: manifestText, files: new Map() })).toEqual([]);
  // and each tab still works
  expect(await generates(tabs[0], 'a red circle')).toBe(true);
  expect(await generates(tabs[1], 'a blue square')).toBe(true);
  expect(pageErrors).toEqual([]);

  const fresh = resultsText([{
    id: 'two-tabs', surface: 'demo (two tabs)', backend: 'wasm',
    does: `two tabs of one browser load the same package at once: both load; the cache holds ${want.length} entries (the files and the ` +
      'manifest), all verified. ' +
      `With the first download of ${CORRUPTED} corrupted: the tab that got it says “${failed[0].replace(/^Could not load the model: /, '').replace(/ \(.*$/, '')}”, ` +
      'the other loads; nothing unverified is cached; the failed tab\'s next load succeeds; both tabs then generate',
  }]);
  let committed: string | undefined;
  try {
    committed = readFileSync(RESULTS, 'utf8');
  } catch {
    committed = undefined;
  }
  const changed = changedResults('faults-tabs', committed, fresh);
  if (changed) writeFileSync(RESULTS, fresh);
  expect(changed).toBeUndefined();
}, 480_000);
