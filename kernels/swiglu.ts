// The Qwen2 MLP's gate: y = SiLU(gate) ⊙ up, from one fused gate|up projection whose rows hold
// [gate (I) | up (I)] (the engine stacks gate_proj over up_proj, so one linear dispatch makes both).
//
// Bindings: 0 uniform {m, i4}; 1 gu (M, 2I); 2 y (M, I); vec4s (I a multiple of 4).

import type { Gpu } from '../src/gpu/device';
import { Uniforms } from '../src/gpu/buffers';
import { type Binding, type PreparedDispatch, bindGroup } from '../src/gpu/bind';

const WG = 64;

export const SWIGLU_WGSL = /* wgsl */ `
struct Params { m: u32, i4: u32 }
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> gu: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4f>;

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  let r = gid.y;
  if (c >= u.i4 || r >= u.m) { return; }
  let g = gu[r * 2u * u.i4 + c];
  let up = gu[r * 2u * u.i4 + u.i4 + c];
  y[r * u.i4 + c] = g / (1.0 + exp(-g)) * up;
}
`;

export function prepareSwiglu(gpu: Gpu, s: { m: number; i: number }, b: { gu: Binding; y: Binding }): PreparedDispatch {
  if (s.i % 4 !== 0) throw new Error(`swiglu: intermediate size ${s.i} must be a multiple of 4`);
  if (s.m > 65535) throw new Error(`swiglu: ${s.m} rows exceed one dispatch`);
  const params = new Uniforms().u32(s.m).u32(s.i / 4);
  const pipeline = gpu.pipelines.get({ code: SWIGLU_WGSL, label: 'swiglu' });
  return { pipeline, group: bindGroup(gpu.device, pipeline, [params.buffer(gpu.device), b.gu, b.y]),
    grid: [Math.ceil(s.i / 4 / WG), s.m] };
}
