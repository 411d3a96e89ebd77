// Compiled compute pipelines keyed by WGSL source + entry point (+ override constants), so kernel
// builders can regenerate their source freely and still compile each variant once.

export interface PipelineKey {
  code: string;
  entry?: string;
  constants?: Record<string, number>;
  label?: string;
}

export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(private readonly device: GPUDevice) {}

  get({ code, entry = 'main', constants, label }: PipelineKey): GPUComputePipeline {
    const key = `${entry}\u0000${constants ? JSON.stringify(constants) : ''}\u0000${code}`;
    let pipeline = this.pipelines.get(key);
    if (pipeline) return pipeline;
    let module = this.modules.get(code);
    if (!module) {
      module = this.device.createShaderModule({ code, label });
      this.modules.set(code, module);
    }
    // 'auto' layouts: each kernel binds exactly what its shader declares, in binding order.
    pipeline = this.device.createComputePipeline({
      label: label ?? entry,
      layout: 'auto',
      compute: { module, entryPoint: entry, constants },
    });
    this.pipelines.set(key, pipeline);
    return pipeline;
  }

  get size(): number {
    return this.pipelines.size;
  }
}
