// Faults (issue 16): a Stop at each stage, a lost GPU device, a worker that dies, two loads sharing
// the offline cache. Every Stop is deterministic — fired from a hook at a known point (a progress
// event, a stage event, a step, a token), never timed — so these hold on a fast GPU too. After each
// fault the next call must succeed. The outcomes go to results/faults.json (the README's table).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import { CACHE_NAME, deleteCachedModel, listCachedModels } from '../engine/cache';
import { EngineClient } from '../engine/client';
import { Engine } from '../engine/engine';
import { changedResults, resultsText } from './results-file';
import { badCacheEntries, CHEAP, GOLDEN_PACKAGE, stillUsable, testImage } from './run-browser';

const RESULTS = 'src/reliability/results/faults.json';
const GOLDEN_URL = new URL(GOLDEN_PACKAGE, location.href).href;

export interface FaultResult {
  id: string;
  surface: 'engine' | 'worker' | 'engine + worker';
  backend: 'wasm' | 'webgpu';
  /** what it does, as the test established it */
  does: string;
}
const results: FaultResult[] = [];

function record(r: FaultResult): void {
  results.push({ ...r, does: r.does.replaceAll(location.origin, 'ORIGIN') });
}

async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  throw new Error('expected the call to fail, it succeeded');
}

describe('Stop at each stage, on the CPU backend', () => {
  let engine: Engine;
  let client: EngineClient;

  beforeAll(async () => {
    [engine, client] = await Promise.all([Engine.create({ backend: 'wasm' }), EngineClient.create({ backend: 'wasm' })]);
    await client.load({ url: GOLDEN_PACKAGE });
  });

  afterAll(async () => {
    await engine?.dispose();
    await client?.dispose();
  });

  it('during the model download: rejected, nothing unverified cached, the next load succeeds', async () => {
    await deleteCachedModel(GOLDEN_URL);
    const ctl = new AbortController();
    let downloads = 0;
    const msg = await rejection(engine.load({ url: GOLDEN_PACKAGE }, {
      signal: ctl.signal,
      onProgress: (p) => { if (p.phase === 'download' && ++downloads === 1) ctl.abort(); },
    }));
    expect(msg).toMatch(/abort/i);
    expect(await badCacheEntries(GOLDEN_URL, { manifest: await (await fetch(`${GOLDEN_PACKAGE}manifest.json`)).text(), files: new Map() })).toEqual([]);
    expect((await listCachedModels()).find((m) => m.baseUrl === GOLDEN_URL)?.complete ?? false).toBe(false);
    await engine.load({ url: GOLDEN_PACKAGE });
    expect(await stillUsable(engine)).toBe(true);
    record({ id: 'stop-download', surface: 'engine', backend: 'wasm',
      does: `rejects ("${msg}"); no partial file and no manifest cached; the next load succeeds` });
  });

  it('during the prompt prefill (in-process: from the prefill stage event): no step runs', async () => {
    const ctl = new AbortController();
    const steps: number[] = [];
    const msg = await rejection(engine.generate('a red circle', { ...CHEAP, steps: 4 }, {
      signal: ctl.signal,
      onStage: (e) => { if (e.stage === 'prefill') ctl.abort(); },
      onStep: (e) => steps.push(e.step),
    }));
    expect(msg).toMatch(/abort/i);
    expect(steps).toEqual([]);
    expect(await stillUsable(engine)).toBe(true);
    record({ id: 'stop-prefill', surface: 'engine', backend: 'wasm', does: `rejects ("${msg}") before step 1; the next generate succeeds` });
  });

  it('right after the call (worker: Stop while the request is in flight): no step runs', async () => {
    // the cancel is posted right behind the request; the worker's barrier (worker.ts) sees it before
    // any work starts, however fast the prefill would have been
    for (let i = 0; i < 3; i++) {
      const ctl = new AbortController();
      const steps: number[] = [];
      const run = client.generate('a red circle', { ...CHEAP, steps: 4 }, { signal: ctl.signal, onStep: (e) => steps.push(e.step) });
      ctl.abort();
      const msg = await rejection(run);
      expect(msg).toMatch(/cancel|abort/i);
      expect(steps).toEqual([]);
      if (i === 2) record({ id: 'stop-prefill-worker', surface: 'worker', backend: 'wasm', does: `rejects ("${msg}") before step 1 (3 of 3 tries); the next generate succeeds` });
    }
    expect(await stillUsable(client)).toBe(true);
  });

  it('during the VAE decode (from its stage event): the image is not returned', async () => {
    const ctl = new AbortController();
    const msg = await rejection(engine.generate('a red circle', CHEAP, {
      signal: ctl.signal, onStage: (e) => { if (e.stage === 'vae_decode') ctl.abort(); },
    }));
    expect(msg).toMatch(/abort/i);
    expect(await stillUsable(engine)).toBe(true);
    record({ id: 'stop-decode', surface: 'engine', backend: 'wasm', does: `rejects ("${msg}"); the next generate succeeds` });
  });

  it('during an answer (in-process, at its first token): its conversation is freed', async () => {
    const ctl = new AbortController();
    const tokens: number[] = [];
    const msg = await rejection(engine.ask(testImage(), 'what is in the image?', { maxNewTokens: 8 }, {
      signal: ctl.signal, onToken: (_t, id) => { tokens.push(id); ctl.abort(); },
    }));
    expect(msg).toMatch(/abort/i);
    expect(tokens.length).toBe(1);
    // the stopped first turn's KV cache is freed (what a stopped <harmon-ask> leaves behind)
    expect((await engine.stats()).conversations).toBe(0);
    const ok = await engine.ask(testImage(), 'what is in the image?', { maxNewTokens: 2 });
    await engine.endConversation(ok.conversation);
    record({ id: 'stop-answer', surface: 'engine', backend: 'wasm',
      does: `rejects ("${msg}") after 1 token; the conversation and its KV cache are freed; the next question is answered` });
  });

  it('during an answer (worker: Stop right after the call): no token, its conversation is freed', async () => {
    // tokens reach the page over their own channel while the worker goes on: a Stop sent from the
    // first token lands a few tokens later, so the deterministic point here is the call itself
    const ctl = new AbortController();
    const tokens: number[] = [];
    const run = client.ask(testImage(), 'what is in the image?', { maxNewTokens: 8 }, { signal: ctl.signal, onToken: (_t, id) => tokens.push(id) });
    ctl.abort();
    const msg = await rejection(run);
    expect(msg).toMatch(/cancel|abort/i);
    expect(tokens).toEqual([]);
    expect((await client.stats()).conversations).toBe(0);
    const ok = await client.ask(testImage(), 'what is in the image?', { maxNewTokens: 2 });
    await client.endConversation(ok.conversation);
    record({ id: 'stop-answer-worker', surface: 'worker', backend: 'wasm',
      does: `rejects ("${msg}") before the first token; the conversation and its KV cache are freed; the next question is answered` });
  });
});

