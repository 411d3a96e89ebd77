// `npm run build:lib`: the npm package's JavaScript in lib/ (git-ignored; `npm pack` runs it first).
//
//   lib/index.js        the engine (EngineClient, Engine), its error and helpers  (src/lib/index.ts)
//   lib/worker.js       the engine's worker entry, started by EngineClient        (src/engine/worker.ts)
//   lib/vite.js         the Vite plugin for consumers' builds (Node)              (src/lib/vite.ts)
//   lib/widget/harmon-widget.js  the script-tag widget, one self-contained file (as dist/ has it)
//   lib/types/…         .d.ts (tsc -p tsconfig.lib.json)
//
// ES modules, not minified (the consumer's bundler minifies); the dependencies (onnxruntime-web,
// comlink, @huggingface/tokenizers) stay imports, resolved by the consumer's bundler from its own
// node_modules. Two rewrites make the output a library rather than an app:
//   - EngineClient's default worker, `new Worker(new URL('./worker.ts', import.meta.url))`: an app
//     build bundles it; here it must stay a URL to lib/worker.js, for the consumer's bundler to
//     bundle (Vite does for dependencies). It is swapped for a placeholder before Vite's worker
//     plugin sees it and written back, pointing at worker.js, once the chunks are rendered.
//   - src/engine/ort-paths.ts (ORT's runtime from node_modules, for this repository's dev server)
//     is replaced by src/lib/ort-paths.ts (harmon/ort/ beside the page, where the plugin copies it).

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, defineConfig, type Plugin } from 'vite';
import { ortRuntimeUrlsAsIs } from './src/lib/vite-assets.ts';
import { widgetConfig } from './src/widget/vite-widget.ts';

const root = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(root, 'lib');
const at = (p: string) => path.join(root, p);

const WORKER_PLACEHOLDER = '__HARMON_ENGINE_WORKER_URL__';

function workerStaysAUrl(): Plugin {
  const client = at('src/engine/client.ts');
  const url = /new URL\((['"])\.\/worker\.ts\1,\s*import\.meta\.url\)/g;
  return {
    name: 'harmon-lib-worker-url',
    enforce: 'pre',
    transform(code, id) {
      if (path.resolve(id.split('?')[0]) !== client) return null;
      const out = code.replace(url, WORKER_PLACEHOLDER);
      if (out === code) this.error(`${client}: its default worker URL changed; update workerStaysAUrl() in vite.lib.config.ts`);
      return { code: out, map: null };
    },
    renderChunk(code, chunk) {
      if (!code.includes(WORKER_PLACEHOLDER)) return null;
      let rel = path.posix.relative(path.posix.dirname(chunk.fileName), 'worker.js');
      if (!rel.startsWith('.')) rel = `./${rel}`;
      return { code: code.replaceAll(WORKER_PLACEHOLDER, `new URL(${JSON.stringify(rel)}, import.meta.url)`), map: null };
    },
  };
}

function packagedOrtPaths(): Plugin {
  const from = at('src/engine/ort-paths.ts');
  const to = at('src/lib/ort-paths.ts');
  let swapped = false;
  return {
    name: 'harmon-lib-ort-paths',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (!source.includes('ort-paths')) return null;
      const r = await this.resolve(source, importer, { ...options, skipSelf: true });
      if (r && path.resolve(r.id) === from) {
        swapped = true;
        return to;
      }
      return r;
    },
    buildEnd() {
      if (!swapped) this.error(`${from} was never imported: update packagedOrtPaths() in vite.lib.config.ts`);
    },
  };
}

/** After the library: the script-tag widget, one file in lib/widget/ (the demo build's widget config). */
function widgetToo(): Plugin {
  return {
    name: 'harmon-lib-widget',
    apply: 'build',
    closeBundle: {
      sequential: true,
      async handler() {
        await build(widgetConfig(path.join(outDir, 'widget'), [ortRuntimeUrlsAsIs()]));
      },
    },
  };
}

const external = [/^node:/, /^vite$/, /^onnxruntime-web(\/|$)/, /^comlink$/, /^@huggingface\/tokenizers$/];

export default defineConfig({
  root,
  publicDir: false,
  logLevel: 'warn',
  cacheDir: at('node_modules/.vite/lib'),
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
    sourcemap: false,
    lib: {
      entry: { index: at('src/lib/index.ts'), worker: at('src/engine/worker.ts'), vite: at('src/lib/vite.ts') },
      formats: ['es'],
      fileName: (_format, name) => `${name}.js`,
    },
    rolldownOptions: { external, output: { chunkFileNames: 'chunks/[name]-[hash].js' } },
  },
  plugins: [workerStaysAUrl(), packagedOrtPaths(), widgetToo()],
});
