import { Uniforms } from '../src/gpu/buffers';
import type { DiffusionSchedule } from './diffusion_schedule';
export declare const STEP_WG = 64;
/** Byte stride of the per-step records: minUniformBufferOffsetAlignment is at most 256. */
export declare const STEP_RECORD_BYTES = 256;
export declare const DIFFUSION_STEP_WGSL = "\nstruct Call { m: u32, mc: u32, cfgOn: u32, noiseStride: u32, w: u32, cfg: f32, temperature: f32 }\nstruct Step { j: u32, k: u32, sqrtRecip: f32, sqrtRecipM1: f32, coef1: f32, coef2: f32, minLog: f32, maxLog: f32 }\n@group(0) @binding(0) var<uniform> call: Call;\n@group(0) @binding(1) var<uniform> step: Step;\n@group(0) @binding(2) var<storage, read> noise: array<f32>;\n@group(0) @binding(3) var<storage, read> noiseRows: array<u32>;\n@group(0) @binding(4) var<storage, read_write> x: array<f32>;\n@group(0) @binding(5) var<storage, read> temb: array<f32>;\n@group(0) @binding(6) var<storage, read> cemb: array<f32>;\n@group(0) @binding(7) var<storage, read_write> sy: array<f32>;\n@group(0) @binding(8) var<storage, read> out32: array<f32>;\n\nfn flat(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * 64u; }\n\n// Noise row of sampled row r: a CFG pair (i, mc + i) shares the conditional row's stream.\nfn noiseAt(r: u32, slot: u32, c: u32) -> f32 {\n  return noise[noiseRows[r % call.mc] * call.noiseStride + slot * 16u + c];\n}\n\n@compute @workgroup_size(64)\nfn start(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {\n  let e = flat(gid, nwg);\n  if (e >= call.m * 16u) { return; }\n  x[e] = noiseAt(e / 16u, 0u, e % 16u);\n}\n\n@compute @workgroup_size(64)\nfn conditionY(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {\n  let e = flat(gid, nwg);\n  if (e >= call.m * call.w) { return; }\n  let v = temb[step.j * call.w + e % call.w] + cemb[e];\n  sy[e] = v / (1.0 + exp(-v));\n}\n\n@compute @workgroup_size(64)\nfn update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {\n  let e = flat(gid, nwg);\n  if (e >= call.m * 16u) { return; }\n  let r = e / 16u;\n  let c = e % 16u;\n  var eps = out32[r * 32u + c];\n  if (call.cfgOn != 0u) {\n    let i = r % call.mc;\n    let condEps = out32[i * 32u + c];\n    let uncondEps = out32[(call.mc + i) * 32u + c];\n    eps = uncondEps + call.cfg * (condEps - uncondEps);\n  }\n  let v = out32[r * 32u + 16u + c];\n  let xt = x[e];\n  let x0 = step.sqrtRecip * xt - step.sqrtRecipM1 * eps;\n  let mean = step.coef1 * x0 + step.coef2 * xt;\n  if (step.j == 0u) { x[e] = mean; return; }\n  let frac = (v + 1.0) / 2.0;\n  let logVar = frac * step.maxLog + (1.0 - frac) * step.minLog;\n  x[e] = mean + exp(0.5 * logVar) * noiseAt(r, step.k, c) * call.temperature;\n}\n";
/** One 256-byte uniform record per sampling step j (bound at offset j·256). */
export declare function stepRecords(s: DiffusionSchedule): ArrayBuffer;
export interface CallParams {
    m: number;
    mc: number;
    cfgOn: boolean;
    steps: number;
    width: number;
    cfg: number;
    temperature: number;
}
export declare function callUniforms(p: CallParams): Uniforms;
