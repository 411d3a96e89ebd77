// Where the model runs. Two backends behind one small interface:
//   webgpu — ORT's WebGPU execution provider on our GPUDevice; every tensor stays in a GPU buffer
//            and our WGSL kernels read them in place (nothing comes back inside the loop);
//   wasm   — ORT's WASM execution provider (SIMD; threads when the page is cross-origin isolated);
//            tensors are host arrays and the per-step kernels are CPU code (kernels/cpu/).
// `auto` picks webgpu on a hardware adapter and wasm on a software one (SwiftShader, llvmpipe, WARP,
// the browser's fallback adapter) or without WebGPU: on a CPU, ORT's WASM provider runs the graphs
// 65–120× faster than its WebGPU provider does on a software rasterizer (issue 10's table).
//
// Tensors are ort.Tensors on both backends (GPU-buffer tensors on webgpu, CPU tensors on wasm), so
// the loop (text2image.ts) and understanding (understand.ts) read the same for both.

import { readF32, storageBuffer } from '../gpu/buffers';
import { SOFTWARE_ADAPTER } from '../gpu/caps';
import { Gpu, requestDevice } from '../gpu/device';
import { emptyTally, type GpuOwner, type GpuTally, tallyBuffers, withOwner } from '../gpu/tally';
import type { BackendChoice, BackendInfo } from './api';
import { EngineError } from './errors';
import { ort } from './ort';

export interface Backend {
  readonly kind: 'webgpu' | 'wasm';
  readonly info: BackendInfo;
  /** the GPU (webgpu only) */
  readonly gpu?: Gpu;
  session(model: Uint8Array, externalData: { path: string; data: Uint8Array }[]): Promise<ort.InferenceSession>;
  /** a host array as a tensor where this backend keeps its data (a copy on webgpu) */
  tensor(data: Float32Array, dims: number[]): ort.Tensor;
  /** a zero-filled f32 tensor of this backend, owned by the caller */
  zeros(dims: number[], label?: string): ort.Tensor;
  /** rows [start, start + count) of a (rows, width) f32 tensor, as a new tensor the caller owns */
  rows(t: ort.Tensor, start: number, count: number, width: number, dims: number[]): ort.Tensor;
  /** f32 tensors (or host arrays) stacked along their first axis; every part is `width` wide */
  concat(parts: (ort.Tensor | Float32Array)[], width: number, dims: number[]): ort.Tensor;
  /** the tensor's values on the host (a readback on webgpu) */
  read(t: ort.Tensor): Promise<Float32Array>;
  /** waits until the work submitted so far has finished (profiling only) */
  sync(): Promise<void>;
  /** an error that makes the backend unusable (a lost GPU device), else undefined */
  readonly lost?: string;
  /** aborts (with an EngineError saying so) when the device is lost: the loops stop at their next
   * checkpoint instead of running on a dead device */
  readonly lostSignal?: AbortSignal;
  /** GPU buffers alive on the device (ours and onnxruntime-web's, tally.ts); zeros on wasm */
  memory(): GpuTally;
  /** runs `job` with the GPU buffers it creates counted as `owner`'s (tally.ts; wasm: just runs it) */
  owned<T>(owner: GpuOwner, job: () => Promise<T>): Promise<T>;
  destroy(): void;
}

export { EngineError } from './errors';

/** onnxruntime-web's WASM threads: all cores (at most 4) when the page may share memory, else 1.
 * Also 1 when ORT's runtime comes from another origin (the widget embedded elsewhere): ORT would
 * start its thread workers from `blob:` URLs there, which a strict Content-Security-Policy forbids. */
export function wasmThreads(wasmPaths?: string): number {
  const isolated = typeof crossOriginIsolated !== 'undefined' && crossOriginIsolated;
  if (!isolated) return 1;
  if (wasmPaths && typeof location !== 'undefined' && new URL(wasmPaths, location.href).origin !== location.origin) return 1;
  const cores = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 1 : 1;
  return Math.max(1, Math.min(4, cores));
}

