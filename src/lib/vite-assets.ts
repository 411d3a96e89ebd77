// The engine's static files in a Vite build: onnxruntime-web's runtime (which files the engine
// needs, and keeping Vite from emitting a second copy of them) and folders copied beside the build
// (the embedded default model) or served from disk in `vite` dev. Used by the demo page's build
// (src/app/vite-app.ts) and by the package's plugin for consumers' builds (src/lib/vite.ts), so both
// ship the same files the same way. Node-only (build time): Node's fs/path and Vite's types only.

import { copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { Plugin } from 'vite';

/** The runtime files the WebGPU bundle of onnxruntime-web loads (read from the bundle itself), in `dist`
 * (onnxruntime-web's dist/ folder). */
export function ortRuntimeFiles(dist: string): string[] {
  const bundle = readFileSync(path.join(dist, 'ort.webgpu.bundle.min.mjs'), 'utf8');
  const names = new Set(bundle.match(/ort-wasm[\w.-]*?\.(?:mjs|wasm)\b/g) ?? []);
  const files = [...names].filter((n) => existsSync(path.join(dist, n))).sort();
  if (!files.some((f) => f.endsWith('.wasm')) || !files.some((f) => f.endsWith('.mjs'))) {
    throw new Error(`could not find onnxruntime-web's .wasm/.mjs runtime in ${dist}`);
  }
  return files;
}

/**
 * ORT's bundle names its .wasm with new URL('…', import.meta.url), of which Vite would emit a second,
 * hashed copy (27 MB). The engine is always given `wasmPaths` (the copied folder), so those URLs are
 * marked @vite-ignore. (The engine runs in a worker: worker bundles take their own plugin list.)
 */
export function ortRuntimeUrlsAsIs(): Plugin {
  return {
    name: 'harmon-ort-runtime-urls',
    enforce: 'pre',
    transform(code, id) {
      if (!id.includes('onnxruntime-web') || !code.includes('ort-wasm')) return null;
      const out = code.replace(/new URL\((["'`]ort-wasm[\w.-]*\.(?:wasm|mjs)["'`])/g, 'new URL(/* @vite-ignore */ $1');
      return out === code ? null : { code: out, map: null };
    },
  };
}

/** Copies a folder with everything in it (files and sub-folders). */
export function copyTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const e of readdirSync(from, { withFileTypes: true })) {
    if (e.isDirectory()) copyTree(path.join(from, e.name), path.join(to, e.name));
    else if (e.isFile()) copyFileSync(path.join(from, e.name), path.join(to, e.name));
  }
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/** A URL prefix (starting and ending with '/') and the folder whose files it serves. */
export type Route = [prefix: string, dir: string];

/**
 * Connect middleware for `vite` dev: each route's files from disk (nothing outside its folder; a
 * missing file is a 404); other requests go on to Vite. `headers` go with every response: Vite's
 * `server.headers` do not reach a middleware's own responses, and on a cross-origin isolated page
 * ORT's thread workers (started from the runtime's .mjs) load only with COEP of their own.
 */
export function serveFolders(routes: Route[], headers: Readonly<Record<string, string>> = {}) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    for (const [prefix, dir] of routes) {
      if (!url.pathname.startsWith(prefix)) continue;
      let file = '';
      try {
        file = path.resolve(dir, decodeURIComponent(url.pathname.slice(prefix.length)));
      } catch {
        // a malformed escape: not found
      }
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      if (!file.startsWith(path.resolve(dir) + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
        res.statusCode = 404;
        res.end('not found');
        return;
      }
      res.setHeader('Content-Type', TYPES[path.extname(file)] ?? 'application/octet-stream');
      res.setHeader('Content-Length', String(statSync(file).size));
      createReadStream(file).pipe(res);
      return;
    }
    next();
  };
}
