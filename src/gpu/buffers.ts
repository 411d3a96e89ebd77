// Buffer creation, upload and readback. Sizes are rounded up to 16 bytes: kernels read vec4
// arrays, and a binding of array<vec4f> must cover a whole number of vec4s.

// The GPUBufferUsage / GPUMapMode values from the WebGPU spec, as literals: in Node those globals
// exist only after `webgpu` is loaded, which happens after this module is imported.
export const USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
const MAP_READ = 0x1;

export const STORAGE = USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST;

export function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** A storage buffer, zero-filled (`bytes` a size) or holding a copy of `data`. */
export function storageBuffer(
  device: GPUDevice,
  data: ArrayBufferView | number,
  label?: string,
  usage = STORAGE,
): GPUBuffer {
  const bytes = typeof data === 'number' ? data : data.byteLength;
  const size = Math.max(16, align(bytes, 16));
  if (typeof data === 'number') return device.createBuffer({ label, size, usage });
  const buffer = device.createBuffer({ label, size, usage, mappedAtCreation: true });
  new Uint8Array(buffer.getMappedRange()).set(
    new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  );
  buffer.unmap();
  return buffer;
}

// Kernels build a small uniform buffer per dispatch while encoding. Encoding is synchronous, so the
// code that submits can collect the ones made during it (`transientUniforms`) and destroy them once
// the GPU is done with them (`destroyAfterWork`); left to the GC, one per dispatch, per MAR step,
// they pile up as live GPU allocations over a long session.
let collecting: GPUBuffer[] | undefined;

/** Runs `encode` (synchronous) and returns what it returned with the uniform buffers it created
 * (a scope nested in it keeps its own). */
export function transientUniforms<T>(encode: () => T): { result: T; uniforms: GPUBuffer[] } {
  const outer = collecting;
  const uniforms: GPUBuffer[] = [];
  collecting = uniforms;
  try {
    return { result: encode(), uniforms };
  } finally {
    collecting = outer;
  }
}

/** Destroys `buffers` once the work submitted so far has finished. */
export function destroyAfterWork(device: GPUDevice, buffers: GPUBuffer[]): void {
  if (buffers.length === 0) return;
  void device.queue.onSubmittedWorkDone().then(() => buffers.forEach((b) => b.destroy()), () => buffers.forEach((b) => b.destroy()));
}

/** Encodes with `encode` into a new command encoder, submits, and frees the encode's uniforms after. */
export function submitEncoded(device: GPUDevice, label: string, encode: (enc: GPUCommandEncoder) => void): void {
  const enc = device.createCommandEncoder({ label });
  const { uniforms } = transientUniforms(() => encode(enc));
  device.queue.submit([enc.finish()]);
  destroyAfterWork(device, uniforms);
}

/** A uniform buffer initialized from `data` (see Uniforms for packing a WGSL struct). */
export function uniformBuffer(device: GPUDevice, data: ArrayBuffer, label?: string): GPUBuffer {
  const size = Math.max(16, align(data.byteLength, 16));
  const buffer = device.createBuffer({
    label,
    size,
    usage: USAGE.UNIFORM | USAGE.COPY_DST,
    mappedAtCreation: true,
  });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data));
  buffer.unmap();
  collecting?.push(buffer);
  return buffer;
}

/** Copies `byteLength` bytes at `byteOffset` of `buffer` back to the CPU (waits for the queue). */
export async function readback(
  device: GPUDevice,
  buffer: GPUBuffer,
  byteLength = buffer.size,
  byteOffset = 0,
): Promise<ArrayBuffer> {
  const size = align(byteLength, 4);
  const staging = device.createBuffer({
    size,
    usage: USAGE.MAP_READ | USAGE.COPY_DST,
  });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, byteOffset, staging, 0, size);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(MAP_READ);
  const out = staging.getMappedRange().slice(0, byteLength);
  staging.unmap();
  staging.destroy();
  return out;
}

export async function readF32(device: GPUDevice, buffer: GPUBuffer, count?: number, offset = 0): Promise<Float32Array> {
  const n = count ?? (buffer.size - offset * 4) / 4;
  return new Float32Array(await readback(device, buffer, n * 4, offset * 4));
}

/**
 * Packs a WGSL uniform struct whose members are all 4-byte scalars, in declaration order.
 * (Keep such structs scalar-only so their layout is just consecutive 4-byte slots.)
 */
export class Uniforms {
  private readonly words: { kind: 'u32' | 'i32' | 'f32'; value: number }[] = [];

  u32(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new Error(`u32 out of range: ${value}`);
    this.words.push({ kind: 'u32', value });
    return this;
  }

  i32(value: number): this {
    this.words.push({ kind: 'i32', value });
    return this;
  }

  f32(value: number): this {
    this.words.push({ kind: 'f32', value });
    return this;
  }

  toArrayBuffer(): ArrayBuffer {
    const data = new ArrayBuffer(Math.max(16, align(this.words.length * 4, 16)));
    const view = new DataView(data);
    this.words.forEach(({ kind, value }, i) => {
      if (kind === 'u32') view.setUint32(i * 4, value, true);
      else if (kind === 'i32') view.setInt32(i * 4, value, true);
      else view.setFloat32(i * 4, value, true);
    });
    return data;
  }

  buffer(device: GPUDevice, label?: string): GPUBuffer {
    return uniformBuffer(device, this.toArrayBuffer(), label);
  }
}
