import { type DiffusionSchedule } from '../diffusion_schedule';
import type { DiffusionHeadShape, Weights } from '../reference/diffusion_head';
import { type CpuBackend } from './matmul';
export type { DiffusionHeadShape, Weights } from '../reference/diffusion_head';
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
export declare class DiffusionHeadCpu {
    readonly shape: DiffusionHeadShape;
    private readonly heap;
    /** Padded width: activations are rows of Wp floats (zeros past W). */
    private readonly wp;
    /** Padded conditioning width (cond_embed input). */
    private readonly dp;
    private readonly modStride;
    private readonly inputProj;
    private readonly time0;
    private readonly time2;
    private readonly condEmbed;
    private readonly adaLN;
    private readonly mlp0;
    private readonly mlp2;
    private readonly final;
    private readonly lnGamma;
    private readonly lnBeta;
    /** Heap offset where scratch starts (after the weights). */
    private readonly mark;
    private readonly schedules;
    private scratch?;
    constructor(shape: DiffusionHeadShape, weights: Weights, opts?: DiffusionHeadCpuOptions);
    /** Which kernel runs the Linears. */
    get backend(): CpuBackend;
    /** Scratch for `rows` rows (a multiple of 4); grows geometrically, re-laid out after the weights. */
    private ensureScratch;
    /** Schedule tables and t_emb for S steps, computed once per S. */
    schedule(steps: number): ScheduleCpu;
    /** One MAR iteration's sampling (all S steps): x (M, 16) into `out` (returned). */
    sample(a: DiffusionSampleCpuArgs): Float32Array;
}
