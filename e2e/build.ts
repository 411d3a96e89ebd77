// The built site the e2e tests run against: `vite build` exactly as `npm run build` runs it (outside
// vitest, whose environment would switch vite.config.ts to the test projects). One build serves every
// e2e file of a run: the e2e project's globalSetup (e2e/global-setup.ts) builds it once and hands its
// folder to the tests (vitest's provide/inject). HARMON_E2E_SITE=dir tests an existing build instead.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** The key under which the globalSetup provides the built site's folder. */
export const SITE_KEY = 'harmonE2eSite';

declare module 'vitest' {
  export interface ProvidedContext {
    harmonE2eSite: string;
  }
}

export function buildSite(outDir: string): Promise<void> {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('VITEST') || k === 'NODE_ENV' || k === 'TEST') delete env[k];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', outDir, '--logLevel', 'warn'],
      { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`vite build failed (${code}):\n${log}`))));
  });
}

/** HARMON_E2E_SITE as a folder, if set. */
export function givenSite(): string | undefined {
  const given = process.env.HARMON_E2E_SITE;
  return given ? path.resolve(root, given) : undefined;
}

/** The site to test: HARMON_E2E_SITE when set, else the run's shared build (inside vitest), else —
 * a script outside vitest (e2e/screenshots.ts) — a fresh build in `tmp`/site. */
export async function siteFor(tmp: string): Promise<string> {
  const given = givenSite();
  if (given) return given;
  if (process.env.VITEST) {
    // imported only inside vitest: outside a test worker, `vitest` has nothing to inject
    const { inject } = await import('vitest');
    const shared = inject(SITE_KEY);
    if (shared) return shared;
  }
  const site = path.join(tmp, 'site');
  await buildSite(site);
  return site;
}
