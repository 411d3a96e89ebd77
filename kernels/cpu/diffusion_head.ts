// The diffusion head (MAR's SimpleMLPAdaLN) and one MAR iteration's sampling loop on the CPU, in
// f32: the `wasm` backend's counterpart of kernels/diffusion_head.ts (same weights, same
// arguments as DiffusionHead.encode, typed arrays instead of GPU buffers). Math as
// reference/diffusion_head.ts's diffusionSampleRef, f32 schedule tables from diffusion_schedule.ts.
//
// Per call: c_emb = cond_embed(cond[condRows]) once; x = x_T. Per step j (S−1 → 0):
//   sy = SiLU(t_emb[j] + c_emb)                            (t_emb cached per S)
//   mods = sy · [adaLN_0; …; adaLN_{R−1}; final adaLN]ᵀ     one stacked Linear
//   h = input_proj(x[r mod Mc])                            CFG pairs both see the conditional x
//   per block: hn = LN(h)·γ+β, ·(1+scale)+shift (fused); t = SiLU(mlp.0(hn)); h += gate ⊙ mlp.2(t)
//   hn = LN(h)·(1+scale)+shift; out32 = final_layer.linear(hn)
//   x ← DDPM step (CFG on ε, learned-range variance, no noise at j = 0)
// The Linears are the blocked kernels of matmul.ts (WebAssembly SIMD, or JS where it is missing).

import { stackAdaLN, validateDiffusionHeadWeights } from '../diffusion_head';
import { type DiffusionSchedule, respacedSchedule, TIME_FREQ_DIM, timestepFeatures } from '../diffusion_schedule';
import type { DiffusionHeadShape, Weights } from '../types';
import { type CpuBackend, CpuHeap, type PackedLinear, ceilTo, linear, packLinear } from './matmul';

export type { DiffusionHeadShape, Weights } from '../types';
export { diffusionHeadWeightShapes, validateDiffusionHeadWeights } from '../diffusion_head';

export interface DiffusionSampleCpuArgs {
  /** Sampling steps S (2..1000). */
  steps: number;
  /** CFG scale; exactly 1 turns CFG off (then M = Mc rows, no unconditional half). */
  cfg: number;
  temperature: number;
  /** Mc: tokens sampled (conditional rows). */
  rows: number;
  /** Conditioning vectors, rows of D' (e.g. the MAR decoder output (B, N, D')). */
  cond: Float32Array;
  /** (≥ M): row of `cond` for sampled row r; with CFG rows Mc + i are the unconditional ones. */
  condRows: Uint32Array;
  /** Noise streams, rows of (S+1)·16: slot 0 = x_T, slot k = noise of denoising step k. */
  noise: Float32Array;
  /** (≥ Mc): noise row of conditional row i (its unconditional twin shares it). */
  noiseRows: Uint32Array;
  /** Receives x (M, 16) at element `outOffset` (a new array when omitted). */
  out?: Float32Array;
  /** In elements (floats), not bytes. */
  outOffset?: number;
}

export interface DiffusionHeadCpuOptions {
  /** 'auto' (default): WebAssembly SIMD where available, else plain JS. */
  backend?: CpuBackend | 'auto';
}

export interface ScheduleCpu {
  table: DiffusionSchedule;
  /** t_emb (S, Wp), padding columns zero. */
  temb: Float32Array;
}

interface Scratch {
  capacity: number;
  cond: number;
  cemb: number;
  sy: number;
  mods: number;
  xin: number;
  h: number;
  hn: number;
  t: number;
  out32: number;
  x: number;
  /** t_emb of the current step (Wp). */
  trow: number;
}

