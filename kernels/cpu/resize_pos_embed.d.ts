export interface ResizePosEmbedDims {
    /** Rows copied unchanged (64 for the MAR encoder/decoder tables, 0 for diffusion_pos_embed). */
    buffer: number;
    /** Native grid of the table. */
    gh0: number;
    gw0: number;
    /** Target grid. */
    gh: number;
    gw: number;
    /** Channels per row. */
    d: number;
}
/** dst (buffer + gh·gw, D): a new array unless `out` is given. */
export declare function resizePosEmbedCpu(src: Float32Array, dims: ResizePosEmbedDims, out?: Float32Array): Float32Array;
