// Loading a model package (DESIGN.md §4): manifest.json plus the files it lists, each checked against
// the manifest's byte size and SHA-256 before anything uses it. The writer and the reference checker
// are models/harmon/export/package.py (`export_package`, `verify_package`).

import type { LoadProgress, PackageSource } from './api';
import { PackageCache } from './cache';
import { parseSafetensors, type SafeTensors } from './safetensors';

export const PACKAGE_FORMAT = 'harmon-webgpu-package';
export const SUPPORTED_FORMAT_VERSIONS: readonly number[] = [1];
/** The largest JSON file of a package (tokenizer.json and its config). */
export const MAX_TEXT_FILE_BYTES = 16 * 2 ** 20;

export interface ManifestFile {
  kind: 'onnx' | 'onnx-external-data' | 'kernel-weights' | 'text-embeddings' | 'tokenizer' | string;
  dtype: 'fp32' | 'fp16' | 'q4' | null;
  bytes: number;
  sha256: string;
}

export interface PromptConfig {
  /** Python str.format template with {input} */
  template: string;
  /** with {prompt} */
  generate: string;
  unconditional: string;
  image_placeholder: string;
  stop_tokens: string[];
  pad_token: string;
}

export interface Manifest {
  format: typeof PACKAGE_FORMAT;
  format_version: number;
  name: string;
  dtype: 'fp32' | 'fp16' | 'q4';
  config: {
    name: string;
    vae: { ch: number; ch_mult: number[]; num_res_blocks: number; z_channels: number; in_channels: number; scale: number };
    mar: {
      width: number; depth: number; heads: number;
      decoder_width: number; decoder_depth: number; decoder_heads: number;
      buffer_size: number; grid: number; token_dim: number; mlp_ratio: number;
      head_width: number; head_depth: number; num_classes: number;
    };
    llm: {
      hidden_size: number; num_hidden_layers: number; num_attention_heads: number; num_key_value_heads: number;
      intermediate_size: number; vocab_size: number; rope_theta: number; rms_norm_eps: number;
      max_position_embeddings: number; tie_word_embeddings: boolean;
    };
    image_size: number;
  };
  derived: { head_dim: number; vae_stride: number; seq_len: number };
  prompts: PromptConfig;
  diffusion: { train_steps: number; schedule: string; prediction: string; variance: string; default_sampling_steps: number };
  defaults: { steps: number; cfg: number; cfg_schedule: 'constant' | 'linear'; temperature: number; size: number };
  /** how questions are answered (absent in older packages: at `config.image_size`, plain greedy):
   * the image size (512 for the released models, the official image2text's), the repetition
   * penalty and the Qwen folder's generation_config.json it came from (null: none) */
  understanding?: { size: number; repetition_penalty: number; generation_config: Record<string, unknown> | null };
  /** graph name (vae_encoder, llm, …) → file name */
  graphs: Record<string, string>;
  /** graph name → relative error against the reference measured at export */
  checks: Record<string, number>;
  /** graph name → its weights as stored: total bytes and the largest initializer (absent in older
   * packages); fit.ts checks them against the backend's limits before anything is downloaded */
  weights?: Record<string, { bytes: number; largest: { name: string; bytes: number; shape: number[] } }>;
  files: Record<string, ManifestFile>;
}

export interface LoadedPackage {
  manifest: Manifest;
  /** where the files came from, ending with '/'; absent for a picked folder */
  baseUrl?: string;
  /** the verified bytes of a listed file */
  bytes(name: string): Uint8Array;
  /** a safetensors file, parsed once */
  tensors(name: string): SafeTensors;
  /** a text file (UTF-8) */
  text(name: string): string;
}

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** where verified files are kept between visits; default: the browser's Cache Storage if any; null: none */
  cache?: PackageCache | null;
  /** called with the manifest before any other file is read: throws to refuse the package (fit.ts) */
  check?: (manifest: Manifest) => void;
}

/** A package that cannot be used: unreachable, not a Harmon package, or not matching its manifest. */
export class PackageError extends Error {
  override name = 'PackageError';
}

export async function loadPackage(source: PackageSource, opts: LoadOptions = {}): Promise<LoadedPackage> {
  opts.signal?.throwIfAborted();
  return 'url' in source ? loadFromUrl(source.url, opts) : loadFromFiles(source.files, opts);
}

/**
 * The package folder URL for a folder URL with or without '/', or the URL of its manifest.json.
 * A relative URL resolves against `location`, which in a worker is the worker script's URL: the
 * page should hand the worker absolute URLs.
 */
