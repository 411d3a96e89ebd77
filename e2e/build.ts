// The built site the e2e tests run against: `vite build` exactly as `npm run build` runs it (outside
// vitest, whose environment would switch vite.config.ts to the test projects), into a folder of the
// test's choosing. HARMON_E2E_SITE=dir tests an existing build instead.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

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

/** The site to test: HARMON_E2E_SITE when set, else a fresh build in `tmp`/site. */
export async function siteFor(tmp: string): Promise<string> {
  if (process.env.HARMON_E2E_SITE) return path.resolve(root, process.env.HARMON_E2E_SITE);
  const site = path.join(tmp, 'site');
  await buildSite(site);
  return site;
}
