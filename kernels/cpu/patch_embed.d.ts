export interface PatchEmbedCpuInputs {
    /** (B, N, 16) */
    tokens: Float32Array;
    /** (B, L) positions in 0 .. buf + N − 1 */
    keep: Uint32Array;
    /** (D, 16) */
    zProjWeight: Float32Array;
    /** (D) each */
    zProjBias: Float32Array;
    fakeLatent: Float32Array;
    lnWeight: Float32Array;
    lnBias: Float32Array;
    /** (buf + N, D) */
    pos: Float32Array;
}
export interface PatchEmbedDims {
    batch: number;
    /** kept positions per batch row */
    l: number;
    /** tokens per batch row */
    n: number;
    d: number;
    /** buffer slots */
    buf: number;
    /** LayerNorm eps (1e-6) */
    eps?: number;
}
/** out (B, L, D): a new array unless `out` is given (it must hold B·L·D floats). */
export declare function patchEmbedCpu(x: PatchEmbedCpuInputs, dims: PatchEmbedDims, out?: Float32Array): Float32Array;
