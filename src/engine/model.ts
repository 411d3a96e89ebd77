// A loaded Harmon package on the GPU: the ONNX graphs as ORT sessions on our device, the weights
// our WGSL kernels read, and the token embedding table (looked up on the CPU: token ids are known
// there, and the table can exceed one storage binding).

import { DiffusionHead } from '../../kernels/diffusion_head';
import { PATCH_EMBED_WGSL, packPatchEmbedVectors } from '../../kernels/patch_embed';
import { RESIZE_POS_EMBED_WGSL, encodeResizePosEmbed } from '../../kernels/resize_pos_embed';
import { SCATTER_ROWS_WGSL } from '../../kernels/scatter_rows';
import { storageBuffer } from '../gpu/buffers';
import type { Gpu } from '../gpu/device';
import { cpuTensor, createSession, type ort } from './ort';
import type { LoadedPackage, Manifest } from './package';
import { ropeTables } from './rope';

export const GRAPHS = ['vae_encoder', 'vae_decoder', 'mar_encoder', 'mar_decoder', 'llm', 'lm_head'] as const;
export type GraphName = (typeof GRAPHS)[number];

/** The model config as the package's manifest records it (models/harmon/config.py). */
export type HarmonConfig = Manifest['config'];

interface PosTables {
  encoder: GPUBuffer;
  decoder: GPUBuffer;
  diffusion: GPUBuffer;
}

export class HarmonModel {
  readonly stride: number;
  readonly headDim: number;
  private readonly posCache = new Map<number, PosTables>();

  private constructor(
    readonly gpu: Gpu,
    readonly config: HarmonConfig,
    readonly sessions: Record<GraphName, ort.InferenceSession>,
    readonly embeddings: Float32Array,
    private readonly kernelWeights: Map<string, GPUBuffer>,
    readonly patchVectors: GPUBuffer,
    readonly head: DiffusionHead,
    readonly bytes: number,
  ) {
    this.stride = 2 ** (config.vae.ch_mult.length - 1);
    this.headDim = config.llm.hidden_size / config.llm.num_attention_heads;
  }

  static async load(gpu: Gpu, pkg: LoadedPackage, onGraph?: (name: string) => void): Promise<HarmonModel> {
    const cfg = pkg.manifest.config;
    const sessions = {} as Record<GraphName, ort.InferenceSession>;
    for (const g of GRAPHS) {
      const file = pkg.manifest.graphs[g];
      if (!file) throw new Error(`package has no ${g} graph`);
      onGraph?.(g);
      const data = `${file}.data`;
      const external = data in pkg.manifest.files ? [{ path: data, data: pkg.bytes(data) }] : [];
      sessions[g] = await createSession(gpu.device, pkg.bytes(file), external);
    }
    const dev = gpu.device;
    // the per-step kernels compile in the background while the weights upload
    const warm = Promise.all([PATCH_EMBED_WGSL, SCATTER_ROWS_WGSL, RESIZE_POS_EMBED_WGSL].map((code) => gpu.pipelines.getAsync({ code })));
    const kernels = pkg.tensors('kernels.safetensors');
    checkLimits(gpu, kernels);
    const weights = new Map<string, GPUBuffer>();
    const f32 = (name: string): Float32Array => {
      const t = kernels.get(name);
      if (!t) throw new Error(`kernels.safetensors has no ${name}`);
      return t.data as Float32Array;
    };
    for (const k of ['mar.z_proj.weight', 'mar.encoder_pos_embed_learned', 'mar.decoder_pos_embed_learned',
      'mar.diffusion_pos_embed_learned']) weights.set(k, storageBuffer(dev, f32(k), k));
    const D = cfg.mar.width;
    const enc = dev.createCommandEncoder();
    const patchVectors = packPatchEmbedVectors(gpu, enc, {
      zProjBias: storageBuffer(dev, f32('mar.z_proj.bias')),
      fakeLatent: storageBuffer(dev, f32('mar.fake_latent')),
      lnWeight: storageBuffer(dev, f32('mar.z_proj_ln.weight')),
      lnBias: storageBuffer(dev, f32('mar.z_proj_ln.bias')),
    }, D);
    dev.queue.submit([enc.finish()]);
    const headWeights: Record<string, Float32Array> = {};
    const prefix = 'mar.diffloss.net.';
    for (const [k, t] of kernels) if (k.startsWith(prefix)) headWeights[k.slice(prefix.length)] = t.data as Float32Array;
    const head = new DiffusionHead(gpu, { width: cfg.mar.head_width, depth: cfg.mar.head_depth, condDim: cfg.mar.decoder_width }, headWeights);
    const emb = pkg.tensors('embeddings.safetensors').get('llm.model.embed_tokens.weight');
    if (!emb) throw new Error('embeddings.safetensors has no llm.model.embed_tokens.weight');
    const bytes = Object.values(pkg.manifest.files).reduce((s, f) => s + f.bytes, 0);
    await warm;
    return new HarmonModel(gpu, cfg, sessions, emb.data as Float32Array, weights, patchVectors, head, bytes);
  }

