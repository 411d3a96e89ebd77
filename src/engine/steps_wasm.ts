// The per-step kernels on the CPU (kernels/cpu/), for the wasm backend: tensors are host arrays,
// the token latents are updated in place between the graphs' runs.

import { DiffusionHeadCpu } from '../../kernels/cpu/diffusion_head';
import { patchEmbedCpu } from '../../kernels/cpu/patch_embed';
import { resizePosEmbedCpu } from '../../kernels/cpu/resize_pos_embed';
import { scatterRowsCpu } from '../../kernels/cpu/scatter_rows';
import { host } from './backend';
import type { HarmonConfig } from './model';
import { ort } from './ort';
import { headWeights, type KernelWeights, type LoopInput, type MarLoop, type PosTables, type StepKernels } from './steps';

function tensor(data: Float32Array, dims: number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims);
}

export class WasmSteps implements StepKernels {
  private readonly pos = new Map<string, PosTables>();
  private readonly head: DiffusionHeadCpu;

  constructor(private readonly cfg: HarmonConfig, private readonly w: KernelWeights, all: Iterable<[string, { data: unknown }]>) {
    const m = cfg.mar;
    this.head = new DiffusionHeadCpu({ width: m.head_width, depth: m.head_depth, condDim: m.decoder_width }, headWeights(all));
  }

  posTables(gh: number, gw: number): PosTables {
    const key = `${gh}x${gw}`;
    const cached = this.pos.get(key);
    if (cached) return cached;
    const { buffer_size: buf, grid: g0, width: D, decoder_width: Dd } = this.cfg.mar;
    const N = gh * gw;
    const make = (name: string, rows: number, d: number, buffer: number) =>
      tensor(resizePosEmbedCpu(this.w(name), { buffer, gh0: g0, gw0: g0, gh, gw, d }), [1, rows, d]);
    const tables = {
      encoder: make('mar.encoder_pos_embed_learned', buf + N, D, buf),
      decoder: make('mar.decoder_pos_embed_learned', buf + N, Dd, buf),
      diffusion: make('mar.diffusion_pos_embed_learned', N, Dd, 0),
    };
    this.pos.set(key, tables);
    return tables;
  }

  private embed(tokens: Float32Array, keep: Uint32Array, batch: number, l: number, gh: number, gw: number): ort.Tensor {
    const { buffer_size: buf, width: D } = this.cfg.mar;
    const w = this.w;
    const out = patchEmbedCpu({ tokens, keep, zProjWeight: w('mar.z_proj.weight'), zProjBias: w('mar.z_proj.bias'),
      fakeLatent: w('mar.fake_latent'), pos: host(this.posTables(gh, gw).encoder), lnWeight: w('mar.z_proj_ln.weight'),
      lnBias: w('mar.z_proj_ln.bias') }, { batch, l, n: gh * gw, d: D, buf });
    return tensor(out, [batch, l, D]);
  }

  embedAll(latents: ort.Tensor, gh: number, gw: number): ort.Tensor {
    const L = this.cfg.mar.buffer_size + gh * gw;
    return this.embed(host(latents), Uint32Array.from({ length: L }, (_, i) => i), 1, L, gh, gw);
  }

  loop(r: LoopInput): MarLoop {
    const N = r.gh * r.gw;
    const B = r.batch;
    // the known tokens of a partly known image are written once, here, and never again
    const tokens = r.initial ? r.initial.slice() : new Float32Array(B * N * 16);
    const sampled = new Float32Array(Math.max(1, ...r.plans.map((p) => p.condRows.length)) * 16);
    return {
      tokens: tensor(tokens, [B, N, 16]),
      embed: (k) => this.embed(tokens, r.plans[k].keep, B, r.plans[k].l, r.gh, r.gw),
      sample: (k, z) => {
        const p = r.plans[k];
        const mc = p.noiseRows.length;
        this.head.sample({ steps: p.samplingSteps, cfg: p.cfg, temperature: r.temperature, rows: mc, cond: host(z),
          condRows: p.condRows, noise: r.noise, noiseRows: p.noiseRows, out: sampled });
        scatterRowsCpu(sampled, p.targets, tokens, { mc, width: 16 });
      },
      dispose: () => {},
    };
  }

  dispose(): void {
    this.pos.clear();
  }
}
