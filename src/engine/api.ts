import type { HarmonConfig } from './model';

// The engine's public interface: the same whether the engine runs in-process or behind the worker
// (Comlink). Everything here is structured-clonable; callbacks are proxied by Comlink.

/** A model package: a URL prefix / folder URL holding manifest.json, or files handed over directly. */
export type PackageSource =
  | { url: string }
  | { files: Map<string, Blob | ArrayBuffer> };

export type LoadProgress =
  | { phase: 'manifest' }
  | { phase: 'download'; file: string; loaded: number; total: number; bytesPerSecond: number }
  | { phase: 'verify'; file: string }
  | { phase: 'compile'; graph: string }
  | { phase: 'ready' };

/** Which backend runs the model: `auto` (the default) picks `webgpu` on a hardware adapter and
 * `wasm` on a software adapter (SwiftShader, llvmpipe, WARP, the browser's fallback) or none. */
export type BackendChoice = 'auto' | 'webgpu' | 'wasm';

export interface EngineOptions {
  /** the folder URL where onnxruntime-web's runtime (.mjs + .wasm) is served, relative to the page or
   * absolute (default: src/engine/ort-paths.ts; in the npm package `harmon/ort/` beside the page) */
  wasmPaths?: string;
  /** default `auto` */
  backend?: BackendChoice;
  /** how the LLM runs on webgpu: `onnx` (llm.onnx through onnxruntime-web), `kernels` (our WGSL
   * kernels, the KV cache resident in our buffers; needs the package's llm.safetensors) or `auto`
   * (default: the faster one as measured, see the README). wasm always runs `onnx`. */
  llm?: 'auto' | 'onnx' | 'kernels';
}

/** What the engine runs on, known from `create()` on (before any model is loaded). */
export interface BackendInfo {
  kind: 'webgpu' | 'wasm';
  /** why this backend: forced by the caller, a hardware adapter, a software adapter, no WebGPU */
  reason: string;
  /** the adapter's vendor/architecture/description, or 'none' without WebGPU */
  adapter: string;
  /** the adapter is a CPU implementation (or the browser's fallback adapter) */
  software: boolean;
  /** onnxruntime-web's WASM threads (1 unless the page is cross-origin isolated) */
  threads: number;
  crossOriginIsolated: boolean;
  /** the GPU device's features (empty on `wasm`) */
  features: string[];
}

/** The package's generation settings (manifest `defaults` and `diffusion.default_sampling_steps`):
 * every option a request leaves out takes these values inside the engine. */
export interface ModelDefaults {
  steps: number;
  cfg: number;
  cfgSchedule: 'constant' | 'linear';
  temperature: number;
  /** image side in pixels (a square canvas) */
  size: number;
  samplingSteps: number;
}

/** The package's understanding settings (manifest `understanding`): what `ask` uses unless told. */
export interface AskDefaults {
  /** the side the image is padded and resized to (512 for the released models, as the official
   * image2text; the generation size for packages without the setting) */
  size: number;
  /** HF's repetition penalty on the answer's tokens so far (1: plain greedy) */
  repetitionPenalty: number;
}

export interface ModelInfo {
  name: string;
  backend: BackendInfo;
  defaults: ModelDefaults;
  ask: AskDefaults;
  /** the package's model config (sizes, grid, buffer, VAE) */
  config: HarmonConfig;
  dtype: 'fp32' | 'fp16' | 'q4';
  imageSize: number;
  bytes: number;
  adapter: string;
  features: string[];
}

/**
 * What `generate` draws. Text-to-image by default; with `image`, a partly known image (DESIGN.md §2):
 *
 * - inpainting: `image` + `mask` (white = regenerate) on a canvas of the image's size;
 * - outpainting: `image` on a larger canvas (`width`, `height`), placed at `offset`: the area it
 *   does not cover is generated (a `mask` may add to it);
 * - variations: `image` + `strength` ∈ (0, 1]: that fraction of the tokens (of the masked ones when
 *   there is a mask or an uncovered area) is regenerated, chosen at random.
 *
 * A token (a 16×16 patch) is generated when any pixel of it is masked (`growMask`: also its 8
 * neighbours); every other token keeps the VAE encoding of the canvas exactly, bit for bit.
 */