  weight(name: string): GPUBuffer {
    const b = this.kernelWeights.get(name);
    if (!b) throw new Error(`no kernel weight ${name}`);
    return b;
  }

  /** Position tables for an h×w token grid, resized once per grid on the GPU (cached). */
  posTables(grid: number): PosTables {
    const cached = this.posCache.get(grid);
    if (cached) return cached;
    const { gpu } = this;
    const { buffer_size: buf, grid: g0, width: D, decoder_width: Dd } = this.config.mar;
    const make = (src: string, rows: number, d: number, buffer: number) => {
      const dst = storageBuffer(gpu.device, (rows) * d * 4, `${src}@${grid}`);
      encodeResizePosEmbed(gpu, pass, { src: this.weight(src), dst, buffer, gh0: g0, gw0: g0, gh: grid, gw: grid, d });
      return dst;
    };
    const enc = gpu.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    const N = grid * grid;
    const tables = {
      encoder: make('mar.encoder_pos_embed_learned', buf + N, D, buf),
      decoder: make('mar.decoder_pos_embed_learned', buf + N, Dd, buf),
      diffusion: make('mar.diffusion_pos_embed_learned', N, Dd, 0),
    };
    pass.end();
    gpu.device.queue.submit([enc.finish()]);
    this.posCache.set(grid, tables);
    return tables;
  }

  /** Rotary tables (B, T, hd) for the LLM graph's `rope_cos` / `rope_sin` inputs. */
  rope(positions: ArrayLike<number>, b: number, t: number): { rope_cos: ort.Tensor; rope_sin: ort.Tensor } {
    const { cos, sin } = ropeTables(positions, this.headDim, this.config.llm.rope_theta);
    return { rope_cos: cpuTensor(cos, [b, t, this.headDim]), rope_sin: cpuTensor(sin, [b, t, this.headDim]) };
  }

  /** Token embeddings (rows of the table) for ids → Float32Array (ids.length × H). */
  embed(ids: ArrayLike<number>): Float32Array {
    const H = this.config.llm.hidden_size;
    const out = new Float32Array(ids.length * H);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id < 0 || (id + 1) * H > this.embeddings.length) throw new Error(`token id ${id} outside the embedding table`);
      out.set(this.embeddings.subarray(id * H, (id + 1) * H), i * H);
    }
    return out;
  }

  async dispose(): Promise<void> {
    for (const s of Object.values(this.sessions)) await s.release();
    for (const b of this.kernelWeights.values()) b.destroy();
    for (const t of this.posCache.values()) Object.values(t).forEach((b) => b.destroy());
    this.patchVectors.destroy();
  }
}

/** A clear error when a kernel weight would not fit one storage binding of this device. */
function checkLimits(gpu: Gpu, kernels: Map<string, { shape: number[] }>): void {
  const limit = gpu.caps.maxStorageBufferBindingSize;
  for (const [name, t] of kernels) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * 4;
    if (bytes > limit) {
      throw new Error(`${name} needs a ${bytes}-byte storage buffer but this GPU allows ${limit} ` +
        '(maxStorageBufferBindingSize): the model is too large for this device');
    }
  }
}
