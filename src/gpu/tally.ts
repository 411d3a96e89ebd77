// The GPU memory a device holds: every buffer created on it, ours and onnxruntime-web's (its WebGPU
// execution provider creates its buffers on the GPUDevice we hand it), counted from createBuffer
// until destroy(). A buffer dropped without destroy() stays counted: it is held until the garbage
// collector runs, which is what a long session must not depend on.
//
// Each buffer is counted under the owner current when it was created (withOwner): the engine marks
// its loading phases (ORT's sessions upload their weights while they are created, our kernels theirs
// while they are built); everything else, made while requests run, is `scratch`.

export interface GpuTally {
  /** bytes of the buffers created and not destroyed */
  bytes: number;
  /** how many buffers are created and not destroyed */
  buffers: number;
  /** of those, the bytes whose GPUBuffer object the garbage collector has already reclaimed (the
   * browser frees its memory then): `bytes − collected` is what is really held */
  collected: number;
  /** the most `bytes − collected` has been since counting began */
  peak: number;
  /** `bytes − collected` by the owner current at each buffer's creation (see withOwner) */
  byOwner: Record<GpuOwner, number>;
  /** whose buffers are being created now */
  owner: GpuOwner;
}

/** Who a GPU buffer belongs to: ORT's sessions (their weights, uploaded at creation), our kernels'
 * weights, or what requests make as they run (ORT's activations and outputs, our per-step buffers,
 * the KV caches: the engine tells those apart by their sizes, EngineStats). */
export type GpuOwner = 'sessions' | 'kernels' | 'scratch';

export function emptyTally(): GpuTally {
  return { bytes: 0, buffers: 0, collected: 0, peak: 0, byOwner: { sessions: 0, kernels: 0, scratch: 0 }, owner: 'scratch' };
}

/** Runs `job` with the buffers it creates on `tally`'s device counted as `owner`'s (one job at a
 * time: the engine is exclusive, so no other creation interleaves). */
export async function withOwner<T>(tally: GpuTally | undefined, owner: GpuOwner, job: () => Promise<T>): Promise<T> {
  if (!tally) return job();
  const before = tally.owner;
  tally.owner = owner;
  try {
    return await job();
  } finally {
    tally.owner = before;
  }
}

const tallies = new WeakMap<GPUDevice, GpuTally>();

/** What the tally knows of one buffer (the FinalizationRegistry's record: nothing that reaches it). */
interface Slot {
  size: number;
  owner: GpuOwner;
  alive: boolean;
}

/** `buffer.destroy` that counts the buffer out once; made outside tallyBuffers' scope, so the
 * registry's record of the buffer shares no closure context with it. */
function destroyCounting(buffer: GPUBuffer, slot: Slot, tally: GpuTally): GPUBuffer['destroy'] {
  const destroy = buffer.destroy.bind(buffer);
  return (): undefined => {
    if (slot.alive) {
      slot.alive = false;
      tally.bytes -= slot.size;
      tally.buffers -= 1;
      tally.byOwner[slot.owner] -= slot.size;
    }
    destroy();
    return undefined;
  };
}

/** Starts counting `device`'s buffers (once per device; later calls return the same tally). */
export function tallyBuffers(device: GPUDevice): GpuTally {
  const existing = tallies.get(device);
  if (existing) return existing;
  const tally = emptyTally();
  const create = device.createBuffer.bind(device);
  // a buffer reclaimed without destroy() (onnxruntime-web drops some that way) is freed by the
  // browser: counted as collected, so that a long session's real holding can be told from our leaks
  // (a reclaimed buffer can no longer be destroyed: its owner's share, which counts what is really
  // held, drops now).
  // The registry holds each record strongly until its buffer is collected, so a record must not
  // reach the buffer: a closure made here would share this scope's context, which holds `destroy`
  // (bound to the buffer), and keep every destroyed GPUBuffer object alive for the whole session
  // (measured: 37 per generation on the golden model, a JS heap growing 15 kB per generation).
  const reclaimed = new FinalizationRegistry<Slot>((slot) => {
    if (!slot.alive) return;
    tally.collected += slot.size;
    tally.byOwner[slot.owner] -= slot.size;
  });
  device.createBuffer = (descriptor: GPUBufferDescriptor): GPUBuffer => {
    const buffer = create(descriptor);
    const slot: Slot = { size: buffer.size, owner: tally.owner, alive: true };
    tally.bytes += slot.size;
    tally.buffers += 1;
    tally.byOwner[slot.owner] += slot.size;
    tally.peak = Math.max(tally.peak, tally.bytes - tally.collected);
    reclaimed.register(buffer, slot);
    buffer.destroy = destroyCounting(buffer, slot, tally);
    return buffer;
  };
  tallies.set(device, tally);
  return tally;
}
