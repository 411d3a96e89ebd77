// The npm package, proved by a consumer (issue 14): `npm pack`, the tarball installed into a
// temporary copy of examples/vite-app/ (npm ci, offline: e2e/package-install.ts), the app built with
// Vite, served, and opened in headless Chromium. Its page imports EngineClient from 'harmon-webgpu'
// and generates an image on the WASM backend; its widget.html loads the packed script-tag widget
// (copied into the build by the package's Vite plugin) and generates and answers with it.
// Nothing of the repository's own build (dist/) is used.

import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumArgs, chromiumPath } from '../src/cli/chromium';
import { buildExample, installExample, packPackage, typecheckExample } from './package-install';
import { imageStats } from './image-stats';
import { serveStatic, type StaticServer } from './server';

const PROMPT = 'a red circle';
const WIDGET_PROMPT = 'a blue square';

let tmp: string;
let app: string;
let site: string;
let server: StaticServer;
let browser: Browser;
const pageErrors: string[] = [];
const timings: string[] = [];

async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  const r = await f();
  timings.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return r;
}

async function newPage(url: string): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${server.origin}${url}`);
  return page;
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'harmon-package-e2e-'));
  const tgz = await timed('npm pack (with build:lib)', () => packPackage(tmp));
  app = await timed('npm ci --offline', () => installExample(tgz, path.join(tmp, 'app')));
  await timed('tsc', () => typecheckExample(app));
  site = await timed('vite build', () => buildExample(app));
  server = await serveStatic(site);
  browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs(), headless: true });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  if (timings.length) console.log(`package e2e: ${timings.join(', ')}`);
});

describe('the npm package in a Vite app (examples/vite-app, built from the packed tarball)', () => {
  it('installs the library, its types (the app type-checks against them), the worker and the default model; the build copies ORT, the model and the widget', () => {
    const pkg = path.join(app, 'node_modules/harmon-webgpu');
    for (const f of ['lib/index.js', 'lib/worker.js', 'lib/vite.js', 'lib/widget/harmon-widget.js', 'lib/types/src/lib/index.d.ts',
      'models/default/package/manifest.json', 'LICENSE']) expect(existsSync(path.join(pkg, f)), f).toBe(true);
    // the sources, tests and training stay in the repository
    expect(existsSync(path.join(pkg, 'src'))).toBe(false);
    expect(existsSync(path.join(pkg, 'models/default/checkpoint'))).toBe(false);
    expect(existsSync(path.join(site, 'harmon/models/default/manifest.json'))).toBe(true);
    expect(existsSync(path.join(site, 'harmon/harmon-widget.js'))).toBe(true);
    const ort = readdirSync(path.join(site, 'harmon/ort'));
    expect(ort.some((f) => f.endsWith('.wasm')) && ort.some((f) => f.endsWith('.mjs'))).toBe(true);
    // one copy of ORT's 27 MB runtime: Vite emitted no hashed second one
    expect(readdirSync(path.join(site, 'assets')).filter((f) => f.endsWith('.wasm'))).toEqual([]);
  });

  it('generates an image on the WASM backend with EngineClient from the package: decoded, not flat', async () => {
    const page = await newPage('/?backend=wasm');
    const status = page.getByRole('status');
    await expect.poll(() => status.textContent(), { timeout: 120_000 }).toMatch(/^(Ready: .* on wasm|Error: .*)$/);
    expect(await status.textContent()).toMatch(/^Ready: /);
    await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill(PROMPT);
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    const img = page.getByRole('img', { name: PROMPT, exact: true });
    await img.waitFor({ timeout: 120_000 });
    expect(await status.textContent()).toMatch(/^Generated in [\d.]+ s on wasm$/);
    const stats = await imageStats(img);
    expect(stats).toMatchObject({ width: 64, height: 64 });
    expect(stats.colours).toBeGreaterThan(1);
    expect(stats.std).toBeGreaterThan(1);
    // the engine ran in the package's worker and found ORT and the model where the plugin put them
    expect(page.workers().length).toBeGreaterThan(0);
    const wasm = server.requests.filter((r) => r.endsWith('.wasm'));
    expect(wasm.length).toBeGreaterThan(0);
    expect(wasm.every((r) => r.startsWith('/harmon/ort/'))).toBe(true);
    expect(server.requests).toContain('/harmon/models/default/manifest.json');
    timings.push(`app page: ${await status.textContent()}`);
    await page.close();
  });

  it('runs the packed script-tag widget: <harmon-image> draws, <harmon-ask> answers about it', async () => {
    const page = await newPage('/widget.html');
    const img = page.getByRole('img', { name: WIDGET_PROMPT, exact: true });
    await img.waitFor({ timeout: 120_000 });
    const stats = await imageStats(img);
    expect(stats.width).toBe(64);
    expect(stats.colours).toBeGreaterThan(1);
    const answer = page.locator('harmon-ask').locator('[part="answer"]');
    await expect.poll(async () => (await answer.textContent())?.trim() ?? '', { timeout: 120_000 }).not.toBe('');
    expect(await page.locator('harmon-image').locator('[part="error"]').textContent()).toBe('');
    // the widget on its own origin runs its engine in a worker started from its own script
    expect(page.workers().some((w) => w.url().endsWith('/harmon/harmon-widget.js'))).toBe(true);
    await page.close();
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