function adapterName(info: GPUAdapterInfo | undefined): string {
  if (!info) return 'unknown';
  return [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown';
}

/** Picks and creates the backend: `choice` as the caller asked, `auto` by the adapter. */
export async function createBackend(choice: BackendChoice = 'auto', wasmPaths?: string): Promise<Backend> {
  if (choice !== 'auto' && choice !== 'webgpu' && choice !== 'wasm') {
    throw new EngineError(`backend must be 'auto', 'webgpu' or 'wasm', got ${String(choice)}`);
  }
  const gpu = typeof navigator !== 'undefined' ? navigator.gpu : undefined;
  let adapter: GPUAdapter | null = null;
  if (gpu) {
    try {
      adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    } catch {
      adapter = null;
    }
  }
  const info = adapter?.info;
  const fallback = Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter
    ?? (adapter as { isFallbackAdapter?: boolean } | null)?.isFallbackAdapter);
  const name = adapter ? adapterName(info) : 'none';
  const software = adapter ? fallback || SOFTWARE_ADAPTER.test(name) : false;
  const threads = wasmThreads(wasmPaths);
  const isolated = typeof crossOriginIsolated !== 'undefined' && crossOriginIsolated;
  const base = { adapter: name, software, threads, crossOriginIsolated: isolated, features: [] as string[] };

  if (choice === 'webgpu' || (choice === 'auto' && adapter && !software)) {
    if (!gpu) throw new EngineError('WebGPU is not available in this browser (navigator.gpu is missing)');
    if (!adapter) throw new EngineError('WebGPU is available but no GPU adapter was found');
    const reason = choice === 'webgpu' ? 'asked for (backend: webgpu)' : `a hardware GPU adapter (${name})`;
    const g = new Gpu(await requestDevice(adapter), info);
    return new WebGpuBackend(g, { ...base, kind: 'webgpu', reason, features: [...g.device.features].map(String).sort() });
  }
  const reason = choice === 'wasm' ? 'asked for (backend: wasm)'
    : !gpu ? 'no WebGPU in this browser: the CPU runs the model'
      : !adapter ? 'WebGPU offers no adapter: the CPU runs the model'
        : `a software GPU adapter (${name}): the CPU through WASM is far faster`;
  return new WasmBackend({ ...base, kind: 'wasm', reason });
}

const SESSION_DEFAULTS = {
  graphOptimizationLevel: 'all',
  logSeverityLevel: 3, // ORT warns that shape ops run on the CPU: by design, not news
} as const;

class WebGpuBackend implements Backend {
  readonly kind = 'webgpu';
  lost?: string;
  private readonly lostCtl = new AbortController();
  readonly lostSignal = this.lostCtl.signal;
  private readonly tally: GpuTally;

  constructor(readonly gpu: Gpu, readonly info: BackendInfo) {
    // counted from the start, before onnxruntime-web's sessions allocate on this device
    this.tally = tallyBuffers(gpu.device);
    gpu.device.lost.then((i) => {
      this.lost = `the GPU device was lost (${i.reason}${i.message ? `: ${i.message}` : ''})`;
      this.lostCtl.abort(new EngineError(this.lost));
    });
  }

  memory(): GpuTally {
    return { ...this.tally, byOwner: { ...this.tally.byOwner } };
  }

  owned<T>(owner: GpuOwner, job: () => Promise<T>): Promise<T> {
    return withOwner(this.tally, owner, job);
  }

  session(model: Uint8Array, externalData: { path: string; data: Uint8Array }[]): Promise<ort.InferenceSession> {
    return ort.InferenceSession.create(model, {
      executionProviders: [{ name: 'webgpu', device: this.gpu.device } as unknown as ort.InferenceSession.ExecutionProviderConfig],
      preferredOutputLocation: 'gpu-buffer',
      externalData,
      ...SESSION_DEFAULTS,
    });
  }

