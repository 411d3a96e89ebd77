// Appends T new positions' keys and values to a resident KV cache: cache[b, start + j] = new[b, j]
// for both K and V in one dispatch. The cache holds `capacity` positions per batch row, so rows
// stay where the prefill wrote them and the attention kernel reads them in place (its P is the
// capacity, its pvalid the filled length).
//
// Bindings: 0 uniform {batch, t, w4, capacity, start}; 1 kNew (B, T, W); 2 vNew; 3 kCache
// (B, capacity, W); 4 vCache — W = kv heads · head dim, vec4s.

import type { Gpu } from '../src/gpu/device';
import { Uniforms } from '../src/gpu/buffers';
import { type Binding, type PreparedDispatch, bindGroup } from '../src/gpu/bind';

const WG = 64;

export const KV_APPEND_WGSL = /* wgsl */ `
struct Params { batch: u32, t: u32, w4: u32, capacity: u32, start: u32 }
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> kNew: array<vec4f>;
@group(0) @binding(2) var<storage, read> vNew: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> kCache: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> vCache: array<vec4f>;

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  let row = gid.y;  // b · t + j
  if (c >= u.w4 || row >= u.batch * u.t) { return; }
  let b = row / u.t;
  let j = row % u.t;
  let dst = (b * u.capacity + u.start + j) * u.w4 + c;
  kCache[dst] = kNew[row * u.w4 + c];
  vCache[dst] = vNew[row * u.w4 + c];
}
`;

export interface KvAppendShape {
  batch: number;
  t: number;
  /** floats per position: kv heads · head dim */
  w: number;
  capacity: number;
  /** the first position written */
  start: number;
}

export function prepareKvAppend(gpu: Gpu, s: KvAppendShape,
  b: { kNew: Binding; vNew: Binding; kCache: Binding; vCache: Binding }): PreparedDispatch {
  if (s.w % 4 !== 0) throw new Error(`kv_append: width ${s.w} must be a multiple of 4`);
  if (s.start + s.t > s.capacity) throw new Error(`kv_append: positions ${s.start}..${s.start + s.t} past the capacity ${s.capacity}`);
  if (s.batch * s.t > 65535) throw new Error(`kv_append: ${s.batch * s.t} rows exceed one dispatch`);
  const params = new Uniforms().u32(s.batch).u32(s.t).u32(s.w / 4).u32(s.capacity).u32(s.start);
  const pipeline = gpu.pipelines.get({ code: KV_APPEND_WGSL, label: 'kv_append' });
  return { pipeline, group: bindGroup(gpu.device, pipeline, [params.buffer(gpu.device), b.kNew, b.vNew, b.kCache, b.vCache]),
    grid: [Math.ceil(s.w / 4 / WG), s.batch * s.t] };
}
