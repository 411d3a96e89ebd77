// Rotary position embedding in place, as transformers' Qwen2 applies it: x·cos + rotate_half(x)·sin
// with rotate_half([a, b]) = [−b, a] over each head's two halves. The cos/sin tables come from the
// CPU (src/engine/rope.ts: WGSL's sin/cos lose precision on large angles), one row per position.
//
// x (M, heads, hd) with M = batch · t rows; activation row r = b·t + j reads table row
// b·tableT + j, so one table of tableT ≥ t positions per batch row serves every shorter t.
// Bindings: 0 uniform {m, heads, half, t, tableT}; 1 x (read_write); 2 cos; 3 sin (tables (·, hd)).
// One invocation per (row, head, d < hd/2): it owns the pair (d, d + hd/2).

import type { Gpu } from '../src/gpu/device';
import { Uniforms } from '../src/gpu/buffers';
import { type Binding, type PreparedDispatch, bindGroup } from '../src/gpu/bind';

const WG = 64;

export const ROPE_WGSL = /* wgsl */ `
struct Params { m: u32, heads: u32, half: u32, t: u32, tableT: u32 }
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> cosT: array<f32>;
@group(0) @binding(3) var<storage, read> sinT: array<f32>;

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let perRow = u.heads * u.half;
  let g = gid.x + gid.y * ${WG}u * 65535u;
  if (g >= u.m * perRow) { return; }
  let r = g / perRow;
  let hh = (g % perRow) / u.half;
  let d = g % u.half;
  let hd = 2u * u.half;
  let tr = ((r / u.t) * u.tableT + r % u.t) * hd;
  let at = (r * u.heads + hh) * hd + d;
  let a = x[at];
  let b = x[at + u.half];
  x[at] = a * cosT[tr + d] - b * sinT[tr + d];
  x[at + u.half] = b * cosT[tr + d + u.half] + a * sinT[tr + d + u.half];
}
`;

export interface RopeShape {
  /** rows: batch · t */
  m: number;
  heads: number;
  hd: number;
  /** tokens per batch row */
  t: number;
  /** table rows per batch row (≥ t) */
  tableT: number;
}

export function prepareRope(gpu: Gpu, s: RopeShape, b: { x: Binding; cos: Binding; sin: Binding }): PreparedDispatch {
  if (s.hd % 2 !== 0) throw new Error(`rope: head dim ${s.hd} must be even`);
  if (s.tableT < s.t) throw new Error(`rope: ${s.t} tokens per row but a table of ${s.tableT}`);
  const params = new Uniforms().u32(s.m).u32(s.heads).u32(s.hd / 2).u32(s.t).u32(s.tableT);
  const pipeline = gpu.pipelines.get({ code: ROPE_WGSL, label: 'rope' });
  const groups = Math.ceil((s.m * s.heads * s.hd) / 2 / WG);
  const grid: [number, number] = groups <= 65535 ? [Math.max(1, groups), 1] : [65535, Math.ceil(groups / 65535)];
  return { pipeline, group: bindGroup(gpu.device, pipeline, [params.buffer(gpu.device), b.x, b.cos, b.sin]), grid };
}
