// Where a consumer's build keeps the package's static files, relative to its pages: the layout of the
// demo's dist/ under one folder, so the script-tag widget finds ORT and the default model beside
// itself exactly as it does there (src/widget/shared-engine.ts). The Vite plugin (src/lib/vite.ts)
// writes it; the engine's defaults (src/lib/ort-paths.ts, defaultModelUrl) read it.

/** the folder, relative to the page (the plugin's `dir` option must match when changed) */
export const ASSETS_DIR = 'harmon/';
/** inside it: onnxruntime-web's runtime, the embedded default model, the widget script */
export const ORT_SUBDIR = 'ort/';
export const DEFAULT_MODEL_SUBDIR = 'models/default/';
export const WIDGET_SCRIPT = 'harmon-widget.js';
