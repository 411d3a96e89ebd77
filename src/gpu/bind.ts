// Bind groups and dispatches for 'auto'-layout pipelines: bindings are given as a list whose
// index is the @binding number in group 0, which is how every kernel here declares them. An
// 'auto' layout holds only the bindings its entry point uses, so a module with several entry
// points leaves holes: pass `undefined` there.

export type Binding = GPUBuffer | GPUBufferBinding;

export function bindGroup(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  bindings: readonly (Binding | undefined)[],
  label?: string,
): GPUBindGroup {
  return device.createBindGroup({
    label,
    layout: pipeline.getBindGroupLayout(0),
    entries: bindings.flatMap((b, binding) =>
      b === undefined ? [] : [{ binding, resource: 'buffer' in b ? b : { buffer: b } }],
    ),
  });
}

export function dispatch(
  pass: GPUComputePassEncoder,
  pipeline: GPUComputePipeline,
  group: GPUBindGroup,
  x: number,
  y = 1,
  z = 1,
): void {
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(x, y, z);
}

/** A dispatch whose pipeline, bind group and grid are built once and encoded many times. */
export interface PreparedDispatch {
  pipeline: GPUComputePipeline;
  group: GPUBindGroup;
  grid: [number, number];
}

export function dispatchPrepared(pass: GPUComputePassEncoder, p: PreparedDispatch): void {
  dispatch(pass, p.pipeline, p.group, ...p.grid);
}

/**
 * Workgroup counts for `n` independent workgroups, folded into 2-D when `n` exceeds the 65535
 * per-dimension limit. The shader recovers the flat index as wid.x + wid.y * nwg.x and skips
 * indices ≥ n.
 */
export function grid(n: number, maxPerDim = 65535): [number, number] {
  if (n <= maxPerDim) return [Math.max(1, n), 1];
  return [maxPerDim, Math.ceil(n / maxPerDim)];
}
