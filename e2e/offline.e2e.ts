// The demo page as an offline PWA, end to end on the BUILT site in headless Chromium: one online
// visit (the service worker precaches the app shell and ORT's runtime; loading the embedded default
// keeps the model in Cache Storage), then the browser context goes offline AND the server stops, the
// page reloads and generates (first touch: Generate loads the preselected default from the offline
// cache). The embedded default is the golden tiny package, served where the build's default would be
// (models/default/).
//
//   HARMON_E2E_SITE=dir   test an existing build instead of building into a temporary folder

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumArgs, chromiumPath } from '../src/cli/chromium';
import { root, siteFor } from './build';
import { serveStatic, type StaticServer } from './server';

const TINY_DIR = path.join(root, 'models/golden/tiny/package');
const PROMPT = 'a green triangle at the bottom';

let tmp: string;
let site: string;
let server: StaticServer;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

const text = (sel: string) => page.locator(sel).textContent();

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'harmon-offline-e2e-'));
  site = await siteFor(tmp);
  server = await serveStatic(site, [{ prefix: '/models/default/', dir: TINY_DIR }]);
  // a profile on disk, as a user's: Chromium does not offer to install apps in incognito contexts
  context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: chromiumPath(), args: chromiumArgs(), headless: true, viewport: { width: 1280, height: 900 },
  });
  page = context.pages()[0] ?? await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

afterAll(async () => {
  await context?.close();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the demo page offline (service worker, Cache Storage)', () => {
  it('is an installable PWA: web manifest, icons, a service worker that takes control', async () => {
    await page.goto(`${server.origin}/`);
    await expect.poll(() => text('#status'), { timeout: 60_000 }).toContain('Engine ready');
    // the worker installs (precaching the shell and ORT's ~27 MB runtime), activates and claims the page
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller?.state ?? null), { timeout: 90_000, interval: 500 })
      .toBe('activated');
    await expect.poll(() => text('#offline-note'), { timeout: 10_000 }).toBe('This page now works offline too.');
    const cdp = await context.newCDPSession(page);
    const manifest = await cdp.send('Page.getAppManifest') as { url: string; errors: unknown[] };
    expect(manifest.url).toBe(`${server.origin}/manifest.webmanifest`);
    expect(manifest.errors).toEqual([]);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    expect(installabilityErrors).toEqual([]);
    // the icons the manifest names are real PNGs of the sizes it says
    const web = JSON.parse(readFileSync(path.join(site, 'manifest.webmanifest'), 'utf8')) as { icons: { src: string; sizes: string }[] };
    for (const icon of web.icons) {
      const png = readFileSync(path.join(site, icon.src));
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(`${png.readUInt32BE(16)}x${png.readUInt32BE(20)}`).toBe(icon.sizes);
    }
  });

  it('keeps the embedded default in the offline cache once loaded', async () => {
    const select = page.getByRole('combobox', { name: 'Model', exact: true });
    expect(await select.inputValue()).toBe('default');
    await page.getByRole('button', { name: 'Load model' }).click();
    await expect.poll(() => text('#model-error'), { timeout: 120_000 }).toMatch(/^Loaded tiny \(fp32/);
    await expect.poll(() => page.locator(`#cached-list li[data-base-url="${server.origin}/models/default/"]`).count()).toBe(1);
  });

  it('reloads and generates with the network off', async () => {
    await context.setOffline(true);
    // and nothing left to answer: whatever the page needs must come from its caches
    await server.close();
    await page.reload();
    await expect.poll(() => text('#status'), { timeout: 60_000 }).toContain('Engine ready');
    // the default is still offered: its manifest came from the offline cache
    const select = page.getByRole('combobox', { name: 'Model', exact: true });
    await expect.poll(() => select.inputValue(), { timeout: 10_000 }).toBe('default');
    // no click on Load model: Generate loads it
    await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill(PROMPT);
    await page.getByRole('spinbutton', { name: 'Steps', exact: true }).fill('2');
    await page.getByRole('spinbutton', { name: 'Sampling steps' }).fill('2');
    await page.getByRole('checkbox', { name: 'Show the image at each step' }).setChecked(false);
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    const img = page.getByRole('img', { name: PROMPT, exact: true });
    await img.waitFor({ timeout: 200_000 });
    expect(await img.evaluate((e: HTMLImageElement) => e.complete && e.naturalWidth)).toBe(64);
    expect(await text('#gen-message')).toMatch(/^Done: 1 image in/);
    expect(await text('#model-error')).toMatch(/^Loaded tiny \(fp32/);
    expect(pageErrors).toEqual([]);
  });
});
