// A small static server for the e2e tests: the built site (dist/) plus model package folders under
// chosen URL prefixes, on 127.0.0.1 (an ephemeral port). GET/HEAD only; nothing outside the folders;
// no directory listings and no SPA fallback (a missing file is a real 404, as on a plain static host).
// Like every server of ours it sends the cross-origin isolation headers (src/cli/isolation.ts) unless
// told not to, so the pages it serves may run the WASM backend on several threads.

import { readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ISOLATION_HEADERS } from '../src/cli/isolation';

export interface Mount {
  /** URL prefix, starting and ending with '/' */
  prefix: string;
  dir: string;
  /** serve this file with one byte changed (same size): a package whose hash does not match;
   * with `first`, only the first that many responses of it (a download corrupted once) */
  tamper?: { file: string; offset: number; first?: number };
}

export interface ServeOptions {
  /** extra response headers (CSP, CORS), by request path */
  headers?: (pathname: string) => Record<string, string>;
  /** send COOP/COEP (default true); false serves like a host that does not isolate its pages */
  isolation?: boolean;
}

export interface StaticServer {
  origin: string;
  /** request paths seen, in order */
  requests: string[];
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

function fileIn(dir: string, rel: string): string | null {
  const root = path.resolve(dir);
  const file = path.resolve(root, `.${path.sep}${rel}`);
  if (!file.startsWith(root + path.sep)) return null;
  try {
    return statSync(file).isFile() ? file : null;
  } catch {
    return null;
  }
}

export async function serveStatic(site: string, mounts: Mount[] = [], opts: ServeOptions = {}): Promise<StaticServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const isolation = opts.isolation === false ? {} : ISOLATION_HEADERS;
    const extra = (p: string) => ({ ...isolation, ...opts.headers?.(p) });
    const fail = (status: number, text: string) => {
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...extra(req.url ?? '/') });
      res.end(text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(405, 'read-only');
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    } catch {
      return fail(400, 'bad request');
    }
    requests.push(pathname);
    if (pathname.includes('\0')) return fail(400, 'bad request');
    const mount = mounts.find((m) => pathname.startsWith(m.prefix));
    const dir = mount ? mount.dir : site;
    let rel = mount ? pathname.slice(mount.prefix.length) : pathname.slice(1);
    if (rel === '' || rel.endsWith('/')) rel += 'index.html';
    const file = fileIn(dir, rel);
    if (!file) return fail(404, 'not found');
    let body = readFileSync(file);
    if (mount?.tamper && rel === mount.tamper.file && req.method === 'GET' && (mount.tamper.first === undefined || mount.tamper.first-- > 0)) {
      body = Buffer.from(body);
      body[mount.tamper.offset] ^= 0x01;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': String(body.byteLength),
      'Cache-Control': 'no-store',
      ...extra(pathname),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
