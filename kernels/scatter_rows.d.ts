import type { Gpu } from '../src/gpu/device';
export declare const SCATTER_ROWS_WGSL = "\nstruct Params { count: u32, mc: u32, width: u32 }\n@group(0) @binding(0) var<uniform> p: Params;\n@group(0) @binding(1) var<storage, read> src: array<f32>;\n@group(0) @binding(2) var<storage, read> targets: array<u32>;\n@group(0) @binding(3) var<storage, read_write> dst: array<f32>;\n\n@compute @workgroup_size(64)\nfn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {\n  let e = gid.x + gid.y * nwg.x * 64u;\n  if (e >= p.count * p.width) { return; }\n  let t = e / p.width;\n  let c = e % p.width;\n  dst[targets[t] * p.width + c] = src[(t % p.mc) * p.width + c];\n}\n";
export interface ScatterRowsArgs {
    src: GPUBuffer;
    targets: GPUBuffer;
    dst: GPUBuffer;
    /** entries of `targets` */
    count: number;
    /** rows of `src` */
    mc: number;
    width: number;
}
export declare function encodeScatterRows(gpu: Gpu, pass: GPUComputePassEncoder, a: ScatterRowsArgs): void;