export class DiffusionHeadCpu {
  private readonly heap: CpuHeap;
  /** Padded width: activations are rows of Wp floats (zeros past W). */
  private readonly wp: number;
  /** Padded conditioning width (cond_embed input). */
  private readonly dp: number;
  private readonly modStride: number;
  private readonly inputProj: PackedLinear;
  private readonly time0: PackedLinear;
  private readonly time2: PackedLinear;
  private readonly condEmbed: PackedLinear;
  private readonly adaLN: PackedLinear;
  private readonly mlp0: PackedLinear[] = [];
  private readonly mlp2: PackedLinear[] = [];
  private readonly final: PackedLinear;
  private readonly lnGamma: Float32Array[] = [];
  private readonly lnBeta: Float32Array[] = [];
  /** Heap offset where scratch starts (after the weights). */
  private readonly mark: number;
  private readonly schedules = new Map<number, ScheduleCpu>();
  private scratch?: Scratch;

  constructor(
    readonly shape: DiffusionHeadShape,
    weights: Weights,
    opts: DiffusionHeadCpuOptions = {},
  ) {
    validateDiffusionHeadWeights(shape, weights);
    const { width: W, depth: R, condDim } = shape;
    this.wp = ceilTo(W, 8);
    this.dp = ceilTo(condDim, 4);
    this.modStride = (3 * R + 2) * this.wp;
    // Weights: (16 + 256 + 2·W·R + (3R+2)·W + 32)·W + D'·W floats, padded; reserve them at once.
    const wFloats = this.wp * (16 + TIME_FREQ_DIM + this.dp + (2 * R + 1) * this.wp + this.modStride + 64) + 32 * this.wp;
    this.heap = new CpuHeap(opts.backend ?? 'auto', wFloats + 4096);
    const h = this.heap;
    const lin = (name: string, inDim: number, outDim: number) =>
      packLinear(h, weights[`${name}.weight`], weights[`${name}.bias`], inDim, outDim);
    this.inputProj = lin('input_proj', 16, W);
    this.time0 = lin('time_embed.mlp.0', TIME_FREQ_DIM, W);
    this.time2 = lin('time_embed.mlp.2', W, W);
    this.condEmbed = lin('cond_embed', condDim, W);
    for (let r = 0; r < R; r++) {
      const p = `res_blocks.${r}.`;
      this.mlp0.push(lin(`${p}mlp.0`, W, W));
      this.mlp2.push(lin(`${p}mlp.2`, W, W));
      this.lnGamma.push(Float32Array.from(weights[`${p}in_ln.weight`]));
      this.lnBeta.push(Float32Array.from(weights[`${p}in_ln.bias`]));
    }
    // All adaLN Linears read SiLU(y): one ((3R+2)·W, W) Linear whose output row is
    // [shift_0 scale_0 gate_0 … shift_{R−1} scale_{R−1} gate_{R−1} shift_f scale_f], each W-segment
    // padded to Wp columns.
    const { weight: stackW, bias: stackB } = stackAdaLN(shape, weights);
    this.adaLN = packLinear(h, stackW, stackB, W, (3 * R + 2) * W, W);
    this.final = lin('final_layer.linear', W, 32);
    this.mark = h.top;
  }

  /** Which kernel runs the Linears. */
  get backend(): CpuBackend {
    return this.heap.backend;
  }

  /** Scratch for `rows` rows (a multiple of 4); grows geometrically, re-laid out after the weights. */
  private ensureScratch(rows: number): Scratch {
    if (this.scratch && this.scratch.capacity >= rows) return this.scratch;
    const capacity = ceilTo(Math.max(rows, 2 * (this.scratch?.capacity ?? 0)), 4);
    const h = this.heap;
    h.top = this.mark;
    const wp = this.wp;
    const buf = (floats: number) => h.alloc(capacity * floats, true);
    this.scratch = {
      capacity,
      cond: buf(this.dp),
      cemb: buf(wp),
      sy: buf(wp),
      mods: buf(this.modStride),
      xin: buf(16),
      h: buf(wp),
      hn: buf(wp),
      t: buf(wp),
      out32: buf(32),
      x: buf(16),
      trow: h.alloc(wp, true),
    };
    return this.scratch;
  }

