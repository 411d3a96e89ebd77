// harmon-widget.js, the script-tag widget (README "Embedding the widget"):
//
//   <script type="module" src="https://host/harmon-widget.js"></script>
//   <harmon-image prompt="a red circle"></harmon-image>
//
// The same single file has two roles. In a page it defines <harmon-image> and <harmon-ask>. When the
// page is on the script's own origin, the shared engine starts this very file again as a module
// Web Worker (shared-engine.ts), where it runs the engine's worker side instead. Each role is a
// dynamic import, which the one-file build (src/widget/vite-widget.ts) inlines as code that runs
// only when imported: the page never exposes the worker API, the worker never touches HTMLElement.

const inWorker = typeof window === 'undefined' && typeof self !== 'undefined';

if (inWorker) {
  await import('../engine/worker');
} else {
  const { defineElements } = await import('./elements');
  defineElements();
}

export {};
