// The package's ONNX graphs as typed calls. Which execution provider runs them (backend.ts) and how
// each graph names its feeds (`past_key_i`, `rope_cos`, …) stay in this file: the loop and
// understanding see tensors in and tensors out.

import type { Backend } from './backend';
import type { HarmonConfig } from './model';
import { cpuTensor, disposeExcept, ort } from './ort';
import type { LoadedPackage } from './package';
import { ropeTables } from './rope';

export const GRAPHS = ['vae_encoder', 'vae_decoder', 'mar_encoder', 'mar_decoder', 'llm', 'lm_head'] as const;
export type GraphName = (typeof GRAPHS)[number];

/** The LLM's keys and values of `length` positions per row, one (B, kv, length, hd) pair per layer. */
export class KvCache {
  constructor(readonly tensors: Record<string, ort.Tensor>, readonly length: number) {}

  static empty(cfg: HarmonConfig, batch: number): KvCache {
    const { num_hidden_layers: layers, num_key_value_heads: kv, hidden_size: H, num_attention_heads: heads } = cfg.llm;
    const t: Record<string, ort.Tensor> = {};
    for (let i = 0; i < layers; i++) {
      for (const kind of ['key', 'value']) t[`past_${kind}_${i}`] = cpuTensor(new Float32Array(0), [batch, kv, 0, H / heads]);
    }
    return new KvCache(t, 0);
  }

  dispose(): void {
    disposeExcept(this.tensors);
  }
}

export class Graphs {
  private constructor(
    private readonly backend: Backend,
    private readonly sessions: Record<GraphName, ort.InferenceSession>,
    private readonly cfg: HarmonConfig,
  ) {}

  static async load(backend: Backend, pkg: LoadedPackage, onGraph?: (name: string) => void): Promise<Graphs> {
    const sessions = {} as Record<GraphName, ort.InferenceSession>;
    try {
      for (const g of GRAPHS) {
        const file = pkg.manifest.graphs[g];
        if (!file) throw new Error(`package has no ${g} graph`);
        onGraph?.(g);
        const data = `${file}.data`;
        const external = data in pkg.manifest.files ? [{ path: data, data: pkg.bytes(data) }] : [];
        sessions[g] = await backend.session(pkg.bytes(file), external);
      }
    } catch (e) {
      for (const s of Object.values(sessions)) await s.release();
      throw e;
    }
    return new Graphs(backend, sessions, pkg.manifest.config);
  }

  /** Patch-embedded tokens (B, L, D) → `x_enc` (B, L, D) and `z_enc` = proj_in, buffers last (B, L, H). */
  async marEncode(x: ort.Tensor): Promise<{ xEnc: ort.Tensor; zEnc: ort.Tensor }> {
    const e = await this.sessions.mar_encoder.run({ x });
    return { xEnc: e.x_enc, zEnc: e.z_enc };
  }

  /**
   * The LLM body over `embeds` (B, T, H) after the cached positions: `bias` (B, 1, T, C + T) is the
   * additive attention mask, `positions` (B, T) the rotary positions. Returns the final hidden states
   * and, with `grow`, the cache extended by these T positions (the given cache is left as it is).
   */
  async llm(embeds: ort.Tensor, bias: Float32Array, positions: ArrayLike<number>, cache: KvCache,
    grow: boolean): Promise<{ hidden: ort.Tensor; cache?: KvCache }> {
    const [B, T] = embeds.dims;
    const hd = this.cfg.llm.hidden_size / this.cfg.llm.num_attention_heads;
    const { cos, sin } = ropeTables(positions, hd, this.cfg.llm.rope_theta);
    const out = await this.sessions.llm.run({
      inputs_embeds: embeds,
      attention_bias: cpuTensor(bias, [B, 1, T, cache.length + T]),
      rope_cos: cpuTensor(cos, [B, T, hd]),
      rope_sin: cpuTensor(sin, [B, T, hd]),
      ...cache.tensors,
    });
    const present = Object.keys(out).filter((k) => k.startsWith('present_'));
    if (!grow) {
      disposeExcept(out, ['hidden']);
      return { hidden: out.hidden };
    }
    const t: Record<string, ort.Tensor> = {};
    for (const k of present) t[k.replace('present_', 'past_')] = out[k];
    disposeExcept(out, ['hidden', ...present]);
    return { hidden: out.hidden, cache: new KvCache(t, cache.length + T) };
  }

  /** `x_enc` + LLM hidden states (residual proj_out) → per-token conditioning z (B, N, D′). */
  async marDecode(xEnc: ort.Tensor, hidden: ort.Tensor, gather: BigInt64Array,
    pos: { decoder: ort.Tensor; diffusion: ort.Tensor }): Promise<ort.Tensor> {
    const [B] = xEnc.dims;
    const d = await this.sessions.mar_decoder.run({ x_enc: xEnc, hidden,
      gather_index: cpuTensor(gather, [B, gather.length / B]), decoder_pos: pos.decoder, diffusion_pos: pos.diffusion });
    return d.z;
  }

  /** (1, 3, H, W) pixels in [-1, 1] → scaled latents (1, H/16, W/16, 16). */
  async vaeEncode(pixels: Float32Array, width: number, height: number): Promise<ort.Tensor> {
    const v = await this.sessions.vae_encoder.run({ image: cpuTensor(pixels, [1, 3, height, width]) });
    return v.latents;
  }

  /** Latents (n, h, w, 16) → pixels (n, 3, H, W) in [-1, 1], on the host. */
  async vaeDecode(latents: ort.Tensor): Promise<{ pixels: Float32Array; width: number; height: number }> {
    const out = await this.sessions.vae_decoder.run({ latents });
    try {
      const [, , height, width] = out.image.dims;
      return { pixels: await this.backend.read(out.image), width, height };
    } finally {
      out.image.dispose();
    }
  }

  /** Logits (V) of one position of hidden states (1, T, H), on the host. */
  async logits(hidden: ort.Tensor, position: number): Promise<Float32Array> {
    const H = this.cfg.llm.hidden_size;
    const last = this.backend.rows(hidden, position, 1, H, [1, 1, H]);
    try {
      const lg = await this.sessions.lm_head.run({ hidden: last });
      try {
        return await this.backend.read(lg.logits);
      } finally {
        disposeExcept(lg);
      }
    } finally {
      last.dispose();
    }
  }

  async release(): Promise<void> {
    for (const s of Object.values(this.sessions)) await s.release();
  }
}
