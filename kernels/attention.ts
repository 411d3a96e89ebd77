// Multi-head scaled-dot-product attention with grouped KV heads, over a cached prefix plus the
// queries' own tokens (image tokens attending to the prompt KV cache and to each other).
//
// Q (B, Tq, Hq, hd); cached K/V (B, P, Hkv, hd), entries at positions ≥ pvalid[b] masked out;
// new K/V (B, Tq, Hkv, hd). Query head h reads kv head h / (Hq / Hkv). Scores scaled by 1/√hd.
// causal: query i sees new keys 0..i, else all Tq. Output (B, Tq, Hq·hd).
//
// Bindings: 0 uniform {batch, tq, p, hq, hkv, causal, scale}; 1 q; 2 kCache; 3 vCache;
// 4 pvalid (B) u32; 5 kNew; 6 vNew; 7 out — all f32 except pvalid.
//
// One invocation per (b, query, head), online softmax (running max, rescaled sum) in f32, q and
// the output accumulator in registers as vec4s. Neighbouring invocations are the heads of one
// query, so the K/V rows they stream are shared through the cache. Every query sees at least its
// first new key, so the softmax denominator is never zero.

import type { Gpu } from '../src/gpu/device';
import { storageBuffer, Uniforms } from '../src/gpu/buffers';
import { bindGroup, dispatch } from '../src/gpu/bind';

const WG = 64;

export function attentionWgsl(hd: number): string {
  if (hd % 4 !== 0) throw new Error(`attention: head dim ${hd} must be a multiple of 4`);
  const hd4 = hd / 4;
  return /* wgsl */ `
struct Params { batch: u32, tq: u32, p: u32, hq: u32, hkv: u32, causal: u32, scale: f32 }
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4f>;
@group(0) @binding(2) var<storage, read> kCache: array<vec4f>;
@group(0) @binding(3) var<storage, read> vCache: array<vec4f>;
@group(0) @binding(4) var<storage, read> pvalid: array<u32>;
@group(0) @binding(5) var<storage, read> kNew: array<vec4f>;
@group(0) @binding(6) var<storage, read> vNew: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> out: array<vec4f>;

const HD4 = ${hd4}u;

var<private> qv: array<vec4f, ${hd4}>;
var<private> acc: array<vec4f, ${hd4}>;
var<private> runMax: f32;
var<private> runSum: f32;

// Folds key/value row (K at kb, V at vb; both in vec4 units) into the running softmax.
fn visit(s: f32, vb: u32, fromCache: bool) {
  if (s > runMax) {
    let corr = exp(runMax - s);
    runSum *= corr;
    for (var d = 0u; d < HD4; d++) { acc[d] *= corr; }
    runMax = s;
  }
  let w = exp(s - runMax);
  runSum += w;
  if (fromCache) {
    for (var d = 0u; d < HD4; d++) { acc[d] += w * vCache[vb + d]; }
  } else {
    for (var d = 0u; d < HD4; d++) { acc[d] += w * vNew[vb + d]; }
  }
}

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let b = gid.y;
  let g = gid.x;
  if (g >= u.tq * u.hq) { return; }
  let i = g / u.hq;
  let h = g % u.hq;
  let kvh = h / (u.hq / u.hkv);
  let qb = g + b * u.tq * u.hq;  // ((b·Tq + i)·Hq + h), the query row and the output row
  for (var d = 0u; d < HD4; d++) { qv[d] = q[qb * HD4 + d]; acc[d] = vec4f(0.0); }
  runMax = -3.0e38;
  runSum = 0.0;

  let nCache = min(pvalid[b], u.p);
  for (var j = 0u; j < nCache; j++) {
    let kb = ((b * u.p + j) * u.hkv + kvh) * HD4;
    var s = 0.0;
    for (var d = 0u; d < HD4; d++) { s += dot(qv[d], kCache[kb + d]); }
    visit(s * u.scale, kb, true);
  }
  let nNew = select(u.tq, i + 1u, u.causal != 0u);
  for (var j = 0u; j < nNew; j++) {
    let kb = ((b * u.tq + j) * u.hkv + kvh) * HD4;
    var s = 0.0;
    for (var d = 0u; d < HD4; d++) { s += dot(qv[d], kNew[kb + d]); }
    visit(s * u.scale, kb, false);
  }
  let inv = 1.0 / runSum;
  for (var d = 0u; d < HD4; d++) { out[qb * HD4 + d] = acc[d] * inv; }
}
`;
}

export interface AttentionArgs {
  q: GPUBuffer;
  /** Cached prefix; may be omitted when p = 0. */
  kCache?: GPUBuffer;
  vCache?: GPUBuffer;
  /** (B) u32: valid cached positions per batch row; may be omitted when p = 0. */
  pvalid?: GPUBuffer;
  kNew: GPUBuffer;
  vNew: GPUBuffer;
  out: GPUBuffer;
  batch: number;
  tq: number;
  p: number;
  hq: number;
  hkv: number;
  hd: number;
  causal: boolean;
}

const dummies = new WeakMap<GPUDevice, GPUBuffer>();

export function encodeAttention(gpu: Gpu, pass: GPUComputePassEncoder, a: AttentionArgs): void {
  if (a.hq % a.hkv !== 0) throw new Error(`attention: ${a.hq} query heads over ${a.hkv} kv heads`);
  const groups = Math.ceil((a.tq * a.hq) / WG);
  if (groups > 65535 || a.batch > 65535) throw new Error('attention: grid too large');
  if (a.p > 0 && !(a.kCache && a.vCache && a.pvalid)) throw new Error('attention: p > 0 needs the cache');
  // With no prefix the cache bindings still need a buffer; the kernel reads none of it.
  let empty = dummies.get(gpu.device);
  if (!empty) dummies.set(gpu.device, (empty = storageBuffer(gpu.device, 16, 'attention.empty')));
  const params = new Uniforms()
    .u32(a.batch).u32(a.tq).u32(a.p).u32(a.hq).u32(a.hkv).u32(a.causal ? 1 : 0)
    .f32(1 / Math.sqrt(a.hd));
  const pipeline = gpu.pipelines.get({ code: attentionWgsl(a.hd), label: `attention_hd${a.hd}` });
  const group = bindGroup(gpu.device, pipeline, [
    params.buffer(gpu.device),
    a.q,
    a.kCache ?? empty,
    a.vCache ?? empty,
    a.pvalid ?? empty,
    a.kNew,
    a.vNew,
    a.out,
  ]);
  dispatch(pass, pipeline, group, groups, a.batch);
}
