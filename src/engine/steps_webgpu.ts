// The per-step kernels on the GPU (WGSL, kernels/): everything resident, nothing read back.

import { DiffusionHead } from '../../kernels/diffusion_head';
import { PATCH_EMBED_WGSL, encodePatchEmbed, packPatchEmbedVectors } from '../../kernels/patch_embed';
import { RESIZE_POS_EMBED_WGSL, encodeResizePosEmbed } from '../../kernels/resize_pos_embed';
import { SCATTER_ROWS_WGSL, encodeScatterRows } from '../../kernels/scatter_rows';
import { storageBuffer, submitEncoded } from '../gpu/buffers';
import type { Gpu } from '../gpu/device';
import { gpuBuffer } from './backend';
import type { HarmonConfig } from './model';
import { ort } from './ort';
import { headWeights, type KernelWeights, type LoopInput, type MarLoop, type PosTables, type StepKernels } from './steps';

const POS_NAMES = ['mar.encoder_pos_embed_learned', 'mar.decoder_pos_embed_learned', 'mar.diffusion_pos_embed_learned'];

/** A tensor view of a GPU buffer we own (disposing the view leaves the buffer alone). */
function view(buffer: GPUBuffer, dims: number[]): ort.Tensor {
  return ort.Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims });
}

export class WebGpuSteps implements StepKernels {
  private readonly owned: GPUBuffer[] = [];
  private readonly pos = new Map<string, PosTables & { buffers: GPUBuffer[] }>();
  private readonly zProj: GPUBuffer;
  private readonly vectors: GPUBuffer;
  private readonly posSrc: GPUBuffer[];
  private readonly head: DiffusionHead;

  private constructor(private readonly gpu: Gpu, private readonly cfg: HarmonConfig, w: KernelWeights,
    all: Iterable<[string, { data: unknown }]>) {
    const dev = gpu.device;
    const keep = (b: GPUBuffer) => (this.owned.push(b), b);
    this.zProj = keep(storageBuffer(dev, w('mar.z_proj.weight'), 'mar.z_proj.weight'));
    this.posSrc = POS_NAMES.map((k) => keep(storageBuffer(dev, w(k), k)));
    const parts = ['mar.z_proj.bias', 'mar.fake_latent', 'mar.z_proj_ln.weight', 'mar.z_proj_ln.bias'].map((k) => storageBuffer(dev, w(k)));
    let vectors: GPUBuffer | undefined;
    submitEncoded(dev, 'patch_embed.vectors', (enc) => {
      vectors = packPatchEmbedVectors(gpu, enc, { zProjBias: parts[0], fakeLatent: parts[1], lnWeight: parts[2], lnBias: parts[3] }, cfg.mar.width);
    });
    this.vectors = keep(vectors!);
    void dev.queue.onSubmittedWorkDone().then(() => parts.forEach((b) => b.destroy()));
    const m = cfg.mar;
    this.head = new DiffusionHead(gpu, { width: m.head_width, depth: m.head_depth, condDim: m.decoder_width }, headWeights(all));
  }

  static async create(gpu: Gpu, cfg: HarmonConfig, w: KernelWeights, all: Iterable<[string, { data: unknown }]>): Promise<WebGpuSteps> {
    // the per-step kernels compile in the background while the weights upload
    const warm = Promise.all([PATCH_EMBED_WGSL, SCATTER_ROWS_WGSL, RESIZE_POS_EMBED_WGSL].map((code) => gpu.pipelines.getAsync({ code })));
    const steps = new WebGpuSteps(gpu, cfg, w, all);
    await warm;
    return steps;
  }

  posTables(gh: number, gw: number): PosTables {
    const key = `${gh}x${gw}`;
    const cached = this.pos.get(key);
    if (cached) return cached;
    const { buffer_size: buf, grid: g0, width: D, decoder_width: Dd } = this.cfg.mar;
    const N = gh * gw;
    const buffers: GPUBuffer[] = [];
    let tables: (PosTables & { buffers: GPUBuffer[] }) | undefined;
    submitEncoded(this.gpu.device, `pos@${key}`, (enc) => {
      const pass = enc.beginComputePass();
      const make = (src: GPUBuffer, rows: number, d: number, buffer: number) => {
        const dst = storageBuffer(this.gpu.device, rows * d * 4, `pos@${key}`);
        encodeResizePosEmbed(this.gpu, pass, { src, dst, buffer, gh0: g0, gw0: g0, gh, gw, d });
        buffers.push(dst);
        return view(dst, [1, rows, d]);
      };
      tables = {
        encoder: make(this.posSrc[0], buf + N, D, buf),
        decoder: make(this.posSrc[1], buf + N, Dd, buf),
        diffusion: make(this.posSrc[2], N, Dd, 0),
        buffers,
      };
      pass.end();
    });
    this.pos.set(key, tables!);
    return tables!;
  }

