import type { Gpu } from '../src/gpu/device';
import { type DiffusionSchedule } from './diffusion_schedule';
import type { DiffusionHeadShape, Weights } from './reference/diffusion_head';
export type { DiffusionHeadShape } from './reference/diffusion_head';
/** Expected state-dict entries of SimpleMLPAdaLN (names relative to `…diffloss.net.`). */
export declare function diffusionHeadWeightShapes({ width: W, depth: R, condDim }: DiffusionHeadShape): Map<string, number[]>;
/** Throws, naming every missing, unexpected or wrongly sized entry (both heads, GPU and CPU, check with it). */
export declare function validateDiffusionHeadWeights(shape: DiffusionHeadShape, weights: Weights): void;
/** The adaLN Linears of every block and of the final layer, stacked into one ((3R+2)·W, W) Linear
 * (they all read SiLU(y)); its output row is [shift_0 scale_0 gate_0 … shift_f scale_f]. */
export declare function stackAdaLN({ width: W, depth: R }: DiffusionHeadShape, weights: Weights): {
    weight: Float32Array;
    bias: Float32Array;
};
export interface DiffusionSampleArgs {
    /** Sampling steps S (≥ 2). */
    steps: number;
    /** CFG scale; exactly 1 turns CFG off (then M = Mc rows, no unconditional half). */
    cfg: number;
    temperature: number;
    /** Mc: tokens sampled (conditional rows). */
    rows: number;
    /** Conditioning vectors, rows of D' f32 (e.g. the MAR decoder output (B, N, D')). */
    cond: GPUBuffer;
    /** (M) u32: row of `cond` for sampled row r; with CFG rows Mc + i are the unconditional ones. */
    condRows: GPUBuffer;
    /** Noise streams, rows of (S+1)·16 f32: slot 0 = x_T, slot k = noise of denoising step k. */
    noise: GPUBuffer;
    /** (Mc) u32: noise row of conditional row i (its unconditional twin shares it). */
    noiseRows: GPUBuffer;
    /** Receives x (M, 16) f32 at byte `outOffset`. */
    out: GPUBuffer;
    outOffset?: number;
}
interface ScheduleGpu {
    table: DiffusionSchedule;
    records: GPUBuffer;
    temb: GPUBuffer;
}
export declare class DiffusionHead {
    private readonly gpu;
    readonly shape: DiffusionHeadShape;
    private readonly w;
    private readonly schedules;
    private scratch?;
    constructor(gpu: Gpu, shape: DiffusionHeadShape, weights: Weights);
    /** Frees every GPU buffer the head holds (weights, schedules, scratch). */
    dispose(): void;
    private get modStride();
    private weight;
    /** Step records and t_emb for S steps, built once per S. The t_emb work is submitted here. */
    schedule(steps: number): ScheduleGpu;
    private ensureScratch;
    /** Encodes one MAR iteration's sampling (all S steps) and the copy of x (M, 16) into `out`. */
    encode(encoder: GPUCommandEncoder, a: DiffusionSampleArgs): void;
}