export interface GenerateOptions {
  /** images per prompt */
  n?: number;
  /** a square canvas's side in pixels (a multiple of the VAE stride, 16); default the package's
   * `defaults.size`, or with `image` the image's own size */
  size?: number;
  /** canvas width and height in pixels (multiples of 16), any aspect ratio; default `size` */
  width?: number;
  height?: number;
  /** MAR iterations K */
  steps?: number;
  cfg?: number;
  cfgSchedule?: 'constant' | 'linear';
  temperature?: number;
  /** diffusion sampling steps S at every MAR step (default: the package's, 100 for the released
   * models); not with `preset: 'fast'`, which sets its own (an EngineError) */
  samplingSteps?: number;
  /** `default`: S sampling steps at every MAR step. `fast`: head-step annealing (DESIGN.md §2),
   * S_k = 5 + ⌊(K−1−k)/(K−1)·45⌋ at MAR step k of K (50 → 5; 50 for K = 1), several times fewer
   * diffusion-head evaluations; the noise layout follows (see `noise`) */
  preset?: 'default' | 'fast';
  seed?: number;
  /** the source image (RGBA, any size); its pixels on the canvas are known */
  image?: InputImage;
  /** the pixels to regenerate, at the canvas's size (white = regenerate) */
  mask?: MaskImage;
  /** where the image's top-left corner sits on the canvas, in pixels (default 0, 0; may be negative:
   * the image is cropped to the canvas) */
  offset?: { x: number; y: number };
  /** variations: the fraction of the tokens (of the masked ones, if any) regenerated, in (0, 1] */
  strength?: number;
  /** widen the mask by one token ring (as MAGE does); default false */
  growMask?: boolean;
  /**
   * deterministic inputs (DESIGN.md §6): per image the u tokens generated (row-major indices of the
   * gh × gw grid) in the order MAR masks them — a permutation of 0…N−1 for text-to-image, of the
   * unknown tokens for a partly known image, or (with `strength`) any u distinct unknown tokens,
   * which then are the ones regenerated
   */
  orders?: number[][];
  /** little-endian float32, per image its u generated tokens (u = N for text-to-image) in
   * prediction order, S_k + 1 slots of 16 each, S_k the sampling steps of the MAR step that predicts
   * the token: u × (S+1) × 16 at one S (DESIGN.md §6) */
  noise?: Float32Array;
  /** ask for a preview image after every step (costs a decode and a readback per step) */
  preview?: boolean;
}

/** Which canvas pixels to regenerate: one value per pixel (grey) or four (RGBA: the red channel is
 * read); a value ≥ 128 (white) regenerates its pixel, below (black) keeps it. */
export interface MaskImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

export interface StepEvent {
  step: number;
  steps: number;
  /** present when `preview` was requested: RGBA of the partly generated images */
  preview?: GeneratedImage[];
}

export interface GeneratedImage {
  width: number;
  height: number;
  /** RGBA bytes, row-major */
  rgba: Uint8ClampedArray;
}

export interface GenerateResult {
  images: GeneratedImage[];
  /** final token latents, per image N × 16 row-major (N = gh × gw), scaled latent space */
  latents: Float32Array;
  /** with `image`: per image the gh × gw token flags, 1 = generated, 0 = known (its latent is the
   * canvas's VAE encoding, unchanged) */
  generated?: Uint8Array[];
  ms: number;
}

export interface AskOptions {
  maxNewTokens?: number;
  /** a new conversation's image side in pixels (a multiple of 16; default the package's
   * `ask.size`); the image is padded to a grey square and resized as PIL does. For a later turn it
   * may only repeat the conversation's size. */
  size?: number;
  /** > 0; a token already in this turn's answer has its logit l become l / p if l > 0, else l · p
   * (Hugging Face's rule); default the package's `ask.repetitionPenalty`, 1 = plain greedy */
  repetitionPenalty?: number;
}

export interface AskResult {
  text: string;
  tokenIds: number[];
  ms: number;
}