  /** Schedule tables and t_emb for S steps, computed once per S. */
  schedule(steps: number): ScheduleCpu {
    const cached = this.schedules.get(steps);
    if (cached) return cached;
    const table = respacedSchedule(steps);
    const { heap: h, wp } = this;
    const s4 = ceilTo(steps, 4);
    // Temporary heap space above the scratch (released after).
    const top = h.top;
    const feats = h.alloc(s4 * TIME_FREQ_DIM, true);
    const hidden = h.alloc(s4 * wp, true);
    const temb = h.alloc(s4 * wp, true);
    table.timesteps.forEach((t, j) => h.f32.set(timestepFeatures(t), feats + j * TIME_FREQ_DIM));
    linear(h, this.time0, feats, TIME_FREQ_DIM, hidden, wp, s4, 2);
    linear(h, this.time2, hidden, wp, temb, wp, s4);
    const s: ScheduleCpu = { table, temb: h.f32.slice(temb, temb + steps * wp) };
    h.top = top;
    this.schedules.set(steps, s);
    return s;
  }

  /** One MAR iteration's sampling (all S steps): x (M, 16) into `out` (returned). */
  sample(a: DiffusionSampleCpuArgs): Float32Array {
    const { width: W, depth: R, condDim: D } = this.shape;
    const { wp, dp, modStride, heap } = this;
    const S = a.steps;
    const mc = a.rows;
    const cfgOn = a.cfg !== 1;
    const m = cfgOn ? 2 * mc : mc;
    if (!Number.isInteger(mc) || mc < 1) throw new Error(`diffusion head: rows ${mc} is not a positive integer`);
    const sched = this.schedule(S); // validates S
    const noiseStride = (S + 1) * 16;
    if (a.condRows.length < m) throw new Error(`diffusion head: condRows has ${a.condRows.length} entries, need ${m}`);
    if (a.noiseRows.length < mc) throw new Error(`diffusion head: noiseRows has ${a.noiseRows.length} entries, need ${mc}`);
    const condCount = Math.floor(a.cond.length / D);
    const noiseCount = Math.floor(a.noise.length / noiseStride);
    for (let r = 0; r < m; r++) {
      if (a.condRows[r] >= condCount) throw new Error(`diffusion head: condRows[${r}] = ${a.condRows[r]} but cond has ${condCount} rows`);
    }
    for (let i = 0; i < mc; i++) {
      if (a.noiseRows[i] >= noiseCount) throw new Error(`diffusion head: noiseRows[${i}] = ${a.noiseRows[i]} but noise has ${noiseCount} rows of ${noiseStride}`);
    }
    const outOffset = a.outOffset ?? 0;
    const out = a.out ?? new Float32Array(outOffset + m * 16);
    if (out.length < outOffset + m * 16) throw new Error(`diffusion head: out has ${out.length} floats, need ${outOffset + m * 16}`);

    const m4 = ceilTo(m, 4);
    const sc = this.ensureScratch(m4);
    const f = heap.f32; // no allocation below: the view stays valid
    const { cond, noise, condRows, noiseRows, cfg, temperature } = a;

    // Gather the conditioning rows (padding columns and rows zero) and embed them once.
    f.fill(0, sc.cond, sc.cond + m4 * dp);
    for (let r = 0; r < m; r++) {
      const src = condRows[r] * D;
      f.set(cond.subarray(src, src + D), sc.cond + r * dp);
    }
    linear(heap, this.condEmbed, sc.cond, dp, sc.cemb, wp, m4);

    // x_T, shared by the rows of a CFG pair.
    f.fill(0, sc.x, sc.x + m4 * 16);
    f.fill(0, sc.xin, sc.xin + m4 * 16);
    for (let r = 0; r < m; r++) {
      const src = noiseRows[r % mc] * noiseStride;
      f.set(noise.subarray(src, src + 16), sc.x + r * 16);
    }

    const { table, temb } = sched;
    const { lnGamma, lnBeta } = this;
    const xIn = cfgOn ? sc.xin : sc.x;
    for (let j = S - 1; j >= 0; j--) {
      // sy = SiLU(t_emb[j] + c_emb) (padding columns: SiLU(0) = 0)
      f.set(temb.subarray(j * wp, (j + 1) * wp), sc.trow);
      heap.siluAdd(sc.sy, sc.cemb, sc.trow, m, wp, wp);
      linear(heap, this.adaLN, sc.sy, wp, sc.mods, modStride, m4);
      // forward_with_cfg: both rows of a pair see the conditional x.
      if (cfgOn) {
        f.copyWithin(sc.xin, sc.x, sc.x + mc * 16);
        f.copyWithin(sc.xin + mc * 16, sc.x, sc.x + mc * 16);
      }
      linear(heap, this.inputProj, xIn, 16, sc.h, wp, m4);
      for (let b = 0; b < R; b++) {
        layerNormModulate(f, sc.h, sc.hn, m, W, wp, sc.mods + 3 * b * wp, sc.mods + (3 * b + 1) * wp, modStride, lnGamma[b], lnBeta[b]);
        linear(heap, this.mlp0[b], sc.hn, wp, sc.t, wp, m4, 2);
        linear(heap, this.mlp2[b], sc.t, wp, sc.h, wp, m4, 1, sc.mods + (3 * b + 2) * wp, modStride);
      }
      layerNormModulate(f, sc.h, sc.hn, m, W, wp, sc.mods + 3 * R * wp, sc.mods + (3 * R + 1) * wp, modStride);
      linear(heap, this.final, sc.hn, wp, sc.out32, 32, m4);
      // DDPM step
      const k = S - j;
      const sqrtRecip = table.sqrtRecip[j];
      const sqrtRecipM1 = table.sqrtRecipM1[j];
      const coef1 = table.coef1[j];
      const coef2 = table.coef2[j];
      const minLog = table.minLog[j];
      const maxLog = table.maxLog[j];
      for (let r = 0; r < m; r++) {
        const i = r % mc;
        const o = sc.out32 + r * 32;
        const oc = sc.out32 + i * 32;
        const ou = sc.out32 + (mc + i) * 32;
        const xo = sc.x + r * 16;
        const nz = noiseRows[i] * noiseStride + k * 16;
        for (let c = 0; c < 16; c++) {
          let eps: number;
          if (cfgOn) {
            const eu = f[ou + c];
            eps = eu + cfg * (f[oc + c] - eu);
          } else {
            eps = f[o + c];
          }
          const xt = f[xo + c];
          const x0 = sqrtRecip * xt - sqrtRecipM1 * eps;
          let next = coef1 * x0 + coef2 * xt;
          if (j > 0) {
            const frac = (f[o + 16 + c] + 1) / 2;
            const logVar = frac * maxLog + (1 - frac) * minLog;
            next += Math.exp(0.5 * logVar) * noise[nz + c] * temperature;
          }
          f[xo + c] = next;
        }
      }
    }
    out.set(f.subarray(sc.x, sc.x + m * 16), outOffset);
    return out;
  }
}

