// The e2e project's globalSetup (vite.config.ts): builds the site ONCE per run for every e2e file
// (each used to run its own `vite build`), in a temporary folder removed at the end. Vitest runs it
// only when an e2e file is selected. With HARMON_E2E_SITE set the tests use that folder and nothing
// is built.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildSite, givenSite, SITE_KEY } from './build';

export default async function setup(project: TestProject): Promise<(() => void) | undefined> {
  if (givenSite()) return undefined;
  const tmp = mkdtempSync(path.join(tmpdir(), 'harmon-e2e-site-'));
  const site = path.join(tmp, 'site');
  const t0 = Date.now();
  try {
    await buildSite(site);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  // on stderr, so that a run's log shows what the build cost
  process.stderr.write(`e2e: built the site once for every e2e file in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  project.provide(SITE_KEY, site);
  return () => rmSync(tmp, { recursive: true, force: true });
}
