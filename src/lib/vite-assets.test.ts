// The build-time helpers the demo build and the package's Vite plugin share (src/lib/vite-assets.ts),
// and where the engine looks for ORT's runtime by default (src/engine/ort-paths.ts, and the
// package's src/lib/ort-paths.ts).

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as repoPaths from '../engine/ort-paths';
import * as libPaths from './ort-paths';
import { copyTree, ortRuntimeFiles, ortRuntimeUrlsAsIs, serveFolders } from './vite-assets';

const ORT_DIST = path.resolve(__dirname, '../../node_modules/onnxruntime-web/dist');
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'harmon-vite-assets-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('ortRuntimeFiles', () => {
  it('names the .mjs and .wasm that the WebGPU bundle loads, and only existing files', () => {
    const files = ortRuntimeFiles(ORT_DIST);
    expect(files).toContain('ort-wasm-simd-threaded.asyncify.wasm');
    expect(files).toContain('ort-wasm-simd-threaded.asyncify.mjs');
    // not the other variants (jsep, jspi, plain) the WebGPU bundle does not load
    expect(files.every((f) => f.includes('asyncify'))).toBe(true);
  });

  it('says so when the folder has no runtime', () => {
    const dist = path.join(tmp, 'fake-dist');
    mkdirSync(dist, { recursive: true });
    writeFileSync(path.join(dist, 'ort.webgpu.bundle.min.mjs'), 'new URL("ort-wasm-x.wasm", import.meta.url)');
    expect(() => ortRuntimeFiles(dist)).toThrow(/could not find onnxruntime-web's \.wasm\/\.mjs runtime/);
  });
});

describe('ortRuntimeUrlsAsIs', () => {
  const transform = ortRuntimeUrlsAsIs().transform as (code: string, id: string) => { code: string } | null;
  it('marks ORT\'s runtime URLs @vite-ignore in onnxruntime-web only', () => {
    const code = 'a=new URL("ort-wasm-simd-threaded.asyncify.wasm",import.meta.url);b=new URL(\'ort-wasm-simd-threaded.asyncify.mjs\',import.meta.url)';
    const out = transform(code, '/x/node_modules/onnxruntime-web/dist/ort.webgpu.bundle.min.mjs');
    expect(out?.code).toBe('a=new URL(/* @vite-ignore */ "ort-wasm-simd-threaded.asyncify.wasm",import.meta.url);' +
      'b=new URL(/* @vite-ignore */ \'ort-wasm-simd-threaded.asyncify.mjs\',import.meta.url)');
    expect(transform(code, '/x/src/app/main.ts')).toBeNull();
    expect(transform('new URL("other.wasm", import.meta.url) // ort-wasm', '/x/node_modules/onnxruntime-web/a.mjs')).toBeNull();
  });
});

describe('copyTree', () => {
  it('copies files and sub-folders byte for byte', () => {
    const from = path.join(tmp, 'tree');
    mkdirSync(path.join(from, 'a/b'), { recursive: true });
    writeFileSync(path.join(from, 'top.json'), '{"x":1}');
    writeFileSync(path.join(from, 'a/b/deep.bin'), Buffer.from([0, 1, 2, 255]));
    const to = path.join(tmp, 'copy/here');
    copyTree(from, to);
    expect(readFileSync(path.join(to, 'top.json'), 'utf8')).toBe('{"x":1}');
    expect([...readFileSync(path.join(to, 'a/b/deep.bin'))]).toEqual([0, 1, 2, 255]);
  });
});

describe('serveFolders', () => {
  let server: http.Server;
  let origin: string;
  beforeAll(async () => {
    const dir = path.join(tmp, 'served');
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    writeFileSync(path.join(dir, 'm.json'), '{"ok":true}');
    writeFileSync(path.join(dir, 'sub/r.wasm'), Buffer.from([0, 97, 115, 109]));
    writeFileSync(path.join(tmp, 'secret.txt'), 'outside');
    const mw = serveFolders([['/pkg/models/', path.join(dir, 'sub')], ['/pkg/', dir]], { 'Cross-Origin-Embedder-Policy': 'require-corp' });
    server = http.createServer((req, res) => mw(req, res, () => {
      res.statusCode = 418;
      res.end('next');
    }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('serves each route from its folder, the first matching prefix first, with its type and length', async () => {
    const json = await fetch(`${origin}/pkg/m.json`);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toBe('application/json');
    expect(await json.json()).toEqual({ ok: true });
    const wasm = await fetch(`${origin}/pkg/models/r.wasm`);
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect(wasm.headers.get('content-length')).toBe('4');
    // the headers given, on files and on 404s alike (a worker script needs COEP of its own)
    expect(wasm.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect((await fetch(`${origin}/pkg/none.json`)).headers.get('cross-origin-embedder-policy')).toBe('require-corp');
  });

  it('is a 404 for a missing file, a folder, a malformed escape and anything outside the folder; other paths go on', async () => {
    for (const p of ['/pkg/none.json', '/pkg/sub', '/pkg/%E0%A4%A', '/pkg/..%2Fsecret.txt', '/pkg/models/..%2F..%2Fsecret.txt']) {
      const r = await fetch(`${origin}${p}`);
      expect(r.status, p).toBe(404);
    }
    expect((await fetch(`${origin}/other.js`)).status).toBe(418);
    // a dot-segment the URL parser removes leaves the route: /secret.txt goes on to Vite, unserved here
    expect((await fetch(`${origin}/pkg/%2e%2e/secret.txt`)).status).toBe(418);
  });
});

describe('the default ORT runtime folder', () => {
  it('in the repository: onnxruntime-web as Vite serves it from node_modules; a given folder as is', () => {
    expect(repoPaths.resolveWasmPaths()).toBe('/node_modules/onnxruntime-web/dist/');
    expect(repoPaths.resolveWasmPaths('https://cdn.example/ort/')).toBe('https://cdn.example/ort/');
  });

  it('in the package: harmon/ort/ beside the page, resolved against it', () => {
    expect(libPaths.DEFAULT_WASM_PATHS).toBe('harmon/ort/');
    // no page here (Node): the relative default is returned as is
    expect(libPaths.resolveWasmPaths()).toBe('harmon/ort/');
    const doc = globalThis as { document?: { baseURI: string } };
    doc.document = { baseURI: 'https://app.example/shop/index.html' };
    try {
      expect(libPaths.resolveWasmPaths()).toBe('https://app.example/shop/harmon/ort/');
      expect(libPaths.resolveWasmPaths('/static/ort/')).toBe('https://app.example/static/ort/');
    } finally {
      delete doc.document;
    }
  });
});
