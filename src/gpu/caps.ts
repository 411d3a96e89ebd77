// What the device we run on can do. Kernels pick variants from this (f16 paths, subgroup paths,
// register-blocked vs tiled matmuls) instead of probing the device themselves.

export interface Caps {
  /** `shader-f16` enabled on the device: f16 storage and arithmetic in WGSL. */
  f16: boolean;
  /** `subgroups` enabled on the device. */
  subgroups: boolean;
  /** A CPU rasterizer (SwiftShader, llvmpipe, WARP): prefer kernels without workgroup memory. */
  software: boolean;
  adapter: { vendor: string; architecture: string; device: string; description: string };
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxStorageBuffersPerShaderStage: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupsPerDimension: number;
  maxComputeWorkgroupStorageSize: number;
  minStorageBufferOffsetAlignment: number;
  minUniformBufferOffsetAlignment: number;
}

/** Adapter names of CPU implementations of WebGPU: the one definition (the engine's `auto` backend
 * choice, the kernels' variants and the demo's capability panel all test it). */
export const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|warp|microsoft basic render/i;

/** Reads the capabilities of an existing device (what was enabled, not what the adapter offers). */
export function detectCaps(device: GPUDevice, info?: GPUAdapterInfo): Caps {
  const i = info ?? (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const adapter = {
    vendor: i?.vendor ?? '',
    architecture: i?.architecture ?? '',
    device: i?.device ?? '',
    description: i?.description ?? '',
  };
  const l = device.limits;
  return {
    f16: device.features.has('shader-f16'),
    subgroups: device.features.has('subgroups'),
    software: SOFTWARE_ADAPTER.test(Object.values(adapter).join(' ')),
    adapter,
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxBufferSize: l.maxBufferSize,
    maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    minStorageBufferOffsetAlignment: l.minStorageBufferOffsetAlignment,
    minUniformBufferOffsetAlignment: l.minUniformBufferOffsetAlignment,
  };
}
