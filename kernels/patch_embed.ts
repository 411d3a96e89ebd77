// The per-step front of the MAR encoder: z_proj on the seen tokens, the fake_latent in the buffer
// slots, + (resized) encoder position embedding, z_proj_ln — for the kept positions only.
//
// For kept position p of batch row b:
//   v = (p < buf ? fake_latent : z_proj(tokens[b, p − buf])) + pos[p];   out = LayerNorm(v)
// LayerNorm: biased variance, eps inside the sqrt (torch.nn.LayerNorm).
//
// Bindings: 0 uniform {B, L, N, D, buf, eps}; 1 tokens (B, N, 16) f32; 2 keep (B, L) u32;
// 3 z_proj.weight (D, 16); 4 vectors (4, D) = [z_proj.bias; fake_latent; ln.weight; ln.bias]
// (see packPatchEmbedVectors; packing keeps the kernel at 6 storage buffers, under the WebGPU
// default of 8); 5 pos (buf + N, D); 6 out (B, L, D). One 64-wide workgroup per output row.

import type { Gpu } from '../src/gpu/device';
import { STORAGE, Uniforms } from '../src/gpu/buffers';
import { bindGroup, dispatch } from '../src/gpu/bind';
import { workgroupSumWgsl } from './wgsl_reduce';

const WG = 64;

export const PATCH_EMBED_WGSL = /* wgsl */ `
struct Params { batch: u32, l: u32, n: u32, d: u32, buf: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> tokens: array<f32>;
@group(0) @binding(2) var<storage, read> keep: array<u32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> vecs: array<f32>;
@group(0) @binding(5) var<storage, read> pos: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;


// Pre-norm value of channel c at sequence position q. Cheap (16 MACs), so it is recomputed in
// each LayerNorm pass instead of being staged in workgroup memory.
fn value(b: u32, q: u32, c: u32) -> f32 {
  var v: f32;
  if (q < p.buf) {
    v = vecs[p.d + c];
  } else {
    let t = (b * p.n + q - p.buf) * 16u;
    var acc = 0.0;
    for (var k = 0u; k < 16u; k++) { acc += w[c * 16u + k] * tokens[t + k]; }
    v = acc + vecs[c];
  }
  return v + pos[q * p.d + c];
}

${workgroupSumWgsl(WG)}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * p.l + wid.x;  // wid = (l, b)
  let q = keep[row];
  let b = wid.y;
  var s = 0.0;
  for (var c = lid; c < p.d; c += ${WG}u) { s += value(b, q, c); }
  let mean = workgroupSum(s, lid) / f32(p.d);
  var s2 = 0.0;
  for (var c = lid; c < p.d; c += ${WG}u) { let x = value(b, q, c) - mean; s2 += x * x; }
  let rstd = inverseSqrt(workgroupSum(s2, lid) / f32(p.d) + p.eps);
  for (var c = lid; c < p.d; c += ${WG}u) {
    out[row * p.d + c] = (value(b, q, c) - mean) * rstd * vecs[2u * p.d + c] + vecs[3u * p.d + c];
  }
}
`;

/** Packs [z_proj.bias; fake_latent; z_proj_ln.weight; z_proj_ln.bias] (each D floats) on the GPU. */
export function packPatchEmbedVectors(
  gpu: Gpu,
  encoder: GPUCommandEncoder,
  parts: { zProjBias: GPUBuffer; fakeLatent: GPUBuffer; lnWeight: GPUBuffer; lnBias: GPUBuffer },
  d: number,
): GPUBuffer {
  const out = gpu.device.createBuffer({ label: 'patch_embed.vectors', size: 16 * d, usage: STORAGE });
  [parts.zProjBias, parts.fakeLatent, parts.lnWeight, parts.lnBias].forEach((b, i) =>
    encoder.copyBufferToBuffer(b, 0, out, i * 4 * d, 4 * d),
  );
  return out;
}

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

export function encodePatchEmbed(gpu: Gpu, pass: GPUComputePassEncoder, a: PatchEmbedArgs): void {
  if (a.l > 65535 || a.batch > 65535) throw new Error('patch_embed: grid too large');
  const params = new Uniforms().u32(a.batch).u32(a.l).u32(a.n).u32(a.d).u32(a.buf).f32(a.eps ?? 1e-6);
  const pipeline = gpu.pipelines.get({ code: PATCH_EMBED_WGSL, label: 'patch_embed' });
  const group = bindGroup(gpu.device, pipeline, [
    params.buffer(gpu.device),
    a.tokens,
    a.keep,
    a.zProjWeight,
    a.vectors,
    a.pos,
    a.out,
  ]);
  dispatch(pass, pipeline, group, a.l, a.batch);
}
