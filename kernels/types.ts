// Argument types of the production kernels (kernels/*.ts on the GPU, kernels/cpu/*.ts on the CPU).
// They live here, not in reference/, so that production code never imports the test references;
// the references take the same types from here.

export interface DiffusionHeadShape {
  /** Model width W. */
  width: number;
  /** Res-blocks R. */
  depth: number;
  /** Conditioning width D' (MAR decoder width). */
  condDim: number;
}

/** A kernel's weights by name (the PyTorch module's state-dict keys), as f32. */
export type Weights = Record<string, Float32Array>;
