// Writes the tokens sampled in a MAR step into the token buffer. Sample r goes to token row
// targets[t] for every t with t mod mc = r: with CFG the unconditional rows get the conditional
// sample too (the official loop copies the conditional tokens over the unconditional ones).
//
// Bindings: 0 uniform {count, mc, width}; 1 src (mc, width) f32; 2 targets (count) u32;
// 3 dst (rows, width) f32. One invocation per written element.

import type { Gpu } from '../src/gpu/device';
import { Uniforms } from '../src/gpu/buffers';
import { bindGroup, dispatch, grid } from '../src/gpu/bind';

const WG = 64;

export const SCATTER_ROWS_WGSL = /* wgsl */ `
struct Params { count: u32, mc: u32, width: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * ${WG}u;
  if (e >= p.count * p.width) { return; }
  let t = e / p.width;
  let c = e % p.width;
  dst[targets[t] * p.width + c] = src[(t % p.mc) * p.width + c];
}
`;

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

export function encodeScatterRows(gpu: Gpu, pass: GPUComputePassEncoder, a: ScatterRowsArgs): void {
  const params = new Uniforms().u32(a.count).u32(a.mc).u32(a.width);
  const pipeline = gpu.pipelines.get({ code: SCATTER_ROWS_WGSL, label: 'scatter_rows' });
  const group = bindGroup(gpu.device, pipeline, [params.buffer(gpu.device), a.src, a.targets, a.dst]);
  dispatch(pass, pipeline, group, ...grid(Math.ceil((a.count * a.width) / WG)));
}
