export type CpuBackend = 'wasm' | 'js';
/** 0: y = x·Wᵀ + b;  1: y += g ⊙ (x·Wᵀ + b);  2: y = SiLU(x·Wᵀ + b). */
export type LinearMode = 0 | 1 | 2;
export declare const ceilTo: (n: number, to: number) => number;
/** Whether the WebAssembly SIMD kernel can run here. */
export declare function wasmSimdAvailable(): boolean;
/**
 * Float storage shared by the kernel and the JS code around it, with a bump allocator. For the
 * wasm backend it is a WebAssembly.Memory (which only grows: re-read `f32` after any `alloc`).
 */
export declare class CpuHeap {
    readonly backend: CpuBackend;
    private memory?;
    private wasm?;
    f32: Float32Array;
    /** Next free float (always a multiple of 4: 16-byte alignment). */
    top: number;
    /** `backend` 'auto' (default) takes wasm when available. */
    constructor(backend?: CpuBackend | 'auto', initialFloats?: number);
    /** Makes room for `floats` floats in total. */
    reserve(floats: number): void;
    /** Float offset of `floats` fresh floats (16-byte aligned; contents undefined unless `zero`). */
    alloc(floats: number, zero?: boolean): number;
    /** y[r, c] = SiLU(a[r, c] + b[c]) for r < rows, c < n (n a multiple of 4); row stride s. */
    siluAdd(y: number, a: number, b: number, rows: number, n: number, s: number): void;
    /** Runs one packed Linear (see `linear`). */
    gemm(l: PackedLinear, x: number, xs: number, y: number, ys: number, m4: number, mode: LinearMode, g: number, gs: number): void;
}
/** A Linear packed into a heap. Offsets and sizes in floats. */
export interface PackedLinear {
    /** Weights (backend layout) and padded bias (np). */
    w: number;
    b: number;
    inDim: number;
    outDim: number;
    /** Input dimension padded to a multiple of 4: x rows must hold kp floats (zeros past inDim). */
    kp: number;
    /** Padded output width (a multiple of 8): y rows receive np floats. */
    np: number;
    /** Output rows per segment and the padded width of a segment. */
    segment: number;
    segmentPadded: number;
}
/**
 * Packs weight (outDim, inDim) and bias (outDim) into `heap`. With `segment` < outDim the outputs
 * are split into segments of that many rows, each padded to a multiple of 8 columns of y.
 */
export declare function packLinear(heap: CpuHeap, weight: Float32Array, bias: Float32Array, inDim: number, outDim: number, segment?: number): PackedLinear;
/**
 * y (m4, np) at row stride ys ← x (m4, kp) at row stride xs through `l` (mode 0), or
 * y += g ⊙ (x·Wᵀ + b) (mode 1, g at row stride gs), or y = SiLU(x·Wᵀ + b) (mode 2).
 * m4 must be a positive multiple of 4.
 */
export declare function linear(heap: CpuHeap, l: PackedLinear, x: number, xs: number, y: number, ys: number, m4: number, mode?: LinearMode, g?: number, gs?: number): void;
/**
 * One-off convenience: y (rows, outDim) = x (rows, inDim) · Wᵀ + b with the blocked kernel. Packs
 * the weights on every call (use packLinear + linear to keep them).
 */
export declare function linearCpu(x: Float32Array, rows: number, weight: Float32Array, bias: Float32Array, inDim: number, outDim: number, opts?: {
    backend?: CpuBackend | 'auto';
    out?: Float32Array;
}): Float32Array;
export interface GemmPeak {
    backend: CpuBackend;
    gflops: number;
    /** ms per m×n×k Linear. */
    ms: number;
}
/**
 * Times the blocked Linear on (m, k) × (n, k)ᵀ (m a multiple of 4 and n of 8 measure the kernel
 * itself) for about `budgetMs` after a warm-up (best batch): the "peak" the head's throughput is compared to.
 */
export declare function gemmPeakCpu(m: number, n: number, k: number, opts?: {
    backend?: CpuBackend | 'auto';
    budgetMs?: number;
}): GemmPeak;
