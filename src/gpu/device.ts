// Device acquisition that works the same in the browser and in Node: given an adapter, ask for
// the optional features our kernels can use and for the adapter's full limits on the few limits
// that bound model size (the defaults cap a storage binding at 128 MiB, too small for LLM weights).

import { detectCaps, type Caps } from './caps';
import { PipelineCache } from './pipelines';

const WANTED_FEATURES: GPUFeatureName[] = ['shader-f16', 'subgroups', 'timestamp-query'];

const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupStorageSize',
] as const;

export async function requestDevice(adapter: GPUAdapter, label = 'harmon'): Promise<GPUDevice> {
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f));
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name];
  return adapter.requestDevice({ label, requiredFeatures, requiredLimits });
}

/** Everything a kernel needs to encode work: the device, what it can do, compiled pipelines. */
export class Gpu {
  readonly caps: Caps;
  readonly pipelines: PipelineCache;

  constructor(
    readonly device: GPUDevice,
    info?: GPUAdapterInfo,
  ) {
    this.caps = detectCaps(device, info);
    this.pipelines = new PipelineCache(device);
  }

  /** For a page: navigator.gpu → adapter → device. */
  static async fromNavigator(gpu: GPU = navigator.gpu): Promise<Gpu> {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new Error('WebGPU: no adapter');
    return new Gpu(await requestDevice(adapter), adapter.info);
  }
}
