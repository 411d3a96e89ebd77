// The WebAssembly memories the engine runs in, measured: onnxruntime-web's heap (its glue creates
// it with `new WebAssembly.Memory({ shared: true, maximum: 65536 pages })` in every build, threads
// or not; nothing in ORT's API says how large it has grown) and our CPU kernels' arena
// (kernels/cpu/matmul.ts: an unshared memory holding the diffusion head's weights and scratch).
// Watching the constructor from before ORT's first session sees both.

const memories: { memory: WebAssembly.Memory; shared: boolean }[] = [];
let watching = false;

/** Records every WebAssembly.Memory created from now on in this realm (page or worker). Call before
 * onnxruntime-web starts its runtime (configureOrt does). */
export function watchWasmMemory(): void {
  if (watching || typeof WebAssembly === 'undefined') return;
  watching = true;
  const Native = WebAssembly.Memory;
  class Watched extends Native {
    constructor(descriptor: WebAssembly.MemoryDescriptor) {
      super(descriptor);
      memories.push({ memory: this, shared: Boolean(descriptor.shared) });
    }
  }
  (WebAssembly as { Memory: typeof WebAssembly.Memory }).Memory = Watched;
}

/** Bytes of the memories created since watchWasmMemory(): `ort` onnxruntime-web's heap (the shared
 * one), `kernels` our kernels' arenas. A wasm memory grows and never shrinks: these are also the most
 * each has held. */
export function wasmMemoryBytes(): { ort: number; kernels: number } {
  const sum = (shared: boolean) => memories.filter((m) => m.shared === shared).reduce((s, m) => s + m.memory.buffer.byteLength, 0);
  return { ort: sum(true), kernels: sum(false) };
}
