// The package's Vite plugin (`import { harmon } from 'harmon-webgpu/vite'`): what a consumer's Vite
// build needs for the engine, in one line of its vite.config. It
//   - copies onnxruntime-web's runtime (.mjs + .wasm, read from the consumer's own onnxruntime-web),
//     the embedded default model and the script-tag widget into the build, under harmon/ (the layout
//     of the demo's dist/, so the widget finds both beside itself), and serves them in `vite` dev;
//   - builds workers as ES modules (the engine's worker imports ORT, which splits into chunks);
//   - keeps Vite from emitting a second, hashed copy of ORT's .wasm (the engine passes `wasmPaths`);
//   - keeps the package and ORT out of dev's dependency pre-bundling, which would move their
//     `new URL(…, import.meta.url)` files (the worker, ORT's runtime) away from where they point;
//   - with `isolation: true`, sends the cross-origin isolation headers from `vite` dev and preview,
//     so the WASM backend runs on several threads there (a static host must send them itself).
// Node-only; it imports no part of Vite at run time (types only), so it works with the consumer's.

import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin, UserConfig } from 'vite';
import { ISOLATION_HEADERS } from '../cli/isolation';
import { ASSETS_DIR, DEFAULT_MODEL_SUBDIR, ORT_SUBDIR, WIDGET_SCRIPT } from './assets';
import { copyTree, ortRuntimeFiles, ortRuntimeUrlsAsIs, serveFolders, type Route } from './vite-assets';

export interface HarmonPluginOptions {
  /** copy the embedded default model (11 MiB) into the build (default true) */
  defaultModel?: boolean;
  /** copy the script-tag widget, harmon/harmon-widget.js (default true) */
  widget?: boolean;
  /** send COOP/COEP from `vite` dev and preview (default false: they also restrict the page's
   * cross-origin subresources, which is the app's decision) */
  isolation?: boolean;
}

const PACKAGE_NAME = 'harmon-webgpu';

/** The package's root folder: the nearest package.json named harmon-webgpu above this file (lib/ in
 * the installed package, src/lib/ in the repository). */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`harmon-webgpu/vite: cannot find the ${PACKAGE_NAME} package above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** onnxruntime-web's dist/ folder, as the package resolves its dependency. */
function ortDist(): string {
  return path.dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
}

interface Sources {
  ort: string;
  model: string | null;
  widget: string | null;
}

function sources(opts: HarmonPluginOptions): Sources {
  const root = packageRoot();
  const model = path.join(root, 'models/default/package');
  const widget = path.join(root, 'lib/widget');
  if (opts.defaultModel !== false && !existsSync(path.join(model, 'manifest.json'))) {
    throw new Error(`harmon-webgpu/vite: the embedded default model is missing (${model}/manifest.json)`);
  }
  if (opts.widget !== false && !existsSync(path.join(widget, WIDGET_SCRIPT))) {
    throw new Error(`harmon-webgpu/vite: the widget script is missing (${widget}/${WIDGET_SCRIPT}; in the repository: npm run build:lib)`);
  }
  return { ort: ortDist(), model: opts.defaultModel === false ? null : model, widget: opts.widget === false ? null : widget };
}

/** The plugins for a consumer's vite.config: `plugins: [harmon()]`. */
export function harmon(opts: HarmonPluginOptions = {}): Plugin[] {
  const src = sources(opts);
  let outDir = '';
  let base = '/';
  const assets: Plugin = {
    name: 'harmon-webgpu-assets',
    config(): UserConfig {
      const headers = opts.isolation ? { ...ISOLATION_HEADERS } : undefined;
      return {
        worker: { format: 'es', plugins: () => [ortRuntimeUrlsAsIs()] },
        optimizeDeps: { exclude: [PACKAGE_NAME, 'onnxruntime-web'] },
        ...(headers ? { server: { headers }, preview: { headers } } : {}),
      };
    },
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
      // dev serves a relative base ('./') from the root
      base = config.base.startsWith('/') ? config.base : '/';
    },
    configureServer(server) {
      const at = `${base}${ASSETS_DIR}`;
      const routes: Route[] = [[`${at}${ORT_SUBDIR}`, src.ort]];
      if (src.model) routes.push([`${at}${DEFAULT_MODEL_SUBDIR}`, src.model]);
      // last: harmon/harmon-widget.js (the folder holds only the widget script)
      if (src.widget) routes.push([at, src.widget]);
      server.middlewares.use(serveFolders(routes, opts.isolation ? ISOLATION_HEADERS : {}));
    },
    writeBundle() {
      const at = path.join(outDir, ASSETS_DIR);
      const ortOut = path.join(at, ORT_SUBDIR);
      mkdirSync(ortOut, { recursive: true });
      for (const f of ortRuntimeFiles(src.ort)) copyFileSync(path.join(src.ort, f), path.join(ortOut, f));
      if (src.model) copyTree(src.model, path.join(at, DEFAULT_MODEL_SUBDIR));
      if (src.widget) copyFileSync(path.join(src.widget, WIDGET_SCRIPT), path.join(at, WIDGET_SCRIPT));
    },
  };
  return [ortRuntimeUrlsAsIs(), assets];
}

export default harmon;
