import type { Gpu } from '../src/gpu/device';
export declare const PATCH_EMBED_WGSL: string;
/** Packs [z_proj.bias; fake_latent; z_proj_ln.weight; z_proj_ln.bias] (each D floats) on the GPU. */
export declare function packPatchEmbedVectors(gpu: Gpu, encoder: GPUCommandEncoder, parts: {
    zProjBias: GPUBuffer;
    fakeLatent: GPUBuffer;
    lnWeight: GPUBuffer;
    lnBias: GPUBuffer;
}, d: number): GPUBuffer;
export interface PatchEmbedArgs {
    tokens: GPUBuffer;
    keep: GPUBuffer;
    zProjWeight: GPUBuffer;
    vectors: GPUBuffer;
    pos: GPUBuffer;
    out: GPUBuffer;
    batch: number;
    /** Kept positions per row (buf + seen count). */
    l: number;
    /** Tokens per image. */
    n: number;
    d: number;
    buf: number;
    eps?: number;
}
export declare function encodePatchEmbed(gpu: Gpu, pass: GPUComputePassEncoder, a: PatchEmbedArgs): void;