  private encodeEmbed(tokens: GPUBuffer, keep: GPUBuffer, out: GPUBuffer, batch: number, l: number, gh: number, gw: number): void {
    const { buffer_size: buf, width: D } = this.cfg.mar;
    const pos = gpuBuffer(this.posTables(gh, gw).encoder);
    submitEncoded(this.gpu.device, 'patch_embed', (enc) => {
      const pass = enc.beginComputePass();
      encodePatchEmbed(this.gpu, pass, { tokens, keep, zProjWeight: this.zProj, vectors: this.vectors,
        pos, out, batch, l, n: gh * gw, d: D, buf });
      pass.end();
    });
  }

  embedAll(latents: ort.Tensor, gh: number, gw: number): ort.Tensor {
    const { buffer_size: buf, width: D } = this.cfg.mar;
    const L = buf + gh * gw;
    const dev = this.gpu.device;
    const keep = storageBuffer(dev, Uint32Array.from({ length: L }, (_, i) => i));
    const x = storageBuffer(dev, L * D * 4);
    this.encodeEmbed(gpuBuffer(latents), keep, x, 1, L, gh, gw);
    void dev.queue.onSubmittedWorkDone().then(() => keep.destroy());
    return ort.Tensor.fromGpuBuffer(x, { dataType: 'float32', dims: [1, L, D], dispose: () => x.destroy() });
  }

  loop(r: LoopInput): MarLoop {
    const dev = this.gpu.device;
    const { buffer_size: buf, width: D } = this.cfg.mar;
    const N = r.gh * r.gw;
    const B = r.batch;
    const owned: GPUBuffer[] = [];
    const make = (data: ArrayBufferView | number, label: string) => {
      const b = storageBuffer(dev, data, label);
      owned.push(b);
      return b;
    };
    // the known tokens of a partly known image are written once, here, and never again
    const tokens = storageBuffer(dev, r.initial ?? B * N * 16 * 4, 'tokens');
    const noise = make(r.noise, 'noise');
    const x = make(B * (buf + N) * D * 4, 'patch_embed.out');
    const maxM = Math.max(1, ...r.plans.map((p) => p.condRows.length));
    const sampled = make(maxM * 16 * 4, 'sampled');
    const per = r.plans.map((p, k) => ({
      keep: make(p.keep, `keep${k}`),
      condRows: make(p.condRows, `condRows${k}`),
      noiseRows: make(p.noiseRows, `noiseRows${k}`),
      targets: make(p.targets, `targets${k}`),
    }));
    const { gpu, head } = this;
    const self = this;
    const tokensT = ort.Tensor.fromGpuBuffer(tokens, { dataType: 'float32', dims: [B, N, 16], dispose: () => tokens.destroy() });
    return {
      tokens: tokensT,
      embed(k) {
        const p = r.plans[k];
        self.encodeEmbed(tokens, per[k].keep, x, B, p.l, r.gh, r.gw);
        return view(x, [B, p.l, D]);
      },
      sample(k, z) {
        const p = r.plans[k];
        const sb = per[k];
        submitEncoded(dev, `step${k}.head`, (enc) => {
          head.encode(enc, { steps: p.samplingSteps, cfg: p.cfg, temperature: r.temperature, rows: p.noiseRows.length,
            cond: gpuBuffer(z), condRows: sb.condRows, noise, noiseRows: sb.noiseRows, out: sampled });
          const pass = enc.beginComputePass();
          encodeScatterRows(gpu, pass, { src: sampled, targets: sb.targets, dst: tokens,
            count: p.targets.length, mc: p.noiseRows.length, width: 16 });
          pass.end();
        });
      },
      dispose(keepTokens) {
        for (const b of owned) b.destroy();
        if (!keepTokens) tokensT.dispose();
      },
    };
  }

  dispose(): void {
    this.head.dispose();
    for (const b of this.owned) b.destroy();
    for (const t of this.pos.values()) t.buffers.forEach((b) => b.destroy());
    this.pos.clear();
  }
}
