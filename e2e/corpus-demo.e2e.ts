// The bad-input corpus (src/reliability/corpus.ts) on the demo page, through its UI only: prompts
// typed into "Prompt" and Generate pressed, questions typed into the chat, settings typed into the
// settings fields, images chosen in the chat's file input, packages typed into "Model URL" — the
// BUILT site (e2e/build.ts) in headless Chromium, the golden tiny package on the CPU backend (Auto on
// this software adapter), small settings (1 MAR step, 2 diffusion steps, 64²; 2-token answers at
// 64²). Each case must show its message in the page's message region for that panel (role=alert);
// after each refused case the next valid request through the same UI must succeed; a package that
// failed verification must leave nothing of it in the offline cache. The plan for each case (how it
// is typed, what it must say, or why the page cannot express it) is src/reliability/ui-cases.ts's.
// Outcomes go to src/reliability/results/demo.json (the README's table).
//
//   HARMON_E2E_SITE=dir   test an existing build instead of building into a temporary folder

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumArgs, chromiumPath } from '../src/cli/chromium';
import type { AskCase, Case, GenerateCase, ImageCase, PackageCase } from '../src/reliability/corpus';
import type { BuiltPackage } from '../src/reliability/packages';
import { type UiPlan, type UiResult, uiCases } from '../src/reliability/ui-cases';
import { siteFor } from './build';
import {
  badCacheEntries, commitResults, FIXTURES_DIR, FIXTURES_PREFIX, judged, PACKAGES_PREFIX, packageUrl, testPng, TINY_DIR, until, writePackages,
} from './corpus-ui';
import { serveStatic, type StaticServer } from './server';

const TINY = '/test-models/tiny/';
const VALID_PROMPT = 'a red circle';
/** the cheap settings every generation starts from (a case changes one of them) */
const BASE: Record<string, string> = { steps: '1', 'sampling-steps': '2', size: '64', n: '1', seed: '0' };
const ASK_BASE: Record<string, string> = { 'max-tokens': '2', 'ask-size': '64' };

let tmp: string;
let server: StaticServer;
let browser: Browser;
let page: Page;
let built: Map<string, BuiltPackage | undefined>;
const pageErrors: string[] = [];
const results: UiResult[] = [];

const text = async (id: string) => (await page.locator(`#${id}`).isVisible()) ? ((await page.locator(`#${id}`).textContent()) ?? '') : '';
const button = (name: string) => page.getByRole('button', { name, exact: true });

/** Waits until `name`'s button is enabled again with its idle label (the job it started is over). */
async function idle(name: string): Promise<void> {
  await until(`${name} enabled`, () => button(name).isEnabled());
}

async function fill(values: Record<string, string>): Promise<void> {
  for (const [id, v] of Object.entries(values)) await page.locator(`#${id}`).fill(v);
}

/** Runs `job` with `setting` typed into its field, then puts the field's value back (the next
 * case starts from the same form). */
async function withSetting<T>(setting: { name: string; raw: string } | undefined, job: () => Promise<T>): Promise<T> {
  if (!setting) return job();
  const field = page.locator(`#${setting.name}`);
  const old = await field.inputValue();
  await field.fill(setting.raw);
  try {
    return await job();
  } finally {
    await field.fill(old);
  }
}

/** Types the prompt, presses Generate; the page's message (or 'ok' when it drew the image). */
async function generate(prompt: string, setting?: { name: string; raw: string }): Promise<{ ok: true } | { error: string }> {
  await fill(BASE);
  const before = await page.locator('#history li').count();
  await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill(prompt);
  const msg = await withSetting(setting, async () => {
    await button('Generate').click();
    await idle('Generate');
    return text('gen-message');
  });
  if (/^Done: 1 image in/.test(msg) && await page.locator('#history li').count() === before + 1) return { ok: true };
  return { error: msg };
}

/** Types the question, presses Ask (a new conversation each time); the chat's message, or 'ok'. */
async function ask(question: string, setting?: { name: string; raw: string }): Promise<{ ok: true } | { error: string }> {
  if (await button('New conversation').isEnabled()) await button('New conversation').click();
  await fill(ASK_BASE);
  const turns = page.locator('#chat-log .turn:not(.note)');
  const before = await turns.count();
  await page.getByRole('textbox', { name: 'Question', exact: true }).fill(question);
  const msg = await withSetting(setting, async () => {
    await button('Ask').click();
    await idle('Ask');
    return text('chat-message');
  });
  if (msg) return { error: msg };
  const tokens = await turns.nth(before).getAttribute('data-tokens').catch(() => null);
  return tokens !== null && (await turns.count()) === before + 1 ? { ok: true } : { error: `no answer and no message (${tokens})` };
}

/** Chooses a file in the chat's file input; the message, or 'ok' with the label the page shows. */
async function chooseImage(name: string, file: string | { name: string; mimeType: string; buffer: Buffer }): Promise<{ ok: true; label: string } | { error: string }> {
  const label = page.locator('#chat-image-label');
  await page.locator('#chat-file').setInputFiles(file);
  // done when the page shows the image under its name, or a message that names the file
  await until(`${name} shown or refused`, async () =>
    (await text('chat-message')).includes(`“${name}”`) || ((await label.textContent()) ?? '').startsWith(`${name} (`));
  const msg = await text('chat-message');
  if (msg) return { error: msg };
  const shown = (await label.textContent()) ?? '';
  return shown.startsWith(`${name} (`) ? { ok: true, label: shown } : { error: `the image label says “${shown}”` };
}

