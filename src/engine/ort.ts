// onnxruntime-web glue (DESIGN.md §3). One bundle serves both backends: `onnxruntime-web/webgpu`
// carries the WebGPU execution provider (which takes our own GPUDevice) and the WASM one. Sessions
// are made by the backend (backend.ts); callers dispose the outputs they do not keep.

import * as ort from 'onnxruntime-web/webgpu';
import { wasmThreads } from './backend';
import { resolveWasmPaths } from './ort-paths';
import { watchWasmMemory } from './wasm-memory';

export { ort };

let configured = false;

/** Where ORT finds its .wasm runtime (default: ort-paths.ts) and how many WASM threads it starts;
 * both must be set before the first session is created. */
export function configureOrt(wasmPaths?: string): void {
  if (configured && !wasmPaths) return;
  watchWasmMemory(); // before ORT creates its heap: stats() reports its size
  ort.env.wasm.wasmPaths = resolveWasmPaths(wasmPaths);
  ort.env.wasm.numThreads = wasmThreads(wasmPaths);
  ort.env.logLevel = 'error';
  configured = true;
}

export function cpuTensor(data: Float32Array | BigInt64Array, dims: number[]): ort.Tensor {
  return data instanceof Float32Array ? new ort.Tensor('float32', data, dims) : new ort.Tensor('int64', data, dims);
}

/** Disposes every tensor of a run's outputs except the named ones. */
export function disposeExcept(outputs: ort.InferenceSession.OnnxValueMapType, keep: string[] = []): void {
  for (const [name, t] of Object.entries(outputs)) if (!keep.includes(name)) t.dispose();
}
