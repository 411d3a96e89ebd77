// The widget's build: dist/harmon-widget.js, ONE ES module (src/widget/index.ts with everything it
// imports: the elements, the engine, onnxruntime-web's JavaScript). It runs as a second Vite build
// after the demo page's, into the same folder, so that `vite build` (npm run build) writes both; the
// widget finds onnxruntime-web's runtime (ort/) and the embedded default model (models/default/)
// beside itself, where the page's build put them.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type InlineConfig, type Plugin } from 'vite';

export const WIDGET_FILE = 'harmon-widget.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * EngineClient (src/engine/client.ts) starts the demo page's worker, `new Worker(new URL('./worker.ts',
 * import.meta.url))`, unless it is handed one. Vite bundles that URL as a second, separate worker
 * file. The widget always hands over its own worker (the widget file itself, see index.ts), so in
 * its build that default is replaced by an error: no second bundle. The build fails if the default
 * is written differently, rather than silently shipping the extra bundle.
 */
function noDefaultEngineWorker(): Plugin {
  const file = path.join(repoRoot, 'src/engine/client.ts');
  const url = /new URL\((['"])\.\/worker\.ts\1,\s*import\.meta\.url\)/g;
  return {
    name: 'harmon-widget-no-default-engine-worker',
    enforce: 'pre',
    transform(code, id) {
      if (path.resolve(id.split('?')[0]) !== file) return null;
      const out = code.replace(url, 'harmonWidgetHandsItsOwnWorker()');
      if (out === code) this.error(`${file}: its default worker URL changed; update noDefaultEngineWorker() in src/widget/vite-widget.ts`);
      const fail = "function harmonWidgetHandsItsOwnWorker(): never { throw new Error('the widget starts EngineClient with its own worker'); }\n";
      return { code: out + '\n' + fail, map: null };
    },
  };
}

/** Vite settings for the widget, written into `outDir` next to the demo page. */
export function widgetConfig(outDir: string, plugins: Plugin[]): InlineConfig {
  return {
    configFile: false,
    root: repoRoot,
    logLevel: 'warn',
    // the page's public/ (icons) is copied by the page's build
    publicDir: false,
    cacheDir: path.join(repoRoot, 'node_modules/.vite/widget'),
    // library builds keep process.env references as they are; no browser has `process`
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    build: {
      outDir,
      emptyOutDir: false,
      target: 'es2022',
      sourcemap: false,
      chunkSizeWarningLimit: 2000,
      lib: { entry: path.join(repoRoot, 'src/widget/index.ts'), formats: ['es'], fileName: () => WIDGET_FILE },
      // one file: the dynamic imports of index.ts become lazily evaluated code in it, not chunks
      rolldownOptions: { output: { codeSplitting: false } },
    },
    plugins: [noDefaultEngineWorker(), ...plugins],
  };
}

/** A plugin for the page's build that runs the widget's build once the page is written. */
export function widgetBuild(plugins: () => Plugin[]): Plugin {
  let outDir = '';
  return {
    name: 'harmon-widget-build',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    closeBundle: {
      sequential: true,
      async handler() {
        await build(widgetConfig(outDir, plugins()));
      },
    },
  };
}
