export type Vec = Float32Array | Float64Array;
/** y (rows, out) = x (rows, in) · Wᵀ + b, W (out, in). */
export declare function linearRef(x: Vec, rows: number, w: Vec, b: Vec, inDim: number, outDim: number): Float64Array;
export declare function silu(v: number): number;
/**
 * y[r] = LayerNorm(h[r]) · (1 + mods[r, scaleOff..]) + mods[r, shiftOff..], LayerNorm affine when
 * gamma/beta are given.
 */
export declare function layerNormModulateRef(h: Vec, rows: number, w: number, mods: Vec, modStride: number, shiftOff: number, scaleOff: number, gamma?: Vec, beta?: Vec, eps?: number): Float64Array;
