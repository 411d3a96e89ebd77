// The per-step kernels on the CPU (kernels/cpu/), for the wasm backend: tensors are host arrays,
// the token latents are updated in place between the graphs' runs.

import { diffusionSampleRef } from '../../kernels/reference/diffusion_head';
import { patchEmbedRef } from '../../kernels/reference/patch_embed';
import { resizePosEmbedRef } from '../../kernels/reference/resize_pos_embed';
import { host } from './backend';
import type { HarmonConfig } from './model';
import { ort } from './ort';
import { headWeights, type KernelWeights, type LoopInput, type MarLoop, type PosTables, type StepKernels } from './steps';

function tensor(data: Float32Array, dims: number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims);
}

export class WasmSteps implements StepKernels {
  private readonly pos = new Map<number, PosTables>();
  private readonly head: Record<string, Float32Array>;

  constructor(private readonly cfg: HarmonConfig, private readonly w: KernelWeights, all: Iterable<[string, { data: unknown }]>) {
    this.head = headWeights(all);
  }

  posTables(grid: number): PosTables {
    const cached = this.pos.get(grid);
    if (cached) return cached;
    const { buffer_size: buf, grid: g0, width: D, decoder_width: Dd } = this.cfg.mar;
    const N = grid * grid;
    const make = (name: string, rows: number, d: number, buffer: number) =>
      tensor(resizePosEmbedRef(this.w(name), buffer, g0, g0, grid, grid, d), [1, rows, d]);
    const tables = {
      encoder: make('mar.encoder_pos_embed_learned', buf + N, D, buf),
      decoder: make('mar.decoder_pos_embed_learned', buf + N, Dd, buf),
      diffusion: make('mar.diffusion_pos_embed_learned', N, Dd, 0),
    };
    this.pos.set(grid, tables);
    return tables;
  }

  private embed(tokens: Float32Array, keep: Uint32Array, batch: number, l: number, grid: number): ort.Tensor {
    const { buffer_size: buf, width: D } = this.cfg.mar;
    const w = this.w;
    const out = patchEmbedRef({ tokens, keep, zProjWeight: w('mar.z_proj.weight'), zProjBias: w('mar.z_proj.bias'),
      fakeLatent: w('mar.fake_latent'), pos: host(this.posTables(grid).encoder), lnWeight: w('mar.z_proj_ln.weight'),
      lnBias: w('mar.z_proj_ln.bias') }, batch, l, grid * grid, D, buf);
    return tensor(out, [batch, l, D]);
  }

  embedAll(latents: ort.Tensor, grid: number): ort.Tensor {
    const L = this.cfg.mar.buffer_size + grid * grid;
    return this.embed(host(latents), Uint32Array.from({ length: L }, (_, i) => i), 1, L, grid);
  }

  loop(r: LoopInput): MarLoop {
    const N = r.grid * r.grid;
    const B = r.batch;
    const S = r.samplingSteps;
    const tokens = new Float32Array(B * N * 16);
    const m = this.cfg.mar;
    const shape = { width: m.head_width, depth: m.head_depth, condDim: m.decoder_width };
    return {
      tokens: tensor(tokens, [B, N, 16]),
      embed: (k) => this.embed(tokens, r.plans[k].keep, B, r.plans[k].l, r.grid),
      sample: (k, zt) => {
        const p = r.plans[k];
        const z = host(zt);
        const Dd = m.decoder_width;
        const mc = p.noiseRows.length;
        const cond = new Float32Array(p.condRows.length * Dd);
        p.condRows.forEach((row, i) => cond.set(z.subarray(row * Dd, (row + 1) * Dd), i * Dd));
        const noise = new Float32Array(mc * (S + 1) * 16);
        p.noiseRows.forEach((row, i) => noise.set(r.noise.subarray(row * (S + 1) * 16, (row + 1) * (S + 1) * 16), i * (S + 1) * 16));
        const x = diffusionSampleRef(this.head, shape, { cond, noise, mc, steps: S, cfg: p.cfg, temperature: r.temperature });
        p.targets.forEach((t, i) => tokens.set(x.subarray((i % mc) * 16, (i % mc + 1) * 16), t * 16));
      },
      dispose: () => {},
    };
  }

  dispose(): void {
    this.pos.clear();
  }
}
