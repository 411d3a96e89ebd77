// Position-embedding resize for another token grid (MAR: a 16×16 table used at 32×32).
// The first `buffer` rows (MAR's 64 buffer slots) are copied unchanged; the remaining gh0·gw0
// rows, seen as a gh0×gw0 image of D channels, are resized bilinearly exactly like PyTorch's
// F.interpolate(mode='bilinear', align_corners=False, antialias=False).
//
// Bindings: 0 uniform {buffer, gh0, gw0, gh, gw, d, total}; 1 src (buffer + gh0·gw0, D) f32;
// 2 dst (buffer + gh·gw, D) f32. One invocation per output element.

import type { Gpu } from '../src/gpu/device';
import { Uniforms } from '../src/gpu/buffers';
import { bindGroup, dispatch, grid } from '../src/gpu/bind';

const WG = 64;

export const RESIZE_POS_EMBED_WGSL = /* wgsl */ `
struct Params { buffer: u32, gh0: u32, gw0: u32, gh: u32, gw: u32, d: u32, total: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

// PyTorch's area_pixel_compute_source_index (align_corners=False, linear) and
// guard_index_and_lambda: returns (index0, index1, lambda1) along one axis.
fn axis(o: u32, n_in: u32, n_out: u32) -> vec3f {
  let scale = f32(n_in) / f32(n_out);
  let s = max(scale * (f32(o) + 0.5) - 0.5, 0.0);
  let i0 = min(u32(floor(s)), n_in - 1u);
  let i1 = min(i0 + 1u, n_in - 1u);
  let l1 = clamp(s - f32(i0), 0.0, 1.0);
  return vec3f(f32(i0), f32(i1), l1);
}

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * ${WG}u;
  if (e >= p.total) { return; }
  let row = e / p.d;
  let c = e % p.d;
  if (row < p.buffer) { dst[e] = src[e]; return; }
  let pix = row - p.buffer;
  let ay = axis(pix / p.gw, p.gh0, p.gh);
  let ax = axis(pix % p.gw, p.gw0, p.gw);
  let y0 = u32(ay.x); let y1 = u32(ay.y);
  let x0 = u32(ax.x); let x1 = u32(ax.y);
  let at = p.buffer * p.d + c;
  let v00 = src[at + (y0 * p.gw0 + x0) * p.d];
  let v01 = src[at + (y0 * p.gw0 + x1) * p.d];
  let v10 = src[at + (y1 * p.gw0 + x0) * p.d];
  let v11 = src[at + (y1 * p.gw0 + x1) * p.d];
  let h1 = ay.z; let h0 = 1.0 - h1;
  let w1 = ax.z; let w0 = 1.0 - w1;
  dst[e] = h0 * (w0 * v00 + w1 * v01) + h1 * (w0 * v10 + w1 * v11);
}
`;

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

export function encodeResizePosEmbed(gpu: Gpu, pass: GPUComputePassEncoder, a: ResizePosEmbedArgs): void {
  const total = (a.buffer + a.gh * a.gw) * a.d;
  const params = new Uniforms().u32(a.buffer).u32(a.gh0).u32(a.gw0).u32(a.gh).u32(a.gw).u32(a.d).u32(total);
  const pipeline = gpu.pipelines.get({ code: RESIZE_POS_EMBED_WGSL, label: 'resize_pos_embed' });
  const group = bindGroup(gpu.device, pipeline, [params.buffer(gpu.device), a.src, a.dst]);
  dispatch(pass, pipeline, group, ...grid(Math.ceil(total / WG)));
}