describe('a worker that dies', () => {
  it('rejects what was pending; the next call starts a new worker with the model loaded again', async () => {
    const client = await EngineClient.create({ backend: 'wasm' });
    try {
      await client.load({ url: GOLDEN_PACKAGE });
      const msg = await rejection(client.generate('a red circle', { ...CHEAP, steps: 8 }, {
        onStep: (e) => { if (e.step === 0) void client.crashWorkerForTest(); },
      }));
      expect(msg).toMatch(/engine worker stopped \(.*crash requested by a test\).*next request starts a new one/);
      expect(await stillUsable(client)).toBe(true);
      expect(await client.stats()).toMatchObject({ pending: 0, conversations: 0 });
      record({ id: 'worker-dies', surface: 'worker', backend: 'wasm',
        does: `pending requests reject ("${msg}"); the next call starts a new worker, loads the model again and succeeds` });
    } finally {
      await client.dispose();
    }
  });
});

// two real tabs of one browser are e2e/two-tabs.e2e.ts's (results/faults-tabs.json)
describe('two engines of one tab (the page and a worker) loading through the offline cache at once', () => {
  it('both load; the cache holds the package once, complete and verified', async () => {
    await deleteCachedModel(GOLDEN_URL);
    const [a, b] = await Promise.all([Engine.create({ backend: 'wasm' }), EngineClient.create({ backend: 'wasm' })]);
    try {
      await Promise.all([a.load({ url: GOLDEN_PACKAGE }), b.load({ url: GOLDEN_PACKAGE })]);
      expect(await stillUsable(a)).toBe(true);
      expect(await stillUsable(b)).toBe(true);
      const manifest = await (await fetch(`${GOLDEN_PACKAGE}manifest.json`)).text();
      expect(await badCacheEntries(GOLDEN_URL, { manifest, files: new Map() })).toEqual([]);
      const cached = (await listCachedModels()).filter((m) => m.baseUrl === GOLDEN_URL);
      expect(cached).toHaveLength(1);
      expect(cached[0]).toMatchObject({ complete: true, files: Object.keys(JSON.parse(manifest).files).length });
      const keys = (await (await caches.open(CACHE_NAME)).keys()).filter((r) => r.url.startsWith(GOLDEN_URL));
      record({ id: 'two-engines-one-tab', surface: 'engine + worker', backend: 'wasm',
        does: `both loads succeed; the cache holds ${keys.length} entries (the files and the manifest), all verified` });
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });
});

it('the results are the committed ones (results/faults.json, the README table)', async () => {
  expect(results.map((r) => r.id)).toEqual(['stop-download', 'stop-prefill', 'stop-prefill-worker', 'stop-decode', 'stop-answer',
    'stop-answer-worker', 'worker-dies', 'two-engines-one-tab']);
  const fresh = resultsText(results);
  const committed = await commands.readFile(RESULTS).catch(() => undefined);
  const changed = changedResults('faults', committed, fresh);
  if (changed) await commands.writeFile(RESULTS, fresh);
  expect(changed).toBeUndefined();
});
