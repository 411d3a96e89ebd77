// Offline copy of downloaded model packages, in the Cache Storage API (one cache, keyed by file URL).
//
// Only verified bytes are stored, each with its SHA-256 in a header; an entry is used only when that
// hash equals the one the current manifest lists, so a re-published package is downloaded again.
// The manifest itself is stored last, once every file of the package is in: its presence marks a
// complete model and lets the package load with no network at all.
// Where `caches` does not exist (Node, insecure origins) there is no PackageCache and nothing is cached.

export const CACHE_NAME = 'harmon-models-v1';

// Our own headers: the Response we build has no Content-Length, and listing must not read bodies.
const SHA = 'x-harmon-sha256';
const BYTES = 'x-harmon-bytes';
const BASE = 'x-harmon-base';
const NAME = 'x-harmon-name';
const MANIFEST = 'manifest.json';

export interface CachedModel {
  /** the package's base URL (ends with '/') */
  baseUrl: string;
  name: string;
  /** bytes of the cached files */
  bytes: number;
  files: number;
  /** whether the whole package was loaded and verified (its manifest is cached) */
  complete: boolean;
}

/** The part of the browser's CacheStorage we use (also what the tests fake). */
export type CacheStorageLike = Pick<CacheStorage, 'open'>;

export class PackageCache {
  constructor(
    private readonly storage: CacheStorageLike,
    private readonly cacheName = CACHE_NAME,
  ) {}

  /** The browser's cache, or undefined where the Cache Storage API does not exist. */
  static browser(): PackageCache | undefined {
    const storage = browserCaches();
    return storage ? new PackageCache(storage) : undefined;
  }

  /** The cached bytes of `url`, or null when absent or stored for another SHA-256 / length. */
  async get(url: string, sha256: string, bytes: number): Promise<Uint8Array | null> {
    const res = await (await this.open()).match(url);
    if (!res || res.headers.get(SHA) !== sha256 || res.headers.get(BYTES) !== String(bytes)) return null;
    const body = new Uint8Array(await res.arrayBuffer());
    return body.byteLength === bytes ? body : null;
  }

  /** Stores verified bytes of one file of the package at `baseUrl` (model `name`). */
  async put(baseUrl: string, name: string, url: string, bytes: Uint8Array, sha256: string): Promise<void> {
    const headers = { [SHA]: sha256, [BYTES]: String(bytes.byteLength), [BASE]: baseUrl, [NAME]: name };
    await (await this.open()).put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers }));
  }

  /** Marks the package complete; call after every file is stored. */
  async putManifest(baseUrl: string, name: string, text: string): Promise<void> {
    const body = new TextEncoder().encode(text);
    await this.put(baseUrl, name, baseUrl + MANIFEST, body, '');
  }

  /** The manifest text stored by putManifest, or null. */
  async getManifest(baseUrl: string): Promise<string | null> {
    const res = await (await this.open()).match(baseUrl + MANIFEST);
    return res ? res.text() : null;
  }

  /** Removes entries of the package at `baseUrl` whose URL is not in `keep` (files a newer manifest dropped). */
  async prune(baseUrl: string, keep: Set<string>): Promise<void> {
    const cache = await this.open();
    for (const [req, res] of await entries(cache)) {
      if (res.headers.get(BASE) === baseUrl && !keep.has(req.url)) await cache.delete(req);
    }
  }

  async list(): Promise<CachedModel[]> {
    const models = new Map<string, CachedModel>();
    for (const [req, res] of await entries(await this.open())) {
      const baseUrl = res.headers.get(BASE);
      if (baseUrl === null) continue;
      let m = models.get(baseUrl);
      if (!m) models.set(baseUrl, (m = { baseUrl, name: res.headers.get(NAME) ?? '', bytes: 0, files: 0, complete: false }));
      if (req.url === baseUrl + MANIFEST) {
        m.complete = true;
      } else {
        m.files += 1;
        m.bytes += Number(res.headers.get(BYTES) ?? 0);
      }
    }
    return [...models.values()];
  }

  /** Deletes every entry of the package at `baseUrl`; returns how many were removed. */
  async delete(baseUrl: string): Promise<number> {
    const cache = await this.open();
    let removed = 0;
    for (const [req, res] of await entries(cache)) {
      if (res.headers.get(BASE) === baseUrl && (await cache.delete(req))) removed++;
    }
    return removed;
  }

  private open(): Promise<Cache> {
    return this.storage.open(this.cacheName);
  }
}

async function entries(cache: Cache): Promise<[Request, Response][]> {
  const out: [Request, Response][] = [];
  for (const req of await cache.keys()) {
    const res = await cache.match(req);
    if (res) out.push([req, res]);
  }
  return out;
}

function browserCaches(): CacheStorageLike | undefined {
  return (globalThis as { caches?: CacheStorageLike }).caches;
}

/** Models in the browser's cache, one entry per package base URL ([] where there is no cache). */
export async function listCachedModels(cache = PackageCache.browser()): Promise<CachedModel[]> {
  return cache ? cache.list() : [];
}

/** Removes a model from the browser's cache; returns the number of entries deleted. */
export async function deleteCachedModel(baseUrl: string, cache = PackageCache.browser()): Promise<number> {
  return cache ? cache.delete(baseUrl) : 0;
}
