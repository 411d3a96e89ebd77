// The bad-input corpus on the page's surfaces (run-browser.ts): the engine in-process and in its
// worker on the CPU backend (the golden tiny model), and the two image decoders. Every case must
// give its expected message; after every refused case the engine must still generate; a package
// that failed verification must leave nothing of it in the offline cache. The outcomes go to
// results/corpus.json, which the README's table is rendered from.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import { EngineClient } from '../engine/client';
import { deleteCachedModel } from '../engine/cache';
import { Engine } from '../engine/engine';
import { type CaseResult, casesFor, judge, type PackageCase, type Surface } from './corpus';
import { changedResults, resultsText } from './results-file';
import {
  badCacheEntries, type BuiltPackage, buildPackage, GOLDEN_PACKAGE, packageFiles, packageUrl, runAsk, runGenerate, runImage,
  runPackage, SERVED, stillUsable,
} from './run-browser';

// commands' paths are relative to the project root
const RESULTS = 'src/reliability/results/corpus.json';
const results: Partial<Record<Surface, CaseResult[]>> = {};
const built = new Map<string, BuiltPackage | undefined>();

function base64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

beforeAll(async () => {
  // the package cases, written where the dev server serves them (the manifest, and the files a load reaches)
  for (const c of casesFor('engine').filter((c): c is PackageCase => c.kind === 'package')) {
    const p = await buildPackage(c);
    built.set(c.id, p);
    if (!p) continue;
    await commands.writeFile(`src/reliability/${SERVED}/${c.id}/manifest.json`, p.manifest);
    for (const [name, bytes] of p.files) await commands.writeFile(`src/reliability/${SERVED}/${c.id}/${name}`, base64(bytes), 'base64');
    await deleteCachedModel(new URL(packageUrl(c), location.href).href);
  }
}, 300_000);

async function runSurface(surface: 'engine' | 'worker', engine: Engine | EngineClient): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  for (const c of casesFor(surface)) {
    let r: CaseResult;
    if (c.kind === 'generate') r = judge(c, await runGenerate(engine, c));
    else if (c.kind === 'ask') r = judge(c, await runAsk(engine, c));
    else if (c.kind === 'package') {
      const url = new URL(packageUrl(c), location.href).href;
      const p = built.get(c.id);
      const source = surface === 'worker' && p ? packageFiles(p) : { url };
      r = await runPackage(engine, c, source);
      if (surface === 'engine') {
        const bad = await badCacheEntries(url, p);
        if (bad.length) r = { ...r, pass: false, got: `${r.got}; left in the offline cache: ${bad.join(', ')}` };
      }
    } else continue;
    // the dev server's port changes per run: the results name the origin instead
    r.got = r.got.replaceAll(location.origin, 'ORIGIN');
    // a refused case must leave the engine as it was: the next valid request succeeds
    if (c.expect !== 'ok') r.usableAfter = await stillUsable(engine);
    out.push(r);
  }
  return out;
}

describe('the corpus on the CPU backend (golden tiny model)', () => {
  let engine: Engine;
  let client: EngineClient;

  beforeAll(async () => {
    [engine, client] = await Promise.all([Engine.create({ backend: 'wasm' }), EngineClient.create({ backend: 'wasm' })]);
    await engine.load({ url: GOLDEN_PACKAGE });
    await client.load({ url: GOLDEN_PACKAGE });
  });

  afterAll(async () => {
    await engine?.dispose();
    await client?.dispose();
  });

  it.each(['engine', 'worker'] as const)('%s: every case gives its message and the engine stays usable', async (surface) => {
    const r = await runSurface(surface, surface === 'engine' ? engine : client);
    results[surface] = r;
    const failed = r.filter((x) => !x.pass || x.usableAfter === false);
    expect(failed).toEqual([]);
    const s = await (surface === 'engine' ? engine : client).stats();
    expect(s).toMatchObject({ conversations: 0, pending: 0 });
  }, 300_000);

  it.each(['decoder', 'cli-decoder'] as const)('%s: every image is decoded or refused clearly, then answered', async (surface) => {
    const r: CaseResult[] = [];
    for (const c of casesFor(surface)) if (c.kind === 'image') r.push(await runImage(engine, c, surface));
    results[surface] = r;
    expect(r.filter((x) => !x.pass)).toEqual([]);
  }, 120_000);
});

it('the results are the committed ones (results/corpus.json, the README table)', async () => {
  expect(Object.keys(results).sort()).toEqual(['cli-decoder', 'decoder', 'engine', 'worker']);
  const fresh = resultsText(results);
  const committed = await commands.readFile(RESULTS).catch(() => undefined);
  const changed = changedResults('corpus', committed, fresh);
  if (changed) await commands.writeFile(RESULTS, fresh);
  expect(changed).toBeUndefined();
});
