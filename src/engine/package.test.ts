import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadProgress } from './api';
import { loadPackage, type LoadOptions, type Manifest, PackageError, packageBaseUrl } from './package';

const DIR = new URL('../../models/golden/tiny/package/', import.meta.url);
const FILES = new Map(readdirSync(DIR).map((n) => [n, new Uint8Array(readFileSync(new URL(n, DIR)))]));
const MANIFEST = JSON.parse(new TextDecoder().decode(FILES.get('manifest.json'))) as Manifest;
const LLM = FILES.get('llm.onnx')!;

const flipped = LLM.slice();
flipped[1000] ^= 1;
const manifestWith = (change: object) => new TextEncoder().encode(JSON.stringify({ ...MANIFEST, ...change }));

/** Per route prefix, replacement bodies (null: 404); anything else is the golden package. */
const ROUTES: Record<string, Record<string, Uint8Array | null>> = {
  pkg: {},
  tampered: { 'llm.onnx': flipped },
  short: { 'llm.onnx': LLM.subarray(0, LLM.byteLength - 10) },
  long: { 'llm.onnx': new Uint8Array([...LLM, 1, 2, 3]) },
  missing: { 'llm.onnx': null },
  notjson: { 'manifest.json': new TextEncoder().encode('<html>nope</html>') },
  other: { 'manifest.json': manifestWith({ format: 'something-else' }) },
  v2: { 'manifest.json': manifestWith({ format_version: 2 }) },
  escape: { 'manifest.json': manifestWith({ files: { '../secret': { bytes: 1, sha256: '0'.repeat(64) } } }) },
};

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const [, route, name] = /^\/([^/]+)\/(.+)$/.exec(req.url ?? '') ?? [];
    const body = route in ROUTES && name in ROUTES[route] ? ROUTES[route][name] : FILES.get(name);
    if (!(route in ROUTES) || !body) {
      res.writeHead(404, 'Not Found').end();
      return;
    }
    // several chunks, so that the loader streams and reports progress
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    for (let i = 0; i < body.byteLength; i += 65536) res.write(body.subarray(i, i + 65536));
    res.end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  // fetch keeps connections alive; close them so that close() does not wait for their timeout
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
});

const NO_CACHE: LoadOptions = { cache: null };

