// y = x·Wᵀ + b for PyTorch Linear weights (W (out, in), row-major), the building block of the
// diffusion head. Both x rows and W rows are contiguous along `in`, so each invocation reads
// vec4s of 4 x rows and 4 W rows and keeps the 4×4 output block in registers (16 dot products per
// 8 loads, no workgroup memory — the fastest shape on the software adapter and fine on GPUs for
// the few-row, weight-streaming products of the head).
//
// Variants (compiled separately):
//   gather: input row r is x[idx[r]] (conditioning rows picked out of a decoder output);
//           otherwise x[r mod srcMod] (CFG: both halves of the batch read the conditional x).
//   epilogue: 'none' y = acc + b | 'silu' y = SiLU(acc + b) |
//             'gated_residual' y += gate ⊙ (acc + b), gate = mods[r, gateOff : gateOff + out] |
//             'residual' y += acc + b (the LLM block's residual adds, fused into o_proj and down_proj).
//
// Bindings: 0 uniform {m, k4, n4, srcMod, modStride4, gateOff4}; 1 x; 2 W; 3 b; 4 y;
// 5 idx (M) u32 (gather) or mods (M, modStride) (gated_residual). in and out must be multiples
// of 4; x, W, b, y, mods are f32 arrays read as vec4.

import type { Gpu } from '../src/gpu/device';
import { Uniforms } from '../src/gpu/buffers';
import { type Binding, type PreparedDispatch, bindGroup } from '../src/gpu/bind';

const WG = 64;

export type LinearEpilogue = 'none' | 'silu' | 'gated_residual' | 'residual';

export interface LinearVariant {
  gather: boolean;
  epilogue: LinearEpilogue;
}

export function linearWgsl({ gather, epilogue }: LinearVariant): string {
  if (gather && epilogue === 'gated_residual') throw new Error('linear: gather and gated_residual share binding 5');
  const extra = gather
    ? '@group(0) @binding(5) var<storage, read> idx: array<u32>;'
    : epilogue === 'gated_residual'
      ? '@group(0) @binding(5) var<storage, read> mods: array<vec4f>;'
      : '';
  const source = gather ? 'idx[r]' : 'r % u.srcMod';
  const store = {
    none: 'y[o] = v;',
    silu: 'y[o] = v / (1.0 + exp(-v));',
    gated_residual: 'y[o] = y[o] + mods[r * u.modStride4 + u.gateOff4 + col] * v;',
    residual: 'y[o] = y[o] + v;',
  }[epilogue];
  return /* wgsl */ `
struct Params { m: u32, k4: u32, n4: u32, srcMod: u32, modStride4: u32, gateOff4: u32 }
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(2) var<storage, read> w: array<vec4f>;
@group(0) @binding(3) var<storage, read> bias: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> y: array<vec4f>;
${extra}

fn srcRow(r: u32) -> u32 { return ${source}; }

fn finish(r: u32, col: u32, acc: vec4f) {
  if (r >= u.m) { return; }
  let v = acc + bias[col];
  let o = r * u.n4 + col;
  ${store}
}

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.x;       // output columns 4·col .. 4·col+3
  let row = gid.y * 4u;  // rows row .. row+3
  if (col >= u.n4 || row >= u.m) { return; }
  // Rows past M re-read the last row; finish() drops them.
  let last = u.m - 1u;
  let x0 = srcRow(row) * u.k4;
  let x1 = srcRow(min(row + 1u, last)) * u.k4;
  let x2 = srcRow(min(row + 2u, last)) * u.k4;
  let x3 = srcRow(min(row + 3u, last)) * u.k4;
  let w0 = 4u * col * u.k4;
  let w1 = w0 + u.k4;
  let w2 = w1 + u.k4;
  let w3 = w2 + u.k4;
  var c0 = vec4f(0.0); var c1 = vec4f(0.0); var c2 = vec4f(0.0); var c3 = vec4f(0.0);
  for (var k = 0u; k < u.k4; k++) {
    let b0 = w[w0 + k]; let b1 = w[w1 + k]; let b2 = w[w2 + k]; let b3 = w[w3 + k];
    let a0 = x[x0 + k];
    c0 += vec4f(dot(a0, b0), dot(a0, b1), dot(a0, b2), dot(a0, b3));
    let a1 = x[x1 + k];
    c1 += vec4f(dot(a1, b0), dot(a1, b1), dot(a1, b2), dot(a1, b3));
    let a2 = x[x2 + k];
    c2 += vec4f(dot(a2, b0), dot(a2, b1), dot(a2, b2), dot(a2, b3));
    let a3 = x[x3 + k];
    c3 += vec4f(dot(a3, b0), dot(a3, b1), dot(a3, b2), dot(a3, b3));
  }
  finish(row, col, c0);
  finish(row + 1u, col, c1);
  finish(row + 2u, col, c2);
  finish(row + 3u, col, c3);
}
`;
}

export interface LinearShape {
  /** Rows computed. */
  m: number;
  in: number;
  out: number;
  /** Input row r reads x[r mod srcMod] (non-gather variants); defaults to m. */
  srcMod?: number;
  /** gated_residual: floats per mods row and the gate's first column. */
  modStride?: number;
  gateOffset?: number;
}

/** A linear layer bound to its buffers; encode it with dispatchPrepared (as often as needed). */
export function prepareLinear(
  gpu: Gpu,
  variant: LinearVariant,
  s: LinearShape,
  b: { x: Binding; w: Binding; bias: Binding; y: Binding; idx?: Binding; mods?: Binding },
): PreparedDispatch {
  for (const [name, v] of [['in', s.in], ['out', s.out], ['modStride', s.modStride ?? 0], ['gateOffset', s.gateOffset ?? 0]] as const) {
    if (v % 4 !== 0) throw new Error(`linear: ${name} ${v} must be a multiple of 4`);
  }
  const params = new Uniforms()
    .u32(s.m).u32(s.in / 4).u32(s.out / 4).u32(s.srcMod ?? s.m)
    .u32((s.modStride ?? 0) / 4).u32((s.gateOffset ?? 0) / 4);
  const code = linearWgsl(variant);
  const pipeline = gpu.pipelines.get({ code, label: `linear_${variant.epilogue}${variant.gather ? '_gather' : ''}` });
  const bindings: Binding[] = [params.buffer(gpu.device), b.x, b.w, b.bias, b.y];
  const fifth = variant.gather ? b.idx : variant.epilogue === 'gated_residual' ? b.mods : undefined;
  if ((variant.gather || variant.epilogue === 'gated_residual') && !fifth) throw new Error('linear: missing idx/mods');
  if (fifth) bindings.push(fifth);
  const grid: [number, number] = [Math.ceil(s.out / 4 / WG), Math.ceil(s.m / 4)];
  if (grid[1] > 65535) throw new Error(`linear: ${s.m} rows exceed one dispatch`);
  return { pipeline, group: bindGroup(gpu.device, pipeline, bindings), grid };
}
