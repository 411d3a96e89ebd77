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

  private readonly pending = new Map<string, Promise<GPUComputePipeline>>();

  private static key({ code, entry = 'main', constants }: PipelineKey): string {
    return `${entry}\u0000${constants ? JSON.stringify(constants) : ''}\u0000${code}`;
  }

  private descriptor({ code, entry = 'main', constants, label }: PipelineKey): GPUComputePipelineDescriptor {
    let module = this.modules.get(code);
    if (!module) {
      module = this.device.createShaderModule({ code, label });
      this.modules.set(code, module);
    }
    // 'auto' layouts: each kernel binds exactly what its shader declares, in binding order.
    return { label: label ?? entry, layout: 'auto', compute: { module, entryPoint: entry, constants } };
  }

  /** The pipeline, compiled now (blocking) unless it is cached already. */
  get(k: PipelineKey): GPUComputePipeline {
    const key = PipelineCache.key(k);
    let pipeline = this.pipelines.get(key);
    if (pipeline) return pipeline;
    pipeline = this.device.createComputePipeline(this.descriptor(k));
    this.pipelines.set(key, pipeline);
    return pipeline;
  }

  /** Compiles without blocking (createComputePipelineAsync) into the cache, so a later `get` is free:
   * model loading warms the per-step kernels this way. */
  async getAsync(k: PipelineKey): Promise<GPUComputePipeline> {
    const key = PipelineCache.key(k);
    const cached = this.pipelines.get(key);
    if (cached) return cached;
    let job = this.pending.get(key);
    if (!job) {
      job = this.device.createComputePipelineAsync(this.descriptor(k)).then((p) => {
        this.pipelines.set(key, p);
        this.pending.delete(key);
        return p;
      });
      this.pending.set(key, job);
    }
    return job;
  }

  get size(): number {
    return this.pipelines.size;
  }
}
