// The per-step glue of the fused diffusion sampler (see diffusion_head.ts), one WGSL module with
// three entry points sharing two uniforms:
//   call (per sampling call):  m rows, mc conditional rows, cfg on/off, noise row stride, W, cfg,
//                              temperature;
//   step (per sampling step j, a 256-byte slice of the schedule's record buffer): j, k = S − j,
//                              the f32 schedule coefficients of step j.
//
// start:    x[r] = noise[noiseRows[r mod mc], slot 0]                 (x_T, shared by CFG pairs)
// conditionY: sy[r] = SiLU(t_emb[j] + c_emb[r])                      (input of every adaLN Linear)
// update:   ε = CFG(ε_c, ε_u) (or plain ε); v = own row's; x0 = √(1/ᾱ')x − √(1/ᾱ'−1)ε;
//           mean = coef1·x0 + coef2·x; log σ² = f·max_log + (1−f)·min_log, f = (v+1)/2;
//           x ← mean + (j > 0 ? exp(½ log σ²)·noise[slot k]·temperature : 0)
//
// Bindings (group 0, per entry point, in order of the names below):
//   start:      0 call, 2 noise, 3 noiseRows, 4 x
//   conditionY: 0 call, 1 step, 5 temb (S, W), 6 cemb (M, W), 7 sy (M, W)
//   update:     0 call, 1 step, 2 noise, 3 noiseRows, 4 x (M, 16), 8 out32 (M, 32)

import { Uniforms } from '../src/gpu/buffers';
import type { DiffusionSchedule } from './diffusion_schedule';

export const STEP_WG = 64;
/** Byte stride of the per-step records: minUniformBufferOffsetAlignment is at most 256. */
export const STEP_RECORD_BYTES = 256;

export const DIFFUSION_STEP_WGSL = /* wgsl */ `
struct Call { m: u32, mc: u32, cfgOn: u32, noiseStride: u32, w: u32, cfg: f32, temperature: f32 }
struct Step { j: u32, k: u32, sqrtRecip: f32, sqrtRecipM1: f32, coef1: f32, coef2: f32, minLog: f32, maxLog: f32 }
@group(0) @binding(0) var<uniform> call: Call;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> noise: array<f32>;
@group(0) @binding(3) var<storage, read> noiseRows: array<u32>;
@group(0) @binding(4) var<storage, read_write> x: array<f32>;
@group(0) @binding(5) var<storage, read> temb: array<f32>;
@group(0) @binding(6) var<storage, read> cemb: array<f32>;
@group(0) @binding(7) var<storage, read_write> sy: array<f32>;
@group(0) @binding(8) var<storage, read> out32: array<f32>;

fn flat(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * ${STEP_WG}u; }

// Noise row of sampled row r: a CFG pair (i, mc + i) shares the conditional row's stream.
fn noiseAt(r: u32, slot: u32, c: u32) -> f32 {
  return noise[noiseRows[r % call.mc] * call.noiseStride + slot * 16u + c];
}

@compute @workgroup_size(${STEP_WG})
fn start(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = flat(gid, nwg);
  if (e >= call.m * 16u) { return; }
  x[e] = noiseAt(e / 16u, 0u, e % 16u);
}

@compute @workgroup_size(${STEP_WG})
fn conditionY(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = flat(gid, nwg);
  if (e >= call.m * call.w) { return; }
  let v = temb[step.j * call.w + e % call.w] + cemb[e];
  sy[e] = v / (1.0 + exp(-v));
}

@compute @workgroup_size(${STEP_WG})
fn update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = flat(gid, nwg);
  if (e >= call.m * 16u) { return; }
  let r = e / 16u;
  let c = e % 16u;
  var eps = out32[r * 32u + c];
  if (call.cfgOn != 0u) {
    let i = r % call.mc;
    let condEps = out32[i * 32u + c];
    let uncondEps = out32[(call.mc + i) * 32u + c];
    eps = uncondEps + call.cfg * (condEps - uncondEps);
  }
  let v = out32[r * 32u + 16u + c];
  let xt = x[e];
  let x0 = step.sqrtRecip * xt - step.sqrtRecipM1 * eps;
  let mean = step.coef1 * x0 + step.coef2 * xt;
  if (step.j == 0u) { x[e] = mean; return; }
  let frac = (v + 1.0) / 2.0;
  let logVar = frac * step.maxLog + (1.0 - frac) * step.minLog;
  x[e] = mean + exp(0.5 * logVar) * noiseAt(r, step.k, c) * call.temperature;
}
`;

/** One 256-byte uniform record per sampling step j (bound at offset j·256). */
export function stepRecords(s: DiffusionSchedule): ArrayBuffer {
  const data = new Uint8Array(s.steps * STEP_RECORD_BYTES);
  for (let j = 0; j < s.steps; j++) {
    const rec = new Uniforms()
      .u32(j).u32(s.steps - j)
      .f32(s.sqrtRecip[j]).f32(s.sqrtRecipM1[j]).f32(s.coef1[j]).f32(s.coef2[j])
      .f32(s.minLog[j]).f32(s.maxLog[j]);
    data.set(new Uint8Array(rec.toArrayBuffer()), j * STEP_RECORD_BYTES);
  }
  return data.buffer;
}

export interface CallParams {
  m: number;
  mc: number;
  cfgOn: boolean;
  steps: number;
  width: number;
  cfg: number;
  temperature: number;
}

export function callUniforms(p: CallParams): Uniforms {
  return new Uniforms()
    .u32(p.m).u32(p.mc).u32(p.cfgOn ? 1 : 0).u32((p.steps + 1) * 16).u32(p.width)
    .f32(p.cfg).f32(p.temperature);
}
