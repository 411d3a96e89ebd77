// The packaged engine's replacement for src/engine/ort-paths.ts (vite.lib.config.ts swaps the module):
// without `wasmPaths`, onnxruntime-web's runtime is looked for in harmon/ort/ beside the page, where
// the package's Vite plugin (src/lib/vite.ts) copies it. Resolved in the page (EngineClient.create
// passes the absolute URL to its worker), so it does not depend on where the bundler put the worker.

import { ASSETS_DIR, ORT_SUBDIR } from './assets';

export const DEFAULT_WASM_PATHS = `${ASSETS_DIR}${ORT_SUBDIR}`;

export function resolveWasmPaths(wasmPaths?: string): string {
  const p = wasmPaths ?? DEFAULT_WASM_PATHS;
  const base = typeof document !== 'undefined' ? document.baseURI : typeof location !== 'undefined' ? location.href : undefined;
  return base ? new URL(p, base).href : p;
}
