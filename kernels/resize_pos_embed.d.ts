import type { Gpu } from '../src/gpu/device';
export declare const RESIZE_POS_EMBED_WGSL = "\nstruct Params { buffer: u32, gh0: u32, gw0: u32, gh: u32, gw: u32, d: u32, total: u32 }\n@group(0) @binding(0) var<uniform> p: Params;\n@group(0) @binding(1) var<storage, read> src: array<f32>;\n@group(0) @binding(2) var<storage, read_write> dst: array<f32>;\n\n// PyTorch's area_pixel_compute_source_index (align_corners=False, linear) and\n// guard_index_and_lambda: returns (index0, index1, lambda1) along one axis.\nfn axis(o: u32, n_in: u32, n_out: u32) -> vec3f {\n  let scale = f32(n_in) / f32(n_out);\n  let s = max(scale * (f32(o) + 0.5) - 0.5, 0.0);\n  let i0 = min(u32(floor(s)), n_in - 1u);\n  let i1 = min(i0 + 1u, n_in - 1u);\n  let l1 = clamp(s - f32(i0), 0.0, 1.0);\n  return vec3f(f32(i0), f32(i1), l1);\n}\n\n@compute @workgroup_size(64)\nfn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {\n  let e = gid.x + gid.y * nwg.x * 64u;\n  if (e >= p.total) { return; }\n  let row = e / p.d;\n  let c = e % p.d;\n  if (row < p.buffer) { dst[e] = src[e]; return; }\n  let pix = row - p.buffer;\n  let ay = axis(pix / p.gw, p.gh0, p.gh);\n  let ax = axis(pix % p.gw, p.gw0, p.gw);\n  let y0 = u32(ay.x); let y1 = u32(ay.y);\n  let x0 = u32(ax.x); let x1 = u32(ax.y);\n  let at = p.buffer * p.d + c;\n  let v00 = src[at + (y0 * p.gw0 + x0) * p.d];\n  let v01 = src[at + (y0 * p.gw0 + x1) * p.d];\n  let v10 = src[at + (y1 * p.gw0 + x0) * p.d];\n  let v11 = src[at + (y1 * p.gw0 + x1) * p.d];\n  let h1 = ay.z; let h0 = 1.0 - h1;\n  let w1 = ax.z; let w0 = 1.0 - w1;\n  dst[e] = h0 * (w0 * v00 + w1 * v01) + h1 * (w0 * v10 + w1 * v11);\n}\n";
export interface ResizePosEmbedArgs {
    src: GPUBuffer;
    dst: GPUBuffer;
    /** Rows copied unchanged (64 for MAR encoder/decoder tables, 0 for diffusion_pos_embed). */
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
export declare function encodeResizePosEmbed(gpu: Gpu, pass: GPUComputePassEncoder, a: ResizePosEmbedArgs): void;
