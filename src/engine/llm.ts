// The LLM body (Qwen2 decoder layers + final RMSNorm) behind one interface, so that the MAR loop
// (text2image.ts) and understanding (understand.ts) read the same whichever runs it:
//   onnx    — the package's llm.onnx through onnxruntime-web (both backends): the cache is a set of
//             past_* tensors fed in and present_* copies returned by every run (graphs.ts);
//   kernels — our WGSL kernels (webgpu only, llm_kernels.ts): the cache lives in our own GPU buffers,
//             written once where it grows and read in place by the attention kernel.
// Which one a backend uses is the engine's `llm` option, decided by the bench (README).

import type { ort } from './ort';

export type LlmPath = 'onnx' | 'kernels';

/** The keys and values of `length` positions per row. */
export interface LlmCache {
  readonly length: number;
  dispose(): void;
}

/** Rotary tables for `rows` batch rows of `perRow` positions each (positions[r · perRow + j]). A run
 * over T ≤ perRow new tokens per row uses each row's first T. Made before a loop, so the loop
 * uploads nothing. */
export interface Rope {
  readonly rows: number;
  readonly perRow: number;
  dispose(): void;
}

export interface Llm {
  readonly path: LlmPath;
  /** a cache of no positions for `batch` rows */
  empty(batch: number): LlmCache;
  rope(positions: ArrayLike<number>, rows: number): Rope;
  /** sets which cached positions each row sees (`valid`, as `run` takes it) ahead of the runs that
   * use it, so that a loop passing the same `valid` uploads nothing (a no-op on the onnx path) */
  see(cache: LlmCache, valid: number[]): void;
  /**
   * `embeds` (B, T, H) after the cached positions: row r sees its first `valid[r]` cached positions
   * (the rest is padding) and the new tokens causally, at the rope's positions. Returns the final
   * hidden states (the caller owns them) and, with `grow`, the cache with these T positions appended
   * (the given cache is then consumed: do not use or dispose it again). `bias` (B, 1, T, C + T): the
   * additive mask of `valid`, when the caller has it already (the onnx path's input).
   */
  run(embeds: ort.Tensor, cache: LlmCache, valid: number[], rope: Rope, grow: boolean,
    bias?: Float32Array): Promise<{ hidden: ort.Tensor; cache?: LlmCache }>;
  /** what the last run cost: onnxruntime runs, our dispatches, bytes copied on the GPU (the cache
   * and activations) and bytes uploaded from the host */
  readonly lastRun: LlmRunCost;
  dispose(): void;
}

export interface LlmRunCost {
  ortRuns: number;
  dispatches: number;
  gpuCopyBytes: number;
  uploadBytes: number;
}
