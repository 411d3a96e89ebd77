// Cross-origin isolation: the response headers under which a page may share memory between threads
// (SharedArrayBuffer), which onnxruntime-web's WASM backend needs to run on more than one thread.
// Without them `self.crossOriginIsolated` is false and the WASM backend runs on one thread: it still
// works, only slower. One constant for every server we run — the CLI's host page and the bench
// (src/cli/server.ts), the e2e static servers (e2e/server.ts) and `vite` dev / preview
// (src/app/vite-app.ts) — so they cannot drift apart.

/** What a page (and every worker script it starts) must be served with to be cross-origin isolated.
 * `require-corp`: a cross-origin subresource loads only when it opts in, with CORS (module scripts,
 * fetch(): what the engine and the widget use) or with `Cross-Origin-Resource-Policy`. */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
});

