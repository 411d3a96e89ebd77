export declare const TRAIN_STEPS = 1000;
export declare const TIME_FREQ_DIM = 256;
/** ᾱ of the 1000-step cosine schedule (betas clipped at 0.999), float64. */
export declare function cosineAlphasCumprod(T?: number): Float64Array;
/** Python's round(): halves go to the even neighbour. */
export declare function roundHalfEven(x: number): number;
/**
 * The S kept timesteps t_j = round(j·999/(S−1)) with Python's rounding, as DESIGN.md §2 defines them
 * (and as models/harmon/sampler.py computes them: the same float64 operations in the same order).
 * MAR's own space_timesteps accumulates the stride instead; the two differ for some S (e.g. S = 21,
 * j = 10: 499.5 exactly here → 500, the accumulated sum lands just below → 499), never for S = 100.
 */
export declare function samplingTimesteps(steps: number, T?: number): number[];
export interface DiffusionSchedule {
    steps: number;
    /** Original timestep index seen by the network at sampling step j. */
    timesteps: number[];
    /** Per sampling step j, f32 (float64 results rounded once). */
    betas: Float32Array;
    alphasCumprod: Float32Array;
    sqrtRecip: Float32Array;
    sqrtRecipM1: Float32Array;
    coef1: Float32Array;
    coef2: Float32Array;
    /** log posterior variance, entry 0 replaced by entry 1. */
    minLog: Float32Array;
    /** log β'. */
    maxLog: Float32Array;
}
export declare function respacedSchedule(steps: number): DiffusionSchedule;
/**
 * The 256-dim sinusoidal features of timestep t, as torch computes them in f32:
 * freqs = exp(−ln(10000)·i/128) (i = 0..127), args = t·freqs, [cos(args), sin(args)].
 */
export declare function timestepFeatures(t: number, dim?: number): Float32Array;
