// What the two UI corpus e2e tests share (corpus-demo.e2e.ts, corpus-widget.e2e.ts): the package
// cases written to a folder for the static server, the offline cache check, the committed results.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright';
import { PNG } from 'pngjs';
import { CACHE_NAME } from '../src/engine/cache';
import { casesFor, judge, type Case, type PackageCase } from '../src/reliability/corpus';
import { type BuiltPackage, changedPackage } from '../src/reliability/packages';
import { changedResults, resultsText } from '../src/reliability/results-file';
import type { UiPlan, UiResult, UiSurface } from '../src/reliability/ui-cases';
import { root } from './build';

export const TINY_DIR = path.join(root, 'models/golden/tiny/package');
export const FIXTURES_DIR = path.join(root, 'src/reliability/fixtures');
/** where the corpus's package URLs point (run-browser.ts's packageUrl): served from the folder writePackages fills */
export const PACKAGES_PREFIX = '/src/reliability/.packages/';
export const FIXTURES_PREFIX = '/src/reliability/fixtures/';

/** Writes every package case's package under `dir`/ID/; their manifests' listed SHA-256s, by case. */
export async function writePackages(dir: string): Promise<Map<string, BuiltPackage | undefined>> {
  const manifest = JSON.parse(readFileSync(path.join(TINY_DIR, 'manifest.json'), 'utf8'));
  const files = new Map(Object.keys(manifest.files).map((f) => [f, new Uint8Array(readFileSync(path.join(TINY_DIR, f)))]));
  const built = new Map<string, BuiltPackage | undefined>();
  for (const c of casesFor('engine').filter((c): c is PackageCase => c.kind === 'package')) {
    if (c.change.type === 'url') {
      built.set(c.id, undefined);
      continue;
    }
    const p = await changedPackage(c, { manifest, files });
    built.set(c.id, p);
    const out = path.join(dir, c.id);
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'manifest.json'), p.manifest);
    for (const [name, bytes] of p.files) {
      // a manifest path that climbs out or names another origin is never fetched
      if (!name.includes('/')) writeFileSync(path.join(out, name), bytes);
    }
  }
  return built;
}

/** A package case's URL on `origin`. */
export function packageUrl(origin: string, c: PackageCase): string {
  return `${origin}${c.change.type === 'url' ? c.change.url : `${PACKAGES_PREFIX}${c.id}/`}`;
}

/** A 64×64 PNG (the golden model's size): a gradient with a red square, like run-browser.ts's testImage. */
export function testPng(): Buffer {
  const S = 64;
  const p = new PNG({ width: S, height: S });
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const inside = x >= 16 && x < 48 && y >= 16 && y < 48;
      p.data.set(inside ? [220, 30, 30, 255] : [x * 4, y * 4, 128, 255], (y * S + x) * 4);
    }
  }
  return PNG.sync.write(p);
}

/** Entries of the page's offline cache under `baseUrl` that do not match what the served manifest
 * lists (a manifest that is not JSON lists nothing): what failed verification must never be kept. */
export async function badCacheEntries(page: Page, baseUrl: string, built: BuiltPackage | undefined): Promise<string[]> {
  let listed: Record<string, { sha256: string }> = {};
  try {
    listed = JSON.parse(built?.manifest ?? '{}').files ?? {};
  } catch {
    // not JSON: nothing is listed
  }
  return page.evaluate(async ({ name, baseUrl, listed }) => {
    const hex = (b: ArrayBuffer) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
    const cache = await caches.open(name);
    const bad: string[] = [];
    for (const req of await cache.keys()) {
      if (!req.url.startsWith(baseUrl) || req.url === `${baseUrl}manifest.json`) continue;
      const file = req.url.slice(baseUrl.length);
      const body = await (await cache.match(req))!.arrayBuffer();
      if (!listed[file] || hex(await crypto.subtle.digest('SHA-256', body)) !== listed[file].sha256) bad.push(file);
    }
    return bad;
  }, { name: CACHE_NAME, baseUrl, listed });
}

/** The result of a case the surface ran: its message judged against the plan's expectation. */
export function judged(c: Case, plan: Exclude<UiPlan, { na: string }>, outcome: { ok: true } | { error: string }, origin: string): UiResult {
  const r = judge({ ...c, expect: plan.expect }, outcome);
  // the server's port changes per run: the results name the origin instead
  return { id: c.id, pass: r.pass, got: r.got.replaceAll(origin, 'ORIGIN'), via: plan.via };
}

/** Writes the surface's results when they differ from the committed file; the error to fail with, if so. */
export function commitResults(surface: UiSurface, results: UiResult[]): string | undefined {
  const file = path.join(root, `src/reliability/results/${surface}.json`);
  const fresh = resultsText({ [surface]: results });
  let committed: string | undefined;
  try {
    committed = readFileSync(file, 'utf8');
  } catch {
    committed = undefined;
  }
  const changed = changedResults(surface, committed, fresh);
  if (changed) writeFileSync(file, fresh);
  return changed;
}

/** Polls `cond` every 20 ms until it holds; throws `what` after `timeout` ms (usable outside a test, unlike expect.poll). */
export async function until(what: string, cond: () => Promise<boolean>, timeout = 60_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
