import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CacheStorageLike, deleteCachedModel, listCachedModels, PackageCache } from './cache';
import { loadPackage, type Manifest } from './package';

/** In-memory stand-in for the browser's Cache Storage: the subset PackageCache uses. */
class FakeCache {
  readonly entries = new Map<string, { body: ArrayBuffer; headers: [string, string][] }>();
  failPuts = false;
  async match(req: RequestInfo) {
    const e = this.entries.get(key(req));
    return e ? new Response(e.body.slice(0), { headers: e.headers }) : undefined;
  }
  async put(req: RequestInfo, res: Response) {
    if (this.failPuts) throw new DOMException('quota', 'QuotaExceededError');
    this.entries.set(key(req), { body: await res.arrayBuffer(), headers: [...res.headers] });
  }
  async delete(req: RequestInfo) {
    return this.entries.delete(key(req));
  }
  async keys() {
    return [...this.entries.keys()].map((u) => new Request(u));
  }
}
const key = (r: RequestInfo) => (typeof r === 'string' ? new URL(r).href : r.url);

function fakeStorage(): { storage: CacheStorageLike; cache: FakeCache } {
  const cache = new FakeCache();
  const storage = { open: async (name: string) => { expect(name).toBe('harmon-models-v1'); return cache as unknown as Cache; } };
  return { storage, cache };
}

const SHA_A = 'a'.repeat(64);
const BASE = 'https://models.example/tiny/';

describe('PackageCache', () => {
  it('returns an entry only for the SHA-256 and size it was stored with', async () => {
    const pc = new PackageCache(fakeStorage().storage);
    const bytes = new Uint8Array([1, 2, 3]);
    await pc.put(BASE, 'tiny', BASE + 'a.bin', bytes, SHA_A);
    expect(await pc.get(BASE + 'a.bin', SHA_A, 3)).toEqual(bytes);
    expect(await pc.get(BASE + 'a.bin', 'b'.repeat(64), 3)).toBeNull();
    expect(await pc.get(BASE + 'a.bin', SHA_A, 4)).toBeNull();
    expect(await pc.get(BASE + 'other.bin', SHA_A, 3)).toBeNull();
  });

  it('lists models per base URL, prunes and deletes them', async () => {
    const pc = new PackageCache(fakeStorage().storage);
    await pc.put(BASE, 'tiny', BASE + 'a.bin', new Uint8Array(10), SHA_A);
    await pc.put(BASE, 'tiny', BASE + 'b.bin', new Uint8Array(5), SHA_A);
    await pc.put('https://x/big/', 'big', 'https://x/big/a.bin', new Uint8Array(7), SHA_A);
    expect(await listCachedModels(pc)).toEqual([
      { baseUrl: BASE, name: 'tiny', bytes: 15, files: 2, complete: false },
      { baseUrl: 'https://x/big/', name: 'big', bytes: 7, files: 1, complete: false },
    ]);
    await pc.putManifest(BASE, 'tiny', '{}');
    expect(await pc.getManifest(BASE)).toBe('{}');
    await pc.prune(BASE, new Set([BASE + 'a.bin', BASE + 'manifest.json']));
    expect((await pc.list())[0]).toEqual({ baseUrl: BASE, name: 'tiny', bytes: 10, files: 1, complete: true });
    expect(await deleteCachedModel(BASE, pc)).toBe(2);
    expect(await pc.list()).toEqual([{ baseUrl: 'https://x/big/', name: 'big', bytes: 7, files: 1, complete: false }]);
  });

  it('is absent where the Cache Storage API is (Node)', async () => {
    expect(PackageCache.browser()).toBeUndefined();
    expect(await listCachedModels()).toEqual([]);
    expect(await deleteCachedModel(BASE)).toBe(0);
  });
});

describe('loadPackage with a cache', () => {
  const DIR = new URL('../../models/golden/tiny/package/', import.meta.url);
  const FILES = new Map(readdirSync(DIR).map((n) => [n, new Uint8Array(readFileSync(new URL(n, DIR)))]));
  const manifest = JSON.parse(new TextDecoder().decode(FILES.get('manifest.json'))) as Manifest;
  const fileCount = Object.keys(manifest.files).length;
  const totalBytes = Object.values(manifest.files).reduce((s, f) => s + f.bytes, 0);

  /** A fetch serving the golden package under BASE, recording what was requested. */
  function server(offline = false) {
    const requested: string[] = [];
    const fetch = (async (url: string) => {
      requested.push(url.slice(BASE.length));
      if (offline) throw new TypeError('fetch failed');
      const body = FILES.get(url.slice(BASE.length));
      return body ? new Response(body.slice()) : new Response(null, { status: 404, statusText: 'Not Found' });
    }) as typeof globalThis.fetch;
    return { fetch, requested };
  }

  it('stores verified files, then loads from the cache and offline', async () => {
    const { storage, cache: fake } = fakeStorage();
    const cache = new PackageCache(storage);
    const first = server();
    await loadPackage({ url: BASE }, { cache, fetch: first.fetch });
    expect(first.requested).toHaveLength(1 + fileCount);
    expect(await listCachedModels(cache)).toEqual([{ baseUrl: BASE, name: 'tiny', bytes: totalBytes, files: fileCount, complete: true }]);

    const second = server();
    const pkg = await loadPackage({ url: BASE + 'manifest.json' }, { cache, fetch: second.fetch });
    expect(second.requested).toEqual(['manifest.json']);
    expect(pkg.bytes('llm.onnx')).toEqual(FILES.get('llm.onnx'));

    const offline = server(true);
    const off = await loadPackage({ url: BASE }, { cache, fetch: offline.fetch });
    expect(offline.requested).toEqual(['manifest.json']);
    expect(off.tensors('kernels.safetensors').size).toBe(37);

    // an entry stored for another SHA-256 (an older package version) is downloaded again
    const llm = fake.entries.get(BASE + 'llm.onnx')!;
    llm.headers = llm.headers.map(([k, v]) => [k, k === 'x-harmon-sha256' ? SHA_A : v]);
    const third = server();
    await loadPackage({ url: BASE }, { cache, fetch: third.fetch });
    expect(third.requested).toEqual(['manifest.json', 'llm.onnx']);
  });

  it('uses the cached manifest only when the network fails, not on an HTTP error', async () => {
    const cache = new PackageCache(fakeStorage().storage);
    await loadPackage({ url: BASE }, { cache, fetch: server().fetch });
    const gone = (async () => new Response(null, { status: 404, statusText: 'Not Found' })) as typeof globalThis.fetch;
    await expect(loadPackage({ url: BASE }, { cache, fetch: gone })).rejects.toThrow(`404 Not Found: ${BASE}manifest.json`);
  });

  it('loads even when the cache refuses to store', async () => {
    const { storage, cache: fake } = fakeStorage();
    fake.failPuts = true;
    const cache = new PackageCache(storage);
    const pkg = await loadPackage({ url: BASE }, { cache, fetch: server().fetch });
    expect(pkg.manifest.name).toBe('tiny');
    expect(await cache.list()).toEqual([]);
  });

  it('never serves a cached package when offline and incomplete', async () => {
    const { storage } = fakeStorage();
    const cache = new PackageCache(storage);
    await cache.put(BASE, 'tiny', BASE + 'llm.onnx', FILES.get('llm.onnx')!, manifest.files['llm.onnx'].sha256);
    await expect(loadPackage({ url: BASE }, { cache, fetch: server(true).fetch }))
      .rejects.toThrow(`could not fetch ${BASE}manifest.json: fetch failed`);
  });
});