  private wrap(buffer: GPUBuffer, dims: number[]): ort.Tensor {
    return ort.Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims, dispose: () => buffer.destroy() });
  }

  tensor(data: Float32Array, dims: number[]): ort.Tensor {
    return this.wrap(storageBuffer(this.gpu.device, data), dims);
  }

  zeros(dims: number[], label?: string): ort.Tensor {
    return this.wrap(storageBuffer(this.gpu.device, dims.reduce((a, b) => a * b, 1) * 4, label), dims);
  }

  rows(t: ort.Tensor, start: number, count: number, width: number, dims: number[]): ort.Tensor {
    const dev = this.gpu.device;
    const out = storageBuffer(dev, count * width * 4);
    const enc = dev.createCommandEncoder();
    enc.copyBufferToBuffer(gpuBuffer(t), start * width * 4, out, 0, count * width * 4);
    dev.queue.submit([enc.finish()]);
    return this.wrap(out, dims);
  }

  concat(parts: (ort.Tensor | Float32Array)[], width: number, dims: number[]): ort.Tensor {
    const dev = this.gpu.device;
    const rowsOf = (p: ort.Tensor | Float32Array) => (p instanceof Float32Array ? p.length : p.size) / width;
    const total = parts.reduce((s, p) => s + rowsOf(p), 0);
    const out = storageBuffer(dev, total * width * 4);
    const enc = dev.createCommandEncoder();
    let row = 0;
    for (const p of parts) {
      const bytes = rowsOf(p) * width * 4;
      if (p instanceof Float32Array) dev.queue.writeBuffer(out, row * width * 4, p);
      else if (bytes > 0) enc.copyBufferToBuffer(gpuBuffer(p), 0, out, row * width * 4, bytes);
      row += rowsOf(p);
    }
    dev.queue.submit([enc.finish()]);
    return this.wrap(out, dims);
  }

  read(t: ort.Tensor): Promise<Float32Array> {
    return readF32(this.gpu.device, gpuBuffer(t), t.size);
  }

  sync(): Promise<void> {
    return this.gpu.device.queue.onSubmittedWorkDone();
  }

  destroy(): void {
    this.gpu.device.destroy();
  }
}

class WasmBackend implements Backend {
  readonly kind = 'wasm';
  readonly lost = undefined;

  constructor(readonly info: BackendInfo) {}

  memory(): GpuTally {
    return emptyTally();
  }

  owned<T>(_owner: GpuOwner, job: () => Promise<T>): Promise<T> {
    return job();
  }

  session(model: Uint8Array, externalData: { path: string; data: Uint8Array }[]): Promise<ort.InferenceSession> {
    return ort.InferenceSession.create(model, { executionProviders: ['wasm'], externalData, ...SESSION_DEFAULTS });
  }

  tensor(data: Float32Array, dims: number[]): ort.Tensor {
    return new ort.Tensor('float32', data, dims);
  }

  zeros(dims: number[]): ort.Tensor {
    return new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
  }

  rows(t: ort.Tensor, start: number, count: number, width: number, dims: number[]): ort.Tensor {
    return new ort.Tensor('float32', host(t).slice(start * width, (start + count) * width), dims);
  }

  concat(parts: (ort.Tensor | Float32Array)[], width: number, dims: number[]): ort.Tensor {
    const arrays = parts.map((p) => (p instanceof Float32Array ? p : host(p)));
    const out = new Float32Array(arrays.reduce((s, a) => s + a.length, 0));
    let at = 0;
    for (const a of arrays) {
      if (a.length % width) throw new Error(`concat: a part of ${a.length} values is not rows of ${width}`);
      out.set(a, at);
      at += a.length;
    }
    return new ort.Tensor('float32', out, dims);
  }

  async read(t: ort.Tensor): Promise<Float32Array> {
    return host(t);
  }

  async sync(): Promise<void> {}

  destroy(): void {}
}

export function gpuBuffer(t: ort.Tensor): GPUBuffer {
  const b = t.gpuBuffer as unknown as GPUBuffer | undefined;
  if (!b) throw new Error('expected a GPU-buffer tensor');
  return b;
}

/** A CPU tensor's f32 values (no copy). */
export function host(t: ort.Tensor): Float32Array {
  if (t.location !== 'cpu') throw new Error(`expected a CPU tensor, got one in ${t.location}`);
  return t.data as Float32Array;
}