export function packageBaseUrl(url: string): string {
  const here = (globalThis as { location?: { href: string } }).location?.href;
  let u: URL;
  try {
    u = new URL(url, here);
  } catch {
    throw new PackageError(`not a valid package URL: ${url}`);
  }
  u.hash = '';
  if (u.pathname.endsWith('/manifest.json')) u.pathname = u.pathname.slice(0, -'manifest.json'.length);
  else if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u.href;
}

async function loadFromUrl(url: string, opts: LoadOptions): Promise<LoadedPackage> {
  const baseUrl = packageBaseUrl(url);
  const fetchFn = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const cache = opts.cache === undefined ? PackageCache.browser() : (opts.cache ?? undefined);
  opts.onProgress?.({ phase: 'manifest' });
  const manifestUrl = baseUrl + 'manifest.json';
  let manifestText: string;
  try {
    manifestText = new TextDecoder().decode(await download(fetchFn, manifestUrl, opts.signal));
  } catch (e) {
    // offline: a package loaded completely before still works from the cache
    const cached = e instanceof NetworkError ? await cache?.getManifest(baseUrl).catch(() => null) : null;
    if (!cached) throw e;
    manifestText = cached;
  }
  const manifest = parseManifest(manifestText, manifestUrl);
  opts.check?.(manifest);
  const files = new Map<string, Uint8Array>();
  for (const [name, meta] of Object.entries(manifest.files)) {
    const fileUrl = new URL(name, baseUrl).href;
    let bytes = await cache?.get(fileUrl, meta.sha256, meta.bytes).catch(() => null);
    if (bytes) {
      // a cached file counts as downloaded at once, so that progress still adds up to the total
      opts.onProgress?.({ phase: 'download', file: name, loaded: meta.bytes, total: meta.bytes, bytesPerSecond: 0 });
    } else {
      bytes = await download(fetchFn, fileUrl, opts.signal, meta.bytes, (loaded, bytesPerSecond) =>
        opts.onProgress?.({ phase: 'download', file: name, loaded, total: meta.bytes, bytesPerSecond }));
      await verify(name, bytes, meta, opts);
      // a full or unavailable cache (quota, private mode) must not fail the load
      await cache?.put(baseUrl, manifest.name, fileUrl, bytes, meta.sha256).catch(() => {});
    }
    files.set(name, bytes);
  }
  if (cache) {
    const keep = new Set([manifestUrl, ...Object.keys(manifest.files).map((n) => new URL(n, baseUrl).href)]);
    await cache.putManifest(baseUrl, manifest.name, manifestText).then(() => cache.prune(baseUrl, keep)).catch(() => {});
  }
  return makePackage(manifest, files, baseUrl);
}

async function loadFromFiles(picked: Map<string, Blob | ArrayBuffer>, opts: LoadOptions): Promise<LoadedPackage> {
  opts.onProgress?.({ phase: 'manifest' });
  // a picked folder names its files "folder/…/name"; the package root is where manifest.json is
  const roots = [...picked.keys()].filter((k) => k === 'manifest.json' || k.endsWith('/manifest.json'));
  if (roots.length === 0) throw new PackageError('the selected files contain no manifest.json');
  const manifestKey = roots.reduce((a, b) => (b.length < a.length ? b : a));
  const prefix = manifestKey.slice(0, -'manifest.json'.length);
  const read = async (key: string) => {
    const v = picked.get(key)!;
    return new Uint8Array(v instanceof ArrayBuffer ? v : await v.arrayBuffer());
  };
  const manifest = parseManifest(new TextDecoder().decode(await read(manifestKey)), manifestKey);
  opts.check?.(manifest);
  const files = new Map<string, Uint8Array>();
  for (const [name, meta] of Object.entries(manifest.files)) {
    opts.signal?.throwIfAborted();
    if (!picked.has(prefix + name)) throw new PackageError(`${name}: missing from the selected files`);
    const bytes = await read(prefix + name);
    await verify(name, bytes, meta, opts);
    files.set(name, bytes);
  }
  return makePackage(manifest, files);
}

