// CPU reference of the diffusion head (MAR's SimpleMLPAdaLN) and of one MAR iteration's sampling
// loop (DDPM, learned-range variance, CFG on ε), written after the PyTorch modules rather than
// after the GPU pipeline: the combined [x_c; x_c] input of forward_with_cfg, chunk() of each
// adaLN output, f64 arithmetic on the f32 weights and the f32 schedule tables.

import { type DiffusionSchedule, respacedSchedule, timestepFeatures } from '../diffusion_schedule';
import type { DiffusionHeadShape, Weights } from '../types';
import { layerNormModulateRef, linearRef, silu, type Vec } from './linear';

export function timestepEmbeddingRef(wts: Weights, width: number, t: number): Float64Array {
  const h = linearRef(timestepFeatures(t), 1, wts['time_embed.mlp.0.weight'], wts['time_embed.mlp.0.bias'], 256, width);
  return linearRef(h.map(silu), 1, wts['time_embed.mlp.2.weight'], wts['time_embed.mlp.2.bias'], width, width);
}

/** net(x, t, c) for `rows` rows: x (rows, 16), tEmb (W) shared, cond (rows, D') → (rows, 32). */
export function diffusionNetRef(wts: Weights, s: DiffusionHeadShape, rows: number, x: Vec, tEmb: Vec, cond: Vec): Float64Array {
  const W = s.width;
  const c = linearRef(cond, rows, wts['cond_embed.weight'], wts['cond_embed.bias'], s.condDim, W);
  const sy = c.map((v, i) => silu(v + tEmb[i % W]));
  const h = linearRef(x, rows, wts['input_proj.weight'], wts['input_proj.bias'], 16, W);
  for (let r = 0; r < s.depth; r++) {
    const p = `res_blocks.${r}.`;
    // (shift, scale, gate) = chunk(adaLN_modulation(y), 3)
    const mods = linearRef(sy, rows, wts[`${p}adaLN_modulation.1.weight`], wts[`${p}adaLN_modulation.1.bias`], W, 3 * W);
    const hn = layerNormModulateRef(h, rows, W, mods, 3 * W, 0, W, wts[`${p}in_ln.weight`], wts[`${p}in_ln.bias`]);
    const t = linearRef(hn, rows, wts[`${p}mlp.0.weight`], wts[`${p}mlp.0.bias`], W, W).map(silu);
    const o = linearRef(t, rows, wts[`${p}mlp.2.weight`], wts[`${p}mlp.2.bias`], W, W);
    for (let i = 0; i < rows * W; i++) h[i] += mods[Math.floor(i / W) * 3 * W + 2 * W + (i % W)] * o[i];
  }
  const mods = linearRef(sy, rows, wts['final_layer.adaLN_modulation.1.weight'], wts['final_layer.adaLN_modulation.1.bias'], W, 2 * W);
  const hn = layerNormModulateRef(h, rows, W, mods, 2 * W, 0, W);
  return linearRef(hn, rows, wts['final_layer.linear.weight'], wts['final_layer.linear.bias'], W, 32);
}

export interface SampleRefInputs {
  /** Conditioning rows (M, D'): [Mc conditional; Mc unconditional] with CFG, else Mc rows. */
  cond: Float32Array;
  /** (Mc, S+1, 16): slot 0 = x_T, slot k = noise of the k-th denoising step. */
  noise: Float32Array;
  mc: number;
  steps: number;
  cfg: number;
  temperature: number;
}

/** One MAR iteration of diffusion sampling; returns x (M, 16). */
export function diffusionSampleRef(wts: Weights, s: DiffusionHeadShape, a: SampleRefInputs): Float32Array {
  const sched = respacedSchedule(a.steps);
  const cfgOn = a.cfg !== 1;
  const m = cfgOn ? 2 * a.mc : a.mc;
  const slot = (i: number, k: number, c: number) => a.noise[(i * (a.steps + 1) + k) * 16 + c];
  const x = new Float64Array(m * 16);
  for (let r = 0; r < m; r++) for (let c = 0; c < 16; c++) x[r * 16 + c] = slot(r % a.mc, 0, c);
  for (let j = a.steps - 1; j >= 0; j--) {
    const tEmb = timestepEmbeddingRef(wts, s.width, sched.timesteps[j]);
    // forward_with_cfg: the network sees the conditional half twice.
    const input = new Float64Array(m * 16);
    for (let r = 0; r < m; r++) input.set(x.subarray((r % a.mc) * 16, (r % a.mc + 1) * 16), r * 16);
    const out = diffusionNetRef(wts, s, m, input, tEmb, a.cond);
    const next = ddpmStepRef(sched, j, x, out, { ...a, m, cfgOn }, slot);
    x.set(next);
  }
  return Float32Array.from(x);
}

/**
 * One DDPM step of all M rows at sampling step j (k = S − j): CFG on ε (pairs i, Mc + i), each row
 * with its own v and its own x; noise of conditional row i, slot k, shared by the pair.
 */
export function ddpmStepRef(
  sched: DiffusionSchedule,
  j: number,
  x: Vec,
  out: Vec,
  a: { m: number; mc: number; cfgOn: boolean; cfg: number; temperature: number },
  noise: (i: number, k: number, c: number) => number,
): Float64Array {
  const k = sched.steps - j;
  const next = new Float64Array(a.m * 16);
  for (let r = 0; r < a.m; r++) {
    const i = r % a.mc;
    for (let c = 0; c < 16; c++) {
      let eps = out[r * 32 + c];
      if (a.cfgOn) {
        const [ec, eu] = [out[i * 32 + c], out[(a.mc + i) * 32 + c]];
        eps = eu + a.cfg * (ec - eu);
      }
      const v = out[r * 32 + 16 + c];
      const xt = x[r * 16 + c];
      const x0 = sched.sqrtRecip[j] * xt - sched.sqrtRecipM1[j] * eps;
      const mean = sched.coef1[j] * x0 + sched.coef2[j] * xt;
      const frac = (v + 1) / 2;
      const logVar = frac * sched.maxLog[j] + (1 - frac) * sched.minLog[j];
      next[r * 16 + c] = mean + (j > 0 ? Math.exp(0.5 * logVar) * noise(i, k, c) * a.temperature : 0);
    }
  }
  return next;
}