/** Types the URL into Model URL and presses Load model; the model panel's message, or 'ok'. */
async function load(url: string): Promise<{ ok: true } | { error: string }> {
  const before = await text('model-error');
  await page.getByRole('combobox', { name: 'Model', exact: true }).selectOption('url');
  await page.getByRole('textbox', { name: 'Model URL' }).fill(url);
  await button('Load model').click();
  await until('the load to end', async () => (await button('Load model').isEnabled()) && (await text('model-error')) !== before);
  const msg = await text('model-error');
  return /^Loaded tiny \(/.test(msg) ? { ok: true } : { error: msg };
}

const VALID_PNG = testPng();
let valids = 0;
/** the valid picture, under a new name each time (the page shows which file it took) */
const validImage = () => ({ name: `valid-${++valids}.png`, mimeType: 'image/png', buffer: VALID_PNG });

/** Records the valid request that followed a refused case (and, when it failed, why). */
function after(r: UiResult, outcome: { ok: true } | { error: string }): void {
  r.usableAfter = 'ok' in outcome;
  if ('error' in outcome) r.got += `; then the valid request: ${outcome.error}`;
}

async function runGenerateCase(c: GenerateCase, plan: Exclude<UiPlan, { na: string }>): Promise<UiResult> {
  const r = judged(c, plan, await generate(c.prompt as string, plan.setting), server.origin);
  if (plan.expect !== 'ok') after(r, await generate(VALID_PROMPT));
  return r;
}

async function runAskCase(c: AskCase, plan: Exclude<UiPlan, { na: string }>): Promise<UiResult> {
  const r = judged(c, plan, await ask(c.question as string, plan.setting), server.origin);
  if (plan.expect !== 'ok') after(r, await ask('what is in the image?'));
  return r;
}

async function runImageCase(c: ImageCase, plan: Exclude<UiPlan, { na: string }>): Promise<UiResult> {
  const chosen = await chooseImage(c.file, path.join(FIXTURES_DIR, c.file));
  let outcome: { ok: true } | { error: string } = chosen;
  if ('ok' in chosen && c.size && chosen.label !== `${c.file} (${c.size.join('×')})`) outcome = { error: `the page shows “${chosen.label}”` };
  // a decoded image is asked about: the pixels reach the engine
  else if ('ok' in chosen) outcome = await ask('what is in the image?');
  const r = judged(c, plan, outcome, server.origin);
  if (plan.expect !== 'ok') {
    const valid = validImage();
    const again = await chooseImage(valid.name, valid);
    after(r, 'ok' in again ? await ask('what is in the image?') : again);
  }
  return r;
}

async function runPackageCase(c: PackageCase, plan: Exclude<UiPlan, { na: string }>): Promise<UiResult> {
  const url = packageUrl(server.origin, c);
  const r = judged(c, plan, await load(url), server.origin);
  const bad = await badCacheEntries(page, url, built.get(c.id));
  if (bad.length) Object.assign(r, { pass: false, got: `${r.got}; left in the offline cache: ${bad.join(', ')}` });
  // the good package again, then a generation with it
  const loaded = await load(`${server.origin}${TINY}`);
  after(r, 'ok' in loaded ? await generate(VALID_PROMPT) : loaded);
  return r;
}

/** What the page does with a case it cannot express, where the e2e can show it (NaN typed into a number field). */
async function notApplicable(c: Case, na: string): Promise<UiResult> {
  const r: UiResult = { id: c.id, pass: false, got: 'not applicable', na };
  const nan = c.kind === 'generate' && c.group === 'setting' && Object.values(c.options ?? {}).some((v) => typeof v === 'number' && Number.isNaN(v));
  if (nan) {
    const id = c.id.startsWith('setting-steps') ? 'steps' : 'cfg';
    const field = page.locator(`#${id}`);
    const old = await field.inputValue();
    await field.fill('');
    await field.pressSequentially('NaN');
    const value = await field.inputValue();
    r.got = `typed “NaN”: the field holds “${value}”`;
    await field.fill(old);
    if (value !== '') r.got += ' (expected it empty)';
  }
  return r;
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'harmon-corpus-demo-'));
  const site = await siteFor(tmp);
  built = await writePackages(path.join(tmp, 'packages'));
  server = await serveStatic(site, [
    { prefix: TINY, dir: TINY_DIR },
    { prefix: PACKAGES_PREFIX, dir: path.join(tmp, 'packages') },
    { prefix: FIXTURES_PREFIX, dir: FIXTURES_DIR },
  ]);
  browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs(), headless: true });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${server.origin}/`);
  await until('the engine', async () => ((await page.locator('#status').textContent()) ?? '').includes('Engine ready'));
  expect(await load(`${server.origin}${TINY}`)).toEqual({ ok: true });
  const valid = validImage();
  expect(await chooseImage(valid.name, valid)).toMatchObject({ ok: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the corpus on the demo page (built site, through its UI)', () => {
  it('every case the page can express shows its message, and the next request succeeds', async () => {
    const t0 = Date.now();
    for (const { c, plan } of uiCases('demo')) {
      let r: UiResult;
      if ('na' in plan) r = await notApplicable(c, plan.na);
      else if (c.kind === 'generate') r = await runGenerateCase(c, plan);
      else if (c.kind === 'ask') r = await runAskCase(c, plan);
      else if (c.kind === 'image') r = await runImageCase(c, plan);
      else r = await runPackageCase(c, plan);
      results.push(r);
    }
    const run = results.filter((r) => !r.na);
    console.log(`corpus on the demo: ${run.length} cases run, ${results.length - run.length} not applicable, in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(run.filter((r) => !r.pass || r.usableAfter === false)).toEqual([]);
    expect(results.filter((r) => r.na && r.got !== 'not applicable' && /expected/.test(r.got))).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 600_000);

  it('the results are the committed ones (results/demo.json, the README table)', () => {
    expect(results).toHaveLength(uiCases('demo').length);
    expect(commitResults('demo', results)).toBeUndefined();
  });
});