function parseManifest(text: string, where: string): Manifest {
  let m: Partial<Manifest> | null;
  try {
    m = JSON.parse(text);
  } catch {
    throw new PackageError(`${where} is not JSON, so this is not a model package`);
  }
  if (typeof m !== 'object' || m === null || m.format !== PACKAGE_FORMAT) {
    throw new PackageError(`${where} is not a Harmon model package (format is not "${PACKAGE_FORMAT}")`);
  }
  if (!SUPPORTED_FORMAT_VERSIONS.includes(m.format_version as number)) {
    throw new PackageError(`${where}: package format version ${m.format_version} is not supported ` +
      `(this engine reads ${SUPPORTED_FORMAT_VERSIONS.join(', ')})`);
  }
  if (typeof m.files !== 'object' || m.files === null) throw new PackageError(`${where}: no "files" list`);
  for (const [name, f] of Object.entries(m.files)) {
    // names are resolved against the package URL: they must stay inside the package
    if (!isPlainPath(name)) throw new PackageError(`${where}: bad file name ${JSON.stringify(name)}`);
    if (!Number.isSafeInteger(f?.bytes) || !/^[0-9a-f]{64}$/.test(f?.sha256)) {
      throw new PackageError(`${where}: ${name}: the entry needs "bytes" and a hex "sha256"`);
    }
    // text files are parsed whole as JSON strings: a huge one would stall the page before any
    // check could fail (Qwen2's tokenizer.json, the largest real one, is 7 MB)
    if (name.endsWith('.json') && f.bytes > MAX_TEXT_FILE_BYTES) {
      throw new PackageError(`${where}: ${name} is ${f.bytes} bytes; the largest taken is ${MAX_TEXT_FILE_BYTES} (16 MiB)`);
    }
  }
  return m as Manifest;
}

/** A relative path of ordinary names: no scheme, no leading '/', no '.' or '..' segments. */
function isPlainPath(name: string): boolean {
  return name.split('/').every((seg) => /^[\w.-]+$/.test(seg) && seg !== '.' && seg !== '..');
}

/** fetch failed before any HTTP answer (offline, DNS, CORS): the only case the cached manifest covers. */
class NetworkError extends PackageError {}

/**
 * GETs `url` into memory, streaming so that progress can be reported. `expected` (the manifest's
 * size) bounds the buffer: a body that runs longer fails at once instead of filling memory.
 */
async function download(fetchFn: typeof fetch, url: string, signal?: AbortSignal, expected?: number,
  progress?: (loaded: number, bytesPerSecond: number) => void): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetchFn(url, { signal });
  } catch (e) {
    signal?.throwIfAborted();
    throw new NetworkError(`could not fetch ${url}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new PackageError(`${res.status}${res.statusText ? ' ' + res.statusText : ''}: ${url}`);
  if (!res.body || expected === undefined) return new Uint8Array(await res.arrayBuffer());
  const name = url.slice(url.lastIndexOf('/') + 1);
  const out = new Uint8Array(expected);
  const reader = res.body.getReader();
  const start = performance.now();
  let loaded = 0;
  let lastReport = -Infinity;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      signal?.throwIfAborted();
      if (loaded + value.byteLength > expected) {
        throw new PackageError(`${name}: the server sent more than the ${expected} bytes the manifest lists`);
      }
      out.set(value, loaded);
      loaded += value.byteLength;
      const now = performance.now();
      // progress crosses the worker boundary: a few reports per second, not one per network chunk
      if (now - lastReport >= 100 || loaded === expected) {
        lastReport = now;
        progress?.(loaded, (loaded * 1000) / Math.max(now - start, 1));
      }
    }
  } catch (e) {
    await reader.cancel().catch(() => {});
    signal?.throwIfAborted();
    throw e;
  }
  if (loaded !== expected) {
    throw new PackageError(`${name}: received ${loaded} bytes, the manifest lists ${expected}`);
  }
  return out;
}

async function verify(name: string, bytes: Uint8Array, meta: ManifestFile, opts: LoadOptions): Promise<void> {
  opts.signal?.throwIfAborted();
  opts.onProgress?.({ phase: 'verify', file: name });
  if (bytes.byteLength !== meta.bytes) {
    throw new PackageError(`${name}: ${bytes.byteLength} bytes, the manifest lists ${meta.bytes}`);
  }
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
  if (hex !== meta.sha256) {
    throw new PackageError(`${name}: SHA-256 mismatch (the file is corrupt or from another package version)`);
  }
}

function makePackage(manifest: Manifest, files: Map<string, Uint8Array>, baseUrl?: string): LoadedPackage {
  const parsed = new Map<string, SafeTensors>();
  const bytes = (name: string) => {
    const b = files.get(name);
    if (!b) throw new PackageError(`the package has no file ${JSON.stringify(name)}`);
    return b;
  };
  return {
    manifest,
    baseUrl,
    bytes,
    tensors(name) {
      let t = parsed.get(name);
      if (!t) {
        const b = bytes(name);
        try {
          t = parseSafetensors(b);
        } catch (e) {
          throw new PackageError(`${name}: ${(e as Error).message}`);
        }
        parsed.set(name, t);
      }
      return t;
    },
    text: (name) => new TextDecoder().decode(bytes(name)),
  };
}
