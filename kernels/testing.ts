// Shared helpers for kernel tests: one Dawn device per test worker, seeded random inputs, the
// error metric every kernel test asserts on, and a GPU validation-error guard.

import { Gpu } from '../src/gpu/device';
import { createNodeGpu } from '../src/gpu/node-device';
import { readF32 } from '../src/gpu/buffers';

let shared: Promise<Gpu> | undefined;

export function testGpu(): Promise<Gpu> {
  shared ??= createNodeGpu();
  return shared;
}

/** mulberry32: small, seedable, good enough for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box–Muller) times `scale`, as f32. */
export function randn(n: number, rand: () => number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - rand();
    const v = rand();
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

/** The metric of every kernel test: max|gpu − ref| / max(max|ref|, 1e-6); NaN anywhere → Infinity. */
export function relErr(gpu: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (gpu.length !== ref.length) throw new Error(`length ${gpu.length} != ${ref.length}`);
  let diff = 0;
  let scale = 1e-6;
  for (let i = 0; i < ref.length; i++) {
    if (Number.isNaN(gpu[i]) || Number.isNaN(ref[i])) return Infinity;
    diff = Math.max(diff, Math.abs(gpu[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return diff / scale;
}

export const TOLERANCE = 1e-4;

/** Runs `encode` in one compute pass, submits, and reads `count` floats of `out` back. */
export async function runPass(
  gpu: Gpu,
  encode: (pass: GPUComputePassEncoder) => void,
  out: GPUBuffer,
  count: number,
): Promise<Float32Array> {
  return runEncoder(gpu, (encoder) => {
    const pass = encoder.beginComputePass();
    encode(pass);
    pass.end();
  }, out, count);
}

/** Like runPass with the whole command encoder; fails on any WebGPU validation error. */
export async function runEncoder(
  gpu: Gpu,
  encode: (encoder: GPUCommandEncoder) => void,
  out: GPUBuffer,
  count: number,
): Promise<Float32Array> {
  const { device } = gpu;
  device.pushErrorScope('validation');
  const encoder = device.createCommandEncoder();
  encode(encoder);
  device.queue.submit([encoder.finish()]);
  const error = await device.popErrorScope();
  if (error) throw new Error(`WebGPU validation: ${error.message}`);
  return readF32(device, out, count);
}

/** Keeps the worst error of a test file and prints it once, for the record. */
export class ErrorLog {
  private worst = 0;
  private count = 0;

  constructor(private readonly name: string) {}

  add(err: number): number {
    this.worst = Math.max(this.worst, err);
    this.count++;
    return err;
  }

  print(): void {
    console.log(`[${this.name}] ${this.count} cases, max rel err ${this.worst.toExponential(2)}`);
  }
}
