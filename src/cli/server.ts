// The local web server of `npm run harmon`: Vite (dev, middleware mode) serves the host page and the
// engine's sources from the repository root on 127.0.0.1 (ephemeral port), plus
//   /__model/…  the chosen local package folder, read-only (engine.load({ url: '/__model/' }));
//   /__input/…  bytes the CLI hands to the page (--image, --noise), read-only.
// Every response carries the cross-origin isolation headers (isolation.ts), so the page may run
// onnxruntime-web's WASM backend on several threads.

import { createReadStream, readFileSync, statSync, type Stats } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ISOLATION_HEADERS } from './isolation';

export const MODEL_ROUTE = '/__model/';
export const INPUT_ROUTE = '/__input/';
export const HOST_PAGE = '/src/cli/host.html';

export interface HostServer {
  /** http://127.0.0.1:PORT */
  origin: string;
  /** Makes `bytes` fetchable by the page; returns its path. */
  addInput(name: string, bytes: Uint8Array): string;
  /** Vite's error log (shown when the page fails to start). */
  errors: string[];
  close(): Promise<void>;
}

export interface ServerOptions {
  /** repository root: Vite's root */
  root: string;
  /** local package folder served at /__model/ */
  modelDir?: string;
  /** print Vite's log */
  debug?: boolean;
}

const TYPES: Record<string, string> = {
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
};

function send(res: http.ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  res.end(text);
}

/** Serves `dir` read-only: GET/HEAD, no listings, nothing outside it, single byte ranges. */
export function serveFolder(dir: string, rel: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'read-only', { Allow: 'GET, HEAD' });
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return send(res, 400, 'bad path');
  }
  if (decoded.includes('\0')) return send(res, 400, 'bad path');
  const root = path.resolve(dir);
  const file = path.resolve(root, `.${path.sep}${decoded}`);
  if (file === root) return send(res, 404, 'not found');
  if (!file.startsWith(root + path.sep)) return send(res, 403, 'outside the package');
  let st: Stats;
  try {
    st = statSync(file);
  } catch {
    return send(res, 404, 'not found');
  }
  if (!st.isFile()) return send(res, 404, 'not found');
  sendBytes(req, res, st.size, TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream', (start, end) =>
    createReadStream(file, { start, end }).on('error', () => res.destroy()).pipe(res),
  );
}

/** Writes headers (with Range support) and calls `body(start, endInclusive)` for GET. */
function sendBytes(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  size: number,
  type: string,
  body: (start: number, end: number) => void,
): void {
  const headers: Record<string, string> = {
    'Content-Type': type,
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'no-store',
  };
  let start = 0;
  let end = size - 1;
  let status = 200;
  const range = req.headers.range;
  if (range) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    let ok = !!m && (m[1] !== '' || m[2] !== '');
    if (m && ok) {
      if (m[1] === '') {
        start = Math.max(0, size - Number(m[2]));
      } else {
        start = Number(m[1]);
        if (m[2] !== '') end = Math.min(end, Number(m[2]));
      }
      ok = start <= end && start < size;
    }
    if (!ok) {
      res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}` });
      res.end();
      return;
    }
    status = 206;
    headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  }
  headers['Content-Length'] = String(size === 0 ? 0 : end - start + 1);
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  body(start, end);
}

/** Starts Vite in middleware mode behind our own http server on 127.0.0.1:0. */
export async function startServer(opts: ServerOptions): Promise<HostServer> {
  const { createServer, createLogger } = await import('vite');
  const errors: string[] = [];
  const base = createLogger(opts.debug ? 'info' : 'silent', { allowClearScreen: false, prefix: '[vite]' });
  const customLogger = {
    ...base,
    error(msg: string, o?: Parameters<typeof base.error>[1]) {
      errors.push(msg);
      base.error(msg, o);
    },
  };
  const vite = await createServer({
    configFile: false,
    root: opts.root,
    appType: 'mpa',
    clearScreen: false,
    logLevel: opts.debug ? 'info' : 'silent',
    customLogger,
    // Its own optimizer cache, apart from vitest's and the app's.
    cacheDir: path.join(opts.root, 'node_modules/.vite/harmon-cli'),
    server: {
      middlewareMode: true,
      hmr: false,
      ws: false,
      watch: null,
      fs: { allow: [opts.root] },
    },
    // Crawl the host page up front so every dependency is optimized before the page asks for it
    // (without HMR there is no reload when the optimizer finds something late).
    optimizeDeps: { entries: [HOST_PAGE.slice(1)] },
  });

  const inputs = new Map<string, Uint8Array>();
  const server = http.createServer((req, res) => {
    // set before any route writes its head: writeHead() and Vite's middlewares keep them
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    } catch {
      return send(res, 400, 'bad request');
    }
    if (pathname.startsWith(MODEL_ROUTE)) {
      if (!opts.modelDir) return send(res, 404, 'no local model');
      return serveFolder(opts.modelDir, pathname.slice(MODEL_ROUTE.length), req, res);
    }
    if (pathname === HOST_PAGE) {
      // As is, not through Vite's HTML transform: that would add Vite's HMR client, which dials a
      // websocket we do not run (no HMR here). host.ts and the engine still go through Vite.
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'read-only', { Allow: 'GET, HEAD' });
      const html = readFileSync(path.join(opts.root, HOST_PAGE), 'utf8');
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : html);
      return;
    }
    if (pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    if (pathname.startsWith(INPUT_ROUTE)) {
      const bytes = inputs.get(pathname.slice(INPUT_ROUTE.length));
      if (!bytes) return send(res, 404, 'not found');
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'read-only', { Allow: 'GET, HEAD' });
      return sendBytes(req, res, bytes.byteLength, 'application/octet-stream', (start, end) =>
        res.end(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start + 1)),
      );
    }
    vite.middlewares(req, res, () => send(res, 404, 'not found'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  let closed: Promise<void> | undefined;
  return {
    origin: `http://127.0.0.1:${port}`,
    errors,
    addInput(name, bytes) {
      const key = encodeURIComponent(name);
      inputs.set(key, bytes);
      return `${INPUT_ROUTE}${key}`;
    },
    close() {
      closed ??= (async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await vite.close();
      })();
      return closed;
    },
  };
}
