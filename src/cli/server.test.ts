// The read-only package route (no Vite needed: serveFolder on a plain http server).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveFolder } from './server';

let tmp: string;
let server: http.Server;
let base: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'harmon-srv-'));
  mkdirSync(path.join(tmp, 'pkg/sub'), { recursive: true });
  writeFileSync(path.join(tmp, 'pkg/manifest.json'), '{"name":"x"}');
  writeFileSync(path.join(tmp, 'pkg/sub/w.bin'), Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  writeFileSync(path.join(tmp, 'secret.txt'), 'no');
  server = http.createServer((req, res) => {
    const p = req.url!.split('?')[0]; // raw, not normalized, to probe serveFolder itself
    serveFolder(path.join(tmp, 'pkg'), p.slice('/__model/'.length), req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/__model/`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

/** Status of a GET with the path sent exactly as written. */
function rawStatus(rawPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(base);
    http.get({ host: u.hostname, port: u.port, path: rawPath }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    }).on('error', reject);
  });
}

describe('/__model/ route', () => {
  it('serves files with types and lengths', async () => {
    const r = await fetch(`${base}manifest.json`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/application\/json/);
    expect(await r.json()).toEqual({ name: 'x' });
    const b = await fetch(`${base}sub/w.bin`);
    expect(b.headers.get('content-type')).toBe('application/octet-stream');
    expect(b.headers.get('content-length')).toBe('10');
    expect([...new Uint8Array(await b.arrayBuffer())]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('byte ranges', async () => {
    const r = await fetch(`${base}sub/w.bin`, { headers: { Range: 'bytes=2-4' } });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe('bytes 2-4/10');
    expect([...new Uint8Array(await r.arrayBuffer())]).toEqual([2, 3, 4]);
    const tail = await fetch(`${base}sub/w.bin`, { headers: { Range: 'bytes=-3' } });
    expect([...new Uint8Array(await tail.arrayBuffer())]).toEqual([7, 8, 9]);
    expect((await fetch(`${base}sub/w.bin`, { headers: { Range: 'bytes=20-' } })).status).toBe(416);
  });

  it('read-only, nothing outside, no listings', async () => {
    expect((await fetch(`${base}manifest.json`, { method: 'PUT', body: 'x' })).status).toBe(405);
    expect((await fetch(`${base}nope.json`)).status).toBe(404);
    expect((await fetch(`${base}sub`)).status).toBe(404);
    expect((await fetch(`${base}`)).status).toBe(404);
    expect(await rawStatus('/__model/%2e%2e/secret.txt')).toBe(403); // fetch() would normalize it away
    expect(await rawStatus('/__model/sub/../../secret.txt')).toBe(403);
    expect((await fetch(`${base}..%2fsecret.txt`)).status).toBe(403);
    expect((await fetch(`${base}%E0%A4%A`)).status).toBe(400);
  });
});
