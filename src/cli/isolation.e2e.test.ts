// The CLI's host server sends the cross-origin isolation headers on every route, and the host page is
// cross-origin isolated in Chromium (so onnxruntime-web's WASM backend may use threads).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chromiumArgs, chromiumPath } from './chromium';
import { ISOLATION_HEADERS } from './isolation';
import { HOST_PAGE, MODEL_ROUTE, startServer, type HostServer } from './server';

const root = fileURLToPath(new URL('../..', import.meta.url));
let tmp: string;
let server: HostServer;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'harmon-iso-'));
  mkdirSync(path.join(tmp, 'pkg'));
  writeFileSync(path.join(tmp, 'pkg/manifest.json'), '{}');
  server = await startServer({ root, modelDir: path.join(tmp, 'pkg') });
});

afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

it('every route sends COOP/COEP', async () => {
  const input = server.addInput('x', new Uint8Array([1, 2, 3]));
  for (const route of [HOST_PAGE, '/src/cli/host.ts', `${MODEL_ROUTE}manifest.json`, input, `${MODEL_ROUTE}missing`, '/favicon.ico']) {
    const r = await fetch(`${server.origin}${route}`);
    await r.arrayBuffer();
    for (const [name, value] of Object.entries(ISOLATION_HEADERS)) expect(r.headers.get(name), `${name} on ${route}`).toBe(value);
  }
});

it('the host page is cross-origin isolated: SharedArrayBuffer, so WASM threads', async () => {
  const { chromium } = await import('playwright');
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs(), headless: true });
  try {
    const page = await browser.newPage();
    await page.goto(`${server.origin}${HOST_PAGE}`, { waitUntil: 'load', timeout: 180_000 });
    expect(await page.evaluate(() => [self.crossOriginIsolated, typeof SharedArrayBuffer])).toEqual([true, 'function']);
  } finally {
    await browser.close();
  }
}, 240_000);