/**
 * y[r] = LN(h[r]) (·γ + β when given) · (1 + scale[r]) + shift[r], eps 1e-6, for r < m; shift and
 * scale at the given heap offsets with row stride `ms`.
 */
function layerNormModulate(
  f: Float32Array, h: number, y: number, m: number, W: number, wp: number,
  shift: number, scale: number, ms: number, gamma?: Float32Array, beta?: Float32Array,
): void {
  for (let r = 0; r < m; r++) {
    const ho = h + r * wp;
    let mean = 0;
    for (let c = 0; c < W; c++) mean += f[ho + c];
    mean /= W;
    let variance = 0;
    for (let c = 0; c < W; c++) {
      const d = f[ho + c] - mean;
      variance += d * d;
    }
    const rstd = 1 / Math.sqrt(variance / W + 1e-6);
    const yo = y + r * wp;
    const sh = shift + r * ms;
    const sc = scale + r * ms;
    if (gamma && beta) {
      for (let c = 0; c < W; c++) {
        f[yo + c] = ((f[ho + c] - mean) * rstd * gamma[c] + beta[c]) * (1 + f[sc + c]) + f[sh + c];
      }
    } else {
      for (let c = 0; c < W; c++) f[yo + c] = (f[ho + c] - mean) * rstd * (1 + f[sc + c]) + f[sh + c];
    }
  }
}
