// The WebAssembly memory onnxruntime-web runs in, measured: its glue creates the heap with
// `new WebAssembly.Memory(...)` (a shared one in every build, threads or not), and nothing in ORT's
// API says how large it has grown. Watching the constructor from before ORT's first session sees it.

const memories: WebAssembly.Memory[] = [];
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
      memories.push(this);
    }
  }
  (WebAssembly as { Memory: typeof WebAssembly.Memory }).Memory = Watched;
}

/** Bytes of the WebAssembly memories created since watchWasmMemory(): onnxruntime-web's heap. A
 * wasm memory grows and never shrinks, so this is also the most it has held. */
export function wasmMemoryBytes(): number {
  return memories.reduce((s, m) => s + m.buffer.byteLength, 0);
}
