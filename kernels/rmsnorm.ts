// Qwen2's RMSNorm: y = x / √(mean(x²) + eps) · w, in f32 (the LLM's input, post-attention and final
// norms). One 64-wide workgroup per row.
//
// Bindings: 0 uniform {m, w, eps}; 1 x (M, W); 2 weight (W); 3 y (M, W).

import type { Gpu } from '../src/gpu/device';
import { Uniforms } from '../src/gpu/buffers';
import { type Binding, type PreparedDispatch, bindGroup, grid } from '../src/gpu/bind';
import { workgroupSumWgsl } from './wgsl_reduce';

const WG = 64;

export const RMSNORM_WGSL = /* wgsl */ `
struct Params { m: u32, w: u32, eps: f32 }
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

${workgroupSumWgsl(WG)}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let r = wid.x + wid.y * nwg.x;
  if (r >= u.m) { return; }  // uniform per workgroup: barriers stay in uniform control flow
  let at = r * u.w;
  var s = 0.0;
  for (var c = lid; c < u.w; c += ${WG}u) { let v = x[at + c]; s += v * v; }
  let rstd = inverseSqrt(workgroupSum(s, lid) / f32(u.w) + u.eps);
  for (var c = lid; c < u.w; c += ${WG}u) { y[at + c] = weight[c] * (x[at + c] * rstd); }
}
`;

export function prepareRmsNorm(gpu: Gpu, s: { m: number; w: number; eps: number },
  b: { x: Binding; weight: Binding; y: Binding }): PreparedDispatch {
  const params = new Uniforms().u32(s.m).u32(s.w).f32(s.eps);
  const pipeline = gpu.pipelines.get({ code: RMSNORM_WGSL, label: 'rmsnorm' });
  return { pipeline, group: bindGroup(gpu.device, pipeline, [params.buffer(gpu.device), b.x, b.weight, b.y]), grid: grid(s.m) };
}