/** An image for understanding: RGBA pixels of any size (the engine pads and resizes). */
export interface InputImage {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

export interface LoadHooks {
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
}

export interface GenerateHooks {
  onStep?: (e: StepEvent) => void;
  signal?: AbortSignal;
  /** benchmarks only: wait for the GPU after every stage and report its time (slows generation) */
  onStage?: (e: StageEvent) => void;
}

export interface StageEvent {
  /** MAR step, or −1 for work outside the loop (prompt prefill, VAE decode) */
  step: number;
  stage: 'prefill' | 'patch_embed' | 'mar_encoder' | 'llm' | 'mar_decoder' | 'diffusion_head' | 'vae_decode';
  ms: number;
  /** shapes of the step (for FLOP counts): rows, encoder tokens, prompt length, sampled rows and,
   * for the loop's stages, the step's diffusion sampling steps S_k (it varies with `preset: 'fast'`) */
  shape?: { b: number; l: number; p: number; m: number; s?: number };
  /** the LLM stages (prefill, llm): which path ran it and what the run cost, counted by the engine
   * from the shapes (llm.ts LlmRunCost: onnxruntime runs, our dispatches, bytes copied on the GPU,
   * bytes uploaded from the host) */
  llm?: { path: 'onnx' | 'kernels'; ortRuns: number; dispatches: number; gpuCopyBytes: number; uploadBytes: number };
}

export interface AskHooks {
  /** each generated token as it comes: its text and id */
  onToken?: (text: string, id: number) => void;
  signal?: AbortSignal;
}

/** What an engine holds now: for a long session to check that nothing grows (the reliability soak). */
export interface EngineStats {
  /** bytes of the GPU buffers held on the engine's device (ours and onnxruntime-web's: created,
   * not destroyed, not yet reclaimed by the garbage collector); 0 on wasm */
  gpuBytes: number;
  /** bytes of the buffers created and never destroyed, reclaimed or not: a buffer left to the GC
   * shows here (every buffer of ours is destroyed explicitly) */
  gpuBytesUndestroyed: number;
  /** how many buffers are created and not destroyed */
  gpuBuffers: number;
  /** the GPU bytes held (`gpuBytes`) by owner: `sessions` onnxruntime-web's sessions (their weights,
   * uploaded when they are created), `kernels` the weights our WGSL kernels read, `kvCache` the open
   * conversations' KV caches, `scratch` the rest (activations, per-request buffers); zeros on wasm */
  gpuBytesByOwner: { sessions: number; kernels: number; kvCache: number; scratch: number };
  /** the most `gpuBytes` has been since the backend was created */
  gpuPeakBytes: number;
  /** onnxruntime-web's WebAssembly heap (both backends run it; on wasm it holds every graph's
   * weights; wasm32: at most 4 GiB). A wasm heap never shrinks: this is also its peak. */
  wasmMemoryBytes: number;
  /** our CPU kernels' WebAssembly memory (the wasm backend's diffusion head: weights and scratch),
   * also never shrinking */
  kernelWasmBytes: number;
  /** the open conversations' KV caches, on the GPU (webgpu) or in the page's memory (wasm) */
  kvCacheBytes: number;
  /** open conversations (each holds a KV cache) */
  conversations: number;
  /** requests started and not finished (the worker client adds those it waits on) */
  pending: number;
}

/** What both the in-process Engine and the worker client offer. */
export interface EngineApi {
  /** the backend chosen at create() and why */
  backend(): BackendInfo | Promise<BackendInfo>;
  load(source: PackageSource, hooks?: LoadHooks): Promise<ModelInfo>;
  info(): ModelInfo | Promise<ModelInfo>;
  generate(prompt: string, options?: GenerateOptions, hooks?: GenerateHooks): Promise<GenerateResult>;
  /** a question about a new image, or the next turn of a conversation (its id) */
  ask(image: InputImage | string, question: string, options?: AskOptions, hooks?: AskHooks): Promise<AskResult & { conversation: string }>;
  endConversation(id: string): void | Promise<void>;
  /** GPU memory held, conversations, requests in flight (settled: waits for the GPU's queue) */
  stats(): Promise<EngineStats>;
  dispose(): Promise<void>;
}
