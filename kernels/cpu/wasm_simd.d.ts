/** The module bytes (about 2 KB). */
export declare function simdModuleBytes(): Uint8Array<ArrayBuffer>;
export interface SimdKernels {
    gemm(x: number, xs: number, w: number, b: number, y: number, ys: number, m: number, np: number, kq: number, mode: number, g: number, gs: number): void;
    silu_add(y: number, a: number, b: number, rows: number, n4: number, s: number): void;
}
/**
 * The compiled module, or null where WebAssembly or its SIMD proposal is missing (or compiling is
 * forbidden, e.g. a CSP without 'wasm-unsafe-eval'). Compiled once per realm, synchronously: the
 * module is far below the size at which browsers refuse synchronous compiles on the main thread.
 */
export declare function simdModule(): WebAssembly.Module | null;
/** The kernels over `memory`, or null (see simdModule). */
export declare function instantiateSimd(memory: WebAssembly.Memory): SimdKernels | null;
