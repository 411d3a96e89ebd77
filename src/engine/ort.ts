// onnxruntime-web glue: one GPUDevice shared with ORT's WebGPU execution provider (DESIGN.md §3).
// Inputs are bound from our GPU buffers, outputs stay on the GPU; callers dispose what they do not
// keep.

import * as ort from 'onnxruntime-web/webgpu';

export { ort };

let configured = false;

/** Where ORT finds its .wasm runtime; by default next to the onnxruntime-web package as served. */
export function configureOrt(wasmPaths?: string): void {
  if (configured && !wasmPaths) return;
  ort.env.wasm.wasmPaths = wasmPaths ?? '/node_modules/onnxruntime-web/dist/';
  ort.env.logLevel = 'error';
  configured = true;
}

export async function createSession(
  device: GPUDevice,
  model: Uint8Array,
  externalData: { path: string; data: Uint8Array }[] = [],
): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(model, {
    executionProviders: [{ name: 'webgpu', device } as unknown as ort.InferenceSession.ExecutionProviderConfig],
    preferredOutputLocation: 'gpu-buffer',
    externalData,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3, // ORT warns that shape ops run on the CPU: by design, not news
  });
}

export function gpuTensor(buffer: GPUBuffer, dims: number[]): ort.Tensor {
  return ort.Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims });
}

export function cpuTensor(data: Float32Array | BigInt64Array, dims: number[]): ort.Tensor {
  return data instanceof Float32Array ? new ort.Tensor('float32', data, dims) : new ort.Tensor('int64', data, dims);
}

export function gpuBufferOf(t: ort.Tensor): GPUBuffer {
  return t.gpuBuffer as unknown as GPUBuffer;
}

/** Disposes every tensor of a run's outputs except the named ones. */
export function disposeExcept(outputs: ort.InferenceSession.OnnxValueMapType, keep: string[] = []): void {
  for (const [name, t] of Object.entries(outputs)) if (!keep.includes(name)) t.dispose();
}
