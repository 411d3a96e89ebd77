import { type DiffusionSchedule } from '../diffusion_schedule';
import { type Vec } from './linear';
export interface DiffusionHeadShape {
    /** Model width W. */
    width: number;
    /** Res-blocks R. */
    depth: number;
    /** Conditioning width D' (MAR decoder width). */
    condDim: number;
}
export type Weights = Record<string, Float32Array>;
export declare function timestepEmbeddingRef(wts: Weights, width: number, t: number): Float64Array;
/** net(x, t, c) for `rows` rows: x (rows, 16), tEmb (W) shared, cond (rows, D') → (rows, 32). */
export declare function diffusionNetRef(wts: Weights, s: DiffusionHeadShape, rows: number, x: Vec, tEmb: Vec, cond: Vec): Float64Array;
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
export declare function diffusionSampleRef(wts: Weights, s: DiffusionHeadShape, a: SampleRefInputs): Float32Array;
/**
 * One DDPM step of all M rows at sampling step j (k = S − j): CFG on ε (pairs i, Mc + i), each row
 * with its own v and its own x; noise of conditional row i, slot k, shared by the pair.
 */
export declare function ddpmStepRef(sched: DiffusionSchedule, j: number, x: Vec, out: Vec, a: {
    m: number;
    mc: number;
    cfgOn: boolean;
    cfg: number;
    temperature: number;
}, noise: (i: number, k: number, c: number) => number): Float64Array;
