// The npm package's main entry (`import … from 'harmon-webgpu'`, built by `npm run build:lib`):
// the engine in a Web Worker (EngineClient) or in the page (Engine), its API types, its error, the
// paste-back helper, and where the package's static files sit beside a consumer's page.
//
//   import { EngineClient, defaultModelUrl } from 'harmon-webgpu';
//   const engine = await EngineClient.create();
//   await engine.load({ url: defaultModelUrl() });
//   const { images } = await engine.generate('a red circle');
//
// The defaults assume the package's Vite plugin (`harmon-webgpu/vite`, src/lib/vite.ts), which
// copies onnxruntime-web's runtime and the embedded default model to harmon/ beside the pages;
// without it, pass `wasmPaths` and a model URL of your own. Re-exports only: each concept keeps its
// one place in src/engine/.

import { ASSETS_DIR, DEFAULT_MODEL_SUBDIR } from './assets';

export { EngineClient } from '../engine/client';
export { Engine } from '../engine/engine';
export { EngineError } from '../engine/errors';
export { PackageError } from '../engine/package';
export { pasteBack, PASTE_FEATHER } from '../engine/paste-back';
export type { PasteBackInput, RgbaImage } from '../engine/paste-back';
export { listCachedModels, deleteCachedModel, CACHE_NAME } from '../engine/cache';
export type { CachedModel } from '../engine/cache';
export type {
  AskHooks, AskOptions, AskResult, BackendChoice, BackendInfo, EngineApi, EngineOptions, GenerateHooks, GenerateOptions,
  GenerateResult, GeneratedImage, InputImage, LoadHooks, LoadProgress, MaskImage, ModelDefaults, ModelInfo, PackageSource,
  StageEvent, StepEvent,
} from '../engine/api';
export { ASSETS_DIR, DEFAULT_MODEL_SUBDIR, ORT_SUBDIR, WIDGET_SCRIPT } from './assets';

/** The embedded default model's folder URL, where the Vite plugin copies it (harmon/models/default/
 * beside the page; `base`: another page or folder URL to resolve it against). */
export function defaultModelUrl(base: string = document.baseURI): string {
  return new URL(`${ASSETS_DIR}${DEFAULT_MODEL_SUBDIR}`, base).href;
}
