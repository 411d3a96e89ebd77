// The demo page's Vite settings (npm run dev / build / preview), imported by vite.config.ts.
//
// The page lives in src/app/ (index.html is its entry), so Vite's root is src/app for the app and the
// build writes dist/index.html. Vitest keeps the repository root (vite.config.ts applies these only
// outside vitest). The plugin below:
//   - copies onnxruntime-web's WebAssembly runtime (.mjs + .wasm, the variant its WebGPU bundle
//     loads) to dist/ort/; the page passes that folder to the engine as `wasmPaths` (no CDN);
//   - copies the embedded default model (models/default/package/, once it exists) to
//     dist/models/default/, where the page looks for it;
//   - serves both from the repository in `npm run dev`.
// `vite` dev and preview send the cross-origin isolation headers (src/cli/isolation.ts, the one
// definition every server of ours uses), so the engine's WASM backend runs on several threads there;
// a static host that does not send them still serves a working page, on one WASM thread.
// The build also makes the page an installable, offline PWA (vite-pwa.ts: web manifest, icons from
// public/icons/, a Workbox service worker precaching the app shell and ORT's runtime), and then
// writes the script-tag widget, dist/harmon-widget.js (src/widget/vite-widget.ts).

import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin, UserConfig } from 'vite';
import { ISOLATION_HEADERS } from '../cli/isolation.ts';
import { copyTree, ortRuntimeFiles, ortRuntimeUrlsAsIs, serveFolders } from '../lib/vite-assets.ts';
import { widgetBuild, WIDGET_FILE } from '../widget/vite-widget.ts';
import { pwa } from './vite-pwa.ts';

/** Where the built site keeps ORT's runtime files and the embedded model (relative to index.html). */
export const ORT_DIR = 'ort';
export const DEFAULT_MODEL_DIR = 'models/default';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ortDist = path.join(repoRoot, 'node_modules/onnxruntime-web/dist');
const defaultModel = path.join(repoRoot, 'models/default/package');

function appAssets(): Plugin {
  let outDir = '';
  return {
    name: 'harmon-app-assets',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      // dev: /ort/… from node_modules, /models/default/… from models/default/package
      server.middlewares.use(serveFolders([[`/${ORT_DIR}/`, ortDist], [`/${DEFAULT_MODEL_DIR}/`, defaultModel]], ISOLATION_HEADERS));
    },
    writeBundle() {
      const ortOut = path.join(outDir, ORT_DIR);
      mkdirSync(ortOut, { recursive: true });
      for (const f of ortRuntimeFiles(ortDist)) copyFileSync(path.join(ortDist, f), path.join(ortOut, f));
      if (existsSync(path.join(defaultModel, 'manifest.json'))) copyTree(defaultModel, path.join(outDir, DEFAULT_MODEL_DIR));
    },
  };
}

/** Vite settings for the demo page (merged into vite.config.ts outside vitest). */
export function appConfig(): UserConfig {
  return {
    root: path.join(repoRoot, 'src/app'),
    // relative asset URLs: the built site works from any folder of any static host
    base: './',
    publicDir: path.join(repoRoot, 'public'),
    cacheDir: path.join(repoRoot, 'node_modules/.vite/app'),
    build: {
      outDir: path.join(repoRoot, 'dist'),
      emptyOutDir: true,
      target: 'es2022',
      // ORT's bundle is ~400 kB minified by itself; that is expected
      chunkSizeWarningLimit: 2000,
    },
    // the engine worker imports ORT, which splits into chunks: module workers
    worker: { format: 'es', plugins: () => [ortRuntimeUrlsAsIs()] },
    server: { fs: { allow: [repoRoot] }, headers: { ...ISOLATION_HEADERS } },
    preview: { headers: { ...ISOLATION_HEADERS } },
    plugins: [
      ortRuntimeUrlsAsIs(),
      appAssets(),
      pwa({ ortDir: ORT_DIR, exclude: [`${DEFAULT_MODEL_DIR}/**`, WIDGET_FILE] }),
      widgetBuild(() => [ortRuntimeUrlsAsIs()]),
    ],
  };
}
