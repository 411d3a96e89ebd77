// Plain f32 matmul C = A·B (A (M, K), B (K, N), C (M, N), row-major), written in the shape that
// is fastest on the software adapter here: no workgroup memory, each invocation keeps a 4×4 block
// of C in registers and reads A and B as vec4s. The bench uses it to measure the adapter's matmul
// FLOP/s, which sets the FLOP budget of the models we ship.
//
// Bindings: 0 uniform {m, n4, k4}; 1 A array<vec4f>; 2 B array<vec4f>; 3 C array<vec4f>.
// K and N must be multiples of 4; M is free.

import type { Gpu } from '../src/gpu/device';
import { Uniforms } from '../src/gpu/buffers';
import { bindGroup, dispatch } from '../src/gpu/bind';

const WG_X = 8;
const WG_Y = 8;

export const MATMUL_PEAK_WGSL = /* wgsl */ `
struct Params { m: u32, n4: u32, k4: u32 }
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4f>;

@compute @workgroup_size(${WG_X}, ${WG_Y})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.x;       // vec4 column of C
  let row = gid.y * 4u;  // first of this invocation's 4 rows
  if (col >= u.n4 || row >= u.m) { return; }
  // Rows past M re-read the last row (cheaper than branching in the loop); their sums are dropped.
  let last = u.m - 1u;
  let r0 = row * u.k4;
  let r1 = min(row + 1u, last) * u.k4;
  let r2 = min(row + 2u, last) * u.k4;
  let r3 = min(row + 3u, last) * u.k4;
  var c0 = vec4f(0.0); var c1 = vec4f(0.0); var c2 = vec4f(0.0); var c3 = vec4f(0.0);
  for (var k = 0u; k < u.k4; k++) {
    let bk = 4u * k * u.n4 + col;
    let b0 = b[bk];
    let b1 = b[bk + u.n4];
    let b2 = b[bk + 2u * u.n4];
    let b3 = b[bk + 3u * u.n4];
    let a0 = a[r0 + k]; let a1 = a[r1 + k]; let a2 = a[r2 + k]; let a3 = a[r3 + k];
    c0 += a0.x * b0 + a0.y * b1 + a0.z * b2 + a0.w * b3;
    c1 += a1.x * b0 + a1.y * b1 + a1.z * b2 + a1.w * b3;
    c2 += a2.x * b0 + a2.y * b1 + a2.z * b2 + a2.w * b3;
    c3 += a3.x * b0 + a3.y * b1 + a3.z * b2 + a3.w * b3;
  }
  c[row * u.n4 + col] = c0;
  if (row + 1u < u.m) { c[(row + 1u) * u.n4 + col] = c1; }
  if (row + 2u < u.m) { c[(row + 2u) * u.n4 + col] = c2; }
  if (row + 3u < u.m) { c[(row + 3u) * u.n4 + col] = c3; }
}
`;

export interface MatmulArgs {
  a: GPUBuffer;
  b: GPUBuffer;
  c: GPUBuffer;
  m: number;
  n: number;
  k: number;
}

export function encodeMatmulPeak(gpu: Gpu, pass: GPUComputePassEncoder, x: MatmulArgs): void {
  if (x.n % 4 !== 0 || x.k % 4 !== 0) throw new Error(`matmul_peak: N ${x.n} and K ${x.k} must be multiples of 4`);
  const params = new Uniforms().u32(x.m).u32(x.n / 4).u32(x.k / 4);
  const pipeline = gpu.pipelines.get({ code: MATMUL_PEAK_WGSL, label: 'matmul_peak' });
  const group = bindGroup(gpu.device, pipeline, [params.buffer(gpu.device), x.a, x.b, x.c]);
  dispatch(pass, pipeline, group, Math.ceil(x.n / 4 / WG_X), Math.ceil(x.m / 4 / WG_Y));
}
