// Floating-point operations of each stage (multiply-add = 2), from the model config and the step
// plan: what `npm run bench` divides by measured time. Matmuls and attention only; norms,
// activations and element-wise work are a few percent and left out. The diffusion head's cost is
// per MAR step: rows × that step's S_k (StageEvent.shape.s), which the fast preset anneals.

import type { HarmonConfig } from './model';
import { predictedCounts } from './plan';

export interface StepShape {
  /** rows (conditional + unconditional) */
  b: number;
  /** encoder tokens (buffer + seen) */
  l: number;
  /** image tokens */
  n: number;
  /** prompt length (cached) */
  p: number;
  /** sampled rows of the diffusion head (M = 2·Mc with CFG) */
  m: number;
  /** diffusion sampling steps of this MAR step (S_k) */
  s: number;
}

const vit = (tokens: number, d: number, mlp: number) => 2 * tokens * (4 * d * d + 2 * d * mlp) + 4 * tokens * tokens * d;

export function stageFlops(c: HarmonConfig, x: StepShape): Record<'patch_embed' | 'mar_encoder' | 'llm' | 'mar_decoder' | 'diffusion_head', number> {
  const { width: D, decoder_width: Dd, depth, decoder_depth, buffer_size: buf } = c.mar;
  const { hidden_size: H, num_hidden_layers: layers, num_attention_heads: hq, num_key_value_heads: kv } = c.llm;
  const I = c.llm.intermediate_size;
  const hd = H / hq;
  const llmLayer = 2 * x.l * (H * (H + 2 * kv * hd) + H * H + 3 * H * I) + 4 * x.l * (x.p + x.l) * H;
  const full = buf + x.n;
  return {
    patch_embed: x.b * 2 * x.l * 16 * D,
    mar_encoder: x.b * (depth * vit(x.l, D, c.mar.mlp_ratio * D) + 2 * x.l * (D * H + H * H)),
    llm: x.b * layers * llmLayer,
    mar_decoder: x.b * (2 * x.l * (H * H + H * D + D * Dd) + decoder_depth * vit(full, Dd, c.mar.mlp_ratio * Dd)),
    // per sampled row: cond_embed once; per sampling step input_proj, the stacked adaLN Linear,
    // R res-blocks of two W×W Linears, the final W→32 Linear
    diffusion_head: headFlops(c, x.m, x.s),
  };
}

/** The diffusion head on m sampled rows for S sampling steps: per row cond_embed once; per
 * sampling step input_proj, the stacked adaLN Linear, R res-blocks of two W×W Linears, the final
 * W→32 Linear. */
export function headFlops(c: HarmonConfig, m: number, s: number): number {
  const { decoder_width: Dd, head_width: W, head_depth: R } = c.mar;
  return m * (2 * Dd * W + s * 2 * (16 * W + (3 * R + 2) * W * W + 2 * R * W * W + 32 * W));
}

/** The diffusion head's FLOPs for one image over a whole generation: Σ_k (tokens predicted at step
 * k) × (2 with CFG) × cost(S_k). `samplingSteps` holds S_k per MAR step (plan.headSteps), so the
 * default and the fast preset compare directly; `tokens` is u, the generated tokens. */
export function headFlopsPerImage(c: HarmonConfig, r: { tokens: number; samplingSteps: number[]; cfg: number }): number {
  const rows = r.cfg !== 1 ? 2 : 1;
  return predictedCounts(r.tokens, r.samplingSteps.length).reduce((f, cnt, k) => f + headFlops(c, cnt * rows, r.samplingSteps[k]), 0);
}

/** The KL-16 decoder at a g×g latent grid: every 3×3 / 1×1 convolution and the mid attention. */
export function vaeDecoderFlops(c: HarmonConfig, grid: number): number {
  const { ch, ch_mult: mult, num_res_blocks, z_channels } = c.vae;
  const conv = (cin: number, cout: number, k: number, side: number) => 2 * k * k * cin * cout * side * side;
  let side = grid;
  let cur = ch * mult[mult.length - 1];
  const res = (cin: number, cout: number) => conv(cin, cout, 3, side) + conv(cout, cout, 3, side) + (cin !== cout ? conv(cin, cout, 1, side) : 0);
  let f = conv(z_channels, z_channels, 1, side) + conv(z_channels, cur, 3, side);
  f += 2 * res(cur, cur) + 4 * conv(cur, cur, 1, side) + 4 * side ** 4 * cur; // mid blocks + attention
  for (let i = mult.length - 1; i >= 0; i--) {
    const out = ch * mult[i];
    for (let j = 0; j < num_res_blocks + 1; j++) {
      f += res(cur, out);
      cur = out;
    }
    if (i !== 0) {
      side *= 2;
      f += conv(cur, cur, 3, side);
    }
  }
  return f + conv(cur, 3, 3, side);
}
