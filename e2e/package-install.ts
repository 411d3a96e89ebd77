// The npm package as a consumer gets it, for e2e/package.e2e.ts: `npm pack` (which runs
// `npm run build:lib` first: package.json's prepack), then a temporary copy of examples/vite-app/
// with that tarball installed by npm itself, without the network: `npm ci --offline` against a
// lockfile that pins the tarball and its dependencies to exactly what this repository's
// package-lock.json has, so every one of them comes from npm's cache (which `npm ci` here, and in
// CI, fills). A plain `npm install --offline ./x.tgz` would need the registry's metadata for the
// dependencies' version ranges, which the cache does not keep. Vite is not installed there: the
// example is built with this repository's Vite (its vite.config.js imports nothing from Vite).

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { root } from './build';

export const EXAMPLE = path.join(root, 'examples/vite-app');

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  [k: string]: unknown;
}

/** Runs a command; resolves with its output, rejects with it on a non-zero exit. */
export function run(cmd: string, args: string[], cwd: string): Promise<string> {
  // outside vitest's environment: Vite and npm scripts would otherwise see the test run's settings
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('VITEST') || k === 'NODE_ENV' || k === 'TEST') delete env[k];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(log) : reject(new Error(`${cmd} ${args.join(' ')} failed (${code}):\n${log}`))));
  });
}

/** `npm pack` of the repository into `dir`; the tarball's path. */
export async function packPackage(dir: string): Promise<string> {
  await run('npm', ['pack', '--pack-destination', dir, '--no-audit', '--no-fund'], root);
  const tgz = readdirSync(dir).filter((f) => /^harmon-webgpu-.*\.tgz$/.test(f));
  if (tgz.length !== 1) throw new Error(`npm pack wrote ${tgz.length} tarballs in ${dir}`);
  return path.join(dir, tgz[0]);
}

/** The lock entry key a dependency `name` resolves to from the package at `from` (Node's lookup:
 * the nearest node_modules/name upwards), in a lockfile's `packages`. */
function lookup(packages: Record<string, LockEntry>, name: string, from: string): string | null {
  let at = from;
  for (;;) {
    const key = `${at ? `${at}/` : ''}node_modules/${name}`;
    if (packages[key]) return key;
    if (!at) return null;
    const i = at.lastIndexOf('/node_modules/');
    at = i >= 0 ? at.slice(0, i) : '';
  }
}

/** A lockfile for an app whose one dependency is the tarball `tgzName` (beside its package.json):
 * the package's dependencies and theirs, as this repository's lockfile pins them. */
export function lockFor(appName: string, tgzName: string, tgzBytes: Buffer): object {
  const repoLock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; version: string; license: string; dependencies: Record<string, string> };
  const spec = `file:${tgzName}`;
  const packages: Record<string, LockEntry> = {
    '': { name: appName, dependencies: { [pkg.name]: spec } },
    [`node_modules/${pkg.name}`]: {
      version: pkg.version,
      resolved: spec,
      integrity: `sha512-${createHash('sha512').update(tgzBytes).digest('base64')}`,
      license: pkg.license,
      dependencies: pkg.dependencies,
    },
  };
  const todo: [string, string][] = Object.keys(pkg.dependencies).map((n) => [n, '']);
  while (todo.length > 0) {
    const [name, from] = todo.pop()!;
    const key = lookup(repoLock.packages, name, from);
    if (!key) throw new Error(`package-lock.json has no entry for ${name} (needed from ${from || 'the package'})`);
    if (packages[key]) continue;
    // the repository's devDependency flags do not apply to the app's production dependencies
    const { dev: _d, devOptional: _o, peer: _p, ...entry } = repoLock.packages[key];
    packages[key] = entry;
    for (const dep of [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {})]) todo.push([dep, key]);
  }
  return { name: appName, lockfileVersion: 3, requires: true, packages };
}

/** A copy of examples/vite-app/ in `dir` with the tarball installed (npm ci, offline); returns `dir`. */
export async function installExample(tgz: string, dir: string): Promise<string> {
  cpSync(EXAMPLE, dir, { recursive: true, filter: (src) => !/[\\/](node_modules|dist)$/.test(src) });
  const tgzName = path.basename(tgz);
  cpSync(tgz, path.join(dir, tgzName));
  const app = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string; dependencies: Record<string, string>; devDependencies?: unknown };
  if (!app.dependencies['harmon-webgpu']) throw new Error('examples/vite-app/package.json does not depend on harmon-webgpu');
  app.dependencies = { 'harmon-webgpu': `file:${tgzName}` };
  delete app.devDependencies;
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(app, null, 2));
  writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify(lockFor(app.name, tgzName, readFileSync(tgz)), null, 2));
  await run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], dir);
  return dir;
}

/** Type-checks the app's sources against the installed package's .d.ts (this repository's tsc, the
 * app's tsconfig.json: strict, no skipLibCheck). */
export async function typecheckExample(dir: string): Promise<void> {
  await run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], dir);
}

/** `vite build` of the app in `dir` with this repository's Vite; the output folder. */
export async function buildExample(dir: string): Promise<string> {
  await run(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], dir);
  return path.join(dir, 'dist');
}
