// The GPU memory a device holds: every buffer created on it, ours and onnxruntime-web's (its WebGPU
// execution provider creates its buffers on the GPUDevice we hand it), counted from createBuffer
// until destroy(). A buffer dropped without destroy() stays counted: it is held until the garbage
// collector runs, which is what a long session must not depend on.

export interface GpuTally {
  /** bytes of the buffers created and not destroyed */
  bytes: number;
  /** how many buffers are created and not destroyed */
  buffers: number;
  /** of those, the bytes whose GPUBuffer object the garbage collector has already reclaimed (the
   * browser frees its memory then): `bytes − collected` is what is really held */
  collected: number;
}

const tallies = new WeakMap<GPUDevice, GpuTally>();

/** Starts counting `device`'s buffers (once per device; later calls return the same tally). */
export function tallyBuffers(device: GPUDevice): GpuTally {
  const existing = tallies.get(device);
  if (existing) return existing;
  const tally: GpuTally = { bytes: 0, buffers: 0, collected: 0 };
  const create = device.createBuffer.bind(device);
  // a buffer reclaimed without destroy() (onnxruntime-web drops some that way) is freed by the
  // browser: counted as collected, so that a long session's real holding can be told from our leaks
  const reclaimed = new FinalizationRegistry<{ size: number; alive: () => boolean }>((b) => {
    if (b.alive()) tally.collected += b.size;
  });
  device.createBuffer = (descriptor: GPUBufferDescriptor): GPUBuffer => {
    const buffer = create(descriptor);
    const size = buffer.size;
    tally.bytes += size;
    tally.buffers += 1;
    const destroy = buffer.destroy.bind(buffer);
    let alive = true;
    reclaimed.register(buffer, { size, alive: () => alive });
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
