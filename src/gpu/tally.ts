// The GPU memory a device holds: every buffer created on it, ours and onnxruntime-web's (its WebGPU
// execution provider creates its buffers on the GPUDevice we hand it), counted from createBuffer
// until destroy(). A buffer dropped without destroy() stays counted: it is held until the garbage
// collector runs, which is what a long session must not depend on.

export interface GpuTally {
  /** bytes of the buffers alive now */
  bytes: number;
  /** how many buffers are alive now */
  buffers: number;
}

const tallies = new WeakMap<GPUDevice, GpuTally>();

/** Starts counting `device`'s buffers (once per device; later calls return the same tally). */
export function tallyBuffers(device: GPUDevice): GpuTally {
  const existing = tallies.get(device);
  if (existing) return existing;
  const tally: GpuTally = { bytes: 0, buffers: 0 };
  const create = device.createBuffer.bind(device);
  device.createBuffer = (descriptor: GPUBufferDescriptor): GPUBuffer => {
    const buffer = create(descriptor);
    const size = buffer.size;
    tally.bytes += size;
    tally.buffers += 1;
    const destroy = buffer.destroy.bind(buffer);
    let alive = true;
    buffer.destroy = () => {
      if (alive) {
        alive = false;
        tally.bytes -= size;
        tally.buffers -= 1;
      }
      destroy();
    };
    return buffer;
  };
  tallies.set(device, tally);
  return tally;
}