describe('loadPackage from a URL', () => {
  it('loads and verifies the golden package, reporting progress', async () => {
    const events: LoadProgress[] = [];
    const pkg = await loadPackage({ url: `${base}/pkg` }, { ...NO_CACHE, onProgress: (p) => events.push(p) });
    expect(pkg.baseUrl).toBe(`${base}/pkg/`);
    expect(pkg.manifest.name).toBe('tiny');
    expect(pkg.manifest.config.mar.buffer_size).toBe(64);
    expect(pkg.bytes('llm.onnx')).toEqual(LLM);
    expect(pkg.tensors('kernels.safetensors').get('mar.fake_latent')!.shape).toEqual([1, 64]);
    expect(pkg.tensors('kernels.safetensors')).toBe(pkg.tensors('kernels.safetensors'));
    expect(JSON.parse(pkg.text('tokenizer_config.json')).eos_token).toBe('<|im_end|>');
    expect(() => pkg.bytes('nope.bin')).toThrow(PackageError);
    expect(() => pkg.tensors('llm.onnx')).toThrow(/llm.onnx: safetensors:/);

    expect(events[0]).toEqual({ phase: 'manifest' });
    for (const [name, meta] of Object.entries(MANIFEST.files)) {
      const downloads = events.filter((e) => e.phase === 'download' && e.file === name);
      const last = downloads.at(-1) as Extract<LoadProgress, { phase: 'download' }>;
      expect(last).toMatchObject({ loaded: meta.bytes, total: meta.bytes });
      expect(last.bytesPerSecond).toBeGreaterThan(0);
      expect(events.indexOf(last)).toBeLessThan(events.findIndex((e) => e.phase === 'verify' && e.file === name));
    }
  });

  it('accepts the folder URL with a slash and the manifest URL', async () => {
    for (const url of [`${base}/pkg/`, `${base}/pkg/manifest.json`]) {
      const pkg = await loadPackage({ url }, NO_CACHE);
      expect(pkg.baseUrl).toBe(`${base}/pkg/`);
    }
    expect(packageBaseUrl('https://x.org/models/tiny#top')).toBe('https://x.org/models/tiny/');
    expect(() => packageBaseUrl('not a url')).toThrow(/not a valid package URL/);
  });

  it.each([
    ['tampered', /^llm\.onnx: SHA-256 mismatch/],
    ['short', new RegExp(`^llm\\.onnx: received ${LLM.length - 10} bytes, the manifest lists ${LLM.length}$`)],
    ['long', new RegExp(`^llm\\.onnx: the server sent more than the ${LLM.length} bytes the manifest lists$`)],
  ])('rejects a %s file, naming it', async (route, message) => {
    const err = await loadPackage({ url: `${base}/${route}` }, NO_CACHE).catch((e) => e);
    expect(err).toBeInstanceOf(PackageError);
    expect(err.message).toMatch(message);
  });

  it('says the HTTP status and URL of a missing file', async () => {
    await expect(loadPackage({ url: `${base}/missing/` }, NO_CACHE))
      .rejects.toThrow(`404 Not Found: ${base}/missing/llm.onnx`);
    await expect(loadPackage({ url: `${base}/nowhere/` }, NO_CACHE))
      .rejects.toThrow(`404 Not Found: ${base}/nowhere/manifest.json`);
  });

  it('says when the manifest is not a Harmon package', async () => {
    await expect(loadPackage({ url: `${base}/notjson` }, NO_CACHE)).rejects.toThrow(/manifest\.json is not JSON/);
    await expect(loadPackage({ url: `${base}/other` }, NO_CACHE)).rejects.toThrow(/is not a Harmon model package/);
    await expect(loadPackage({ url: `${base}/v2` }, NO_CACHE)).rejects.toThrow(/format version 2 is not supported \(this engine reads 1\)/);
    await expect(loadPackage({ url: `${base}/escape` }, NO_CACHE)).rejects.toThrow(/bad file name "\.\.\/secret"/);
  });

  it('reports a network failure', async () => {
    const fetch = (async () => { throw new TypeError('fetch failed'); }) as typeof globalThis.fetch;
    await expect(loadPackage({ url: 'http://offline.invalid/pkg' }, { ...NO_CACHE, fetch }))
      .rejects.toThrow('could not fetch http://offline.invalid/pkg/manifest.json: fetch failed');
  });

  it('stops when the signal aborts, during a download or before starting', async () => {
    const ctl = new AbortController();
    const onProgress = (p: LoadProgress) => { if (p.phase === 'download') ctl.abort(); };
    const err = await loadPackage({ url: `${base}/pkg` }, { ...NO_CACHE, signal: ctl.signal, onProgress }).catch((e) => e);
    expect(err.name).toBe('AbortError');
    await expect(loadPackage({ url: `${base}/pkg` }, { ...NO_CACHE, signal: ctl.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('the manifest check (fit.ts refuses a package there)', () => {
  it('runs on the manifest before any other file is fetched, and its error stops the load', async () => {
    const fetched: string[] = [];
    const counting: typeof fetch = (input, init) => {
      fetched.push(String(input));
      return fetch(input, init);
    };
    const refuse = (m: Manifest) => {
      throw new PackageError(`no room for ${m.name}`);
    };
    await expect(loadPackage({ url: `${base}/pkg/` }, { ...NO_CACHE, fetch: counting, check: refuse })).rejects.toThrow('no room for tiny');
    expect(fetched).toEqual([`${base}/pkg/manifest.json`]);
    const picked = new Map<string, ArrayBuffer>([...FILES].map(([n, b]) => [n, b.slice().buffer]));
    await expect(loadPackage({ files: picked }, { check: refuse })).rejects.toThrow('no room for tiny');
    const seen: string[] = [];
    await loadPackage({ url: `${base}/pkg/` }, { ...NO_CACHE, check: (m) => seen.push(m.name) });
    expect(seen).toEqual(['tiny']);
  });
});

describe('loadPackage from picked files', () => {
  /** What a folder picker gives: names under the picked folder, as Blobs (and an ArrayBuffer). */
  const picked = (change: Record<string, Uint8Array | null> = {}) => {
    const m = new Map<string, Blob | ArrayBuffer>();
    for (const [name, bytes] of FILES) {
      const b = name in change ? change[name] : bytes;
      if (b) m.set(`tiny/package/${name}`, name === 'kernels.safetensors' ? b.slice().buffer : new Blob([b.slice()]));
    }
    m.set('tiny/other/manifest.json.bak', new Blob(['x']));
    return m;
  };

  it('verifies and loads them, whatever the folder prefix', async () => {
    const events: LoadProgress[] = [];
    const pkg = await loadPackage({ files: picked() }, { onProgress: (p) => events.push(p) });
    expect(pkg.baseUrl).toBeUndefined();
    expect(pkg.bytes('llm.onnx')).toEqual(LLM);
    expect(pkg.tensors('kernels.safetensors').size).toBe(37);
    expect(events.filter((e) => e.phase === 'verify')).toHaveLength(Object.keys(MANIFEST.files).length);
  });

  it('names a missing or corrupt file, or a missing manifest', async () => {
    await expect(loadPackage({ files: picked({ 'llm.onnx': null }) })).rejects.toThrow('llm.onnx: missing from the selected files');
    await expect(loadPackage({ files: picked({ 'llm.onnx': flipped }) })).rejects.toThrow(/^llm\.onnx: SHA-256 mismatch/);
    await expect(loadPackage({ files: picked({ 'llm.onnx': LLM.subarray(1) }) }))
      .rejects.toThrow(`llm.onnx: ${LLM.length - 1} bytes, the manifest lists ${LLM.length}`);
    await expect(loadPackage({ files: picked({ 'manifest.json': null }) })).rejects.toThrow('the selected files contain no manifest.json');
  });
});
