// The diffusion head's normalization: y = LayerNorm(h)·(1 + scale) + shift, with shift and scale
// per row taken from the adaLN modulation output. LayerNorm: biased variance, eps in the sqrt;
// affine (res-block in_ln) or not (final layer's norm_final).
//
// Bindings: 0 uniform {m, w, modStride, shiftOff, scaleOff, eps}; 1 h (M, W); 2 mods
// (M, modStride); 3 y (M, W); affine only: 4 gamma (W), 5 beta (W). One 64-wide workgroup per row.

import type { Gpu } from '../src/gpu/device';
import { Uniforms } from '../src/gpu/buffers';
import { type Binding, type PreparedDispatch, bindGroup, grid } from '../src/gpu/bind';
import { workgroupSumWgsl } from './wgsl_reduce';

const WG = 64;

export function layerNormModulateWgsl(affine: boolean): string {
  const affineDecl = affine
    ? `@group(0) @binding(4) var<storage, read> gamma: array<f32>;
@group(0) @binding(5) var<storage, read> beta: array<f32>;`
    : '';
  const norm = affine ? '(h[at + c] - mean) * rstd * gamma[c] + beta[c]' : '(h[at + c] - mean) * rstd';
  return /* wgsl */ `
struct Params { m: u32, w: u32, modStride: u32, shiftOff: u32, scaleOff: u32, eps: f32 }
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> h: array<f32>;
@group(0) @binding(2) var<storage, read> mods: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
${affineDecl}


${workgroupSumWgsl(WG)}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let r = wid.x + wid.y * nwg.x;
  if (r >= u.m) { return; }  // uniform per workgroup: barriers stay in uniform control flow
  let at = r * u.w;
  var s = 0.0;
  for (var c = lid; c < u.w; c += ${WG}u) { s += h[at + c]; }
  let mean = workgroupSum(s, lid) / f32(u.w);
  var s2 = 0.0;
  for (var c = lid; c < u.w; c += ${WG}u) { let d = h[at + c] - mean; s2 += d * d; }
  let rstd = inverseSqrt(workgroupSum(s2, lid) / f32(u.w) + u.eps);
  let mo = r * u.modStride;
  for (var c = lid; c < u.w; c += ${WG}u) {
    let n = ${norm};
    y[at + c] = n * (1.0 + mods[mo + u.scaleOff + c]) + mods[mo + u.shiftOff + c];
  }
}
`;
}

export interface LayerNormModulateShape {
  m: number;
  w: number;
  modStride: number;
  shiftOffset: number;
  scaleOffset: number;
  eps?: number;
}

export function prepareLayerNormModulate(
  gpu: Gpu,
  s: LayerNormModulateShape,
  b: { h: Binding; mods: Binding; y: Binding; gamma?: Binding; beta?: Binding },
): PreparedDispatch {
  const affine = b.gamma !== undefined;
  if (affine !== (b.beta !== undefined)) throw new Error('layernorm_modulate: gamma and beta go together');
  const params = new Uniforms()
    .u32(s.m).u32(s.w).u32(s.modStride).u32(s.shiftOffset).u32(s.scaleOffset).f32(s.eps ?? 1e-6);
  const pipeline = gpu.pipelines.get({
    code: layerNormModulateWgsl(affine),
    label: affine ? 'layernorm_modulate_affine' : 'layernorm_modulate',
  });
  const bindings: Binding[] = [params.buffer(gpu.device), b.h, b.mods, b.y];
  if (b.gamma && b.beta) bindings.push(b.gamma, b.beta);
  return { pipeline, group: bindGroup(gpu.device, pipeline, bindings), grid: grid(s.m) };
}
