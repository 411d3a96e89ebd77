// The per-step work around the graphs, whose shapes change from step to step: patch embedding,
// the diffusion head (the step's S_k sampling steps, CFG and the DDPM update), writing the sampled
// tokens, and the resized position tables. One interface; steps_webgpu.ts runs it in WGSL on the GPU,
// steps_wasm.ts in CPU code (kernels/cpu/).

import type { ort } from './ort';
import type { StepPlan } from './plan';

export interface LoopInput {
  plans: StepPlan[];
  /** rows: images, doubled with CFG */
  batch: number;
  /** the token grid: gh rows × gw columns */
  gh: number;
  gw: number;
  temperature: number;
  /** the noise as plan.packNoise regroups it: step k's rows of (S_k+1)·16 floats, indexed by its
   * plan's noiseRows (the kernels read one stride per call) */
  noise: Float32Array;
  /** the token buffer's start (B × N × 16): the known tokens of a partly known image; zeros if absent */
  initial?: Float32Array;
}

/** The state of one MAR loop: the token latents and what each step needs, set up before the first
 * step (on webgpu: uploaded once, so nothing moves between CPU and GPU inside the loop). */
export interface MarLoop {
  /** the token latents (B, N, 16), scaled latent space */
  readonly tokens: ort.Tensor;
  /** patch embedding of step k's seen tokens (B, L, D); valid until the next call */
  embed(k: number): ort.Tensor;
  /** samples the tokens step k predicts from the decoder's z (B, N, D′) and writes them in */
  sample(k: number, z: ort.Tensor): void;
  /** frees the loop's buffers; the tokens too unless `keepTokens` */
  dispose(keepTokens: boolean): void;
}

export interface PosTables {
  encoder: ort.Tensor;
  decoder: ort.Tensor;
  diffusion: ort.Tensor;
}

export interface StepKernels {
  loop(input: LoopInput): MarLoop;
  /** patch embedding of all tokens of one image's latents (1, gh, gw, 16) → (1, buffer + gh·gw, D) */
  embedAll(latents: ort.Tensor, gh: number, gw: number): ort.Tensor;
  /** position tables resized to a gh × gw token grid (cached per grid; owned by the kernels) */
  posTables(gh: number, gw: number): PosTables;
  dispose(): void;
}

/** The kernel weights by name (kernels.safetensors), as f32. */
export type KernelWeights = (name: string) => Float32Array;

/** The diffusion head's weights: `mar.diffloss.net.*` without that prefix. */
export function headWeights(all: Iterable<[string, { data: unknown }]>): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  const prefix = 'mar.diffloss.net.';
  for (const [k, t] of all) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = t.data as Float32Array;
  return out;
}
