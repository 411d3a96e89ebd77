// Where the engine looks for onnxruntime-web's runtime (.mjs + .wasm) when `EngineOptions.wasmPaths`
// is not given. Here in the repository (vite dev, the browser tests) that is the package itself as
// Vite serves it from node_modules. The library build (vite.lib.config.ts) puts src/lib/ort-paths.ts
// in this module's place: there the default is the folder beside the page where the package's Vite
// plugin copies the runtime (src/lib/vite.ts).

export const DEFAULT_WASM_PATHS = '/node_modules/onnxruntime-web/dist/';

/** `wasmPaths` (or the default) as an absolute URL, resolved against the page: a relative folder would
 * otherwise resolve against the engine worker's own script URL. Unchanged where there is no location. */
export function resolveWasmPaths(wasmPaths?: string): string {
  const p = wasmPaths ?? DEFAULT_WASM_PATHS;
  return typeof location !== 'undefined' ? new URL(p, location.href).href : p;
}
