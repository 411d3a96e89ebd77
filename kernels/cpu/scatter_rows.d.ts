export interface ScatterRowsDims {
    /** rows of `src` */
    mc: number;
    width: number;
    /** entries of `targets` used (default: all) */
    count?: number;
}
/** dst[targets[t]] ← src[t mod mc] for t < count, in place; returns dst. */
export declare function scatterRowsCpu(src: Float32Array, targets: Uint32Array, dst: Float32Array, dims: ScatterRowsDims): Float32Array;
