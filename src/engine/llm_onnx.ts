// The onnx path of llm.ts: the package's llm.onnx, its cache the past_*/present_* tensors (graphs.ts).

import { Graphs, KvCache } from './graphs';
import type { HarmonConfig } from './model';
import type { ort } from './ort';
import type { Llm, LlmCache, LlmRunCost, Rope } from './llm';
import { attentionBiasFor } from './plan';

class PositionRows implements Rope {
  constructor(readonly positions: ArrayLike<number>, readonly rows: number, readonly perRow: number) {}

  /** each row's first t positions, as the graph takes them (B·t) */
  first(t: number): ArrayLike<number> {
    if (t === this.perRow) return this.positions;
    const out = new Int32Array(this.rows * t);
    for (let r = 0; r < this.rows; r++) for (let j = 0; j < t; j++) out[r * t + j] = this.positions[r * this.perRow + j];
    return out;
  }

  dispose(): void {}
}

export class OnnxLlm implements Llm {
  readonly path = 'onnx';
  lastRun: LlmRunCost = { ortRuns: 0, dispatches: 0, gpuCopyBytes: 0, uploadBytes: 0 };

  constructor(private readonly graphs: Graphs, private readonly cfg: HarmonConfig) {}

  empty(batch: number): LlmCache {
    return KvCache.empty(this.cfg, batch);
  }

  rope(positions: ArrayLike<number>, rows: number): Rope {
    return new PositionRows(positions, rows, positions.length / rows);
  }

  see(): void {}

  async run(embeds: ort.Tensor, cache: LlmCache, valid: number[], rope: Rope, grow: boolean,
    bias?: Float32Array): Promise<{ hidden: ort.Tensor; cache?: LlmCache }> {
    const kv = cache as KvCache;
    const [B, T] = embeds.dims;
    const mask = bias ?? attentionBiasFor(valid, kv.length, T);
    const out = await this.graphs.llm(embeds, mask, (rope as PositionRows).first(T), kv, grow);
    if (grow) kv.dispose();
    const { num_hidden_layers: layers, num_key_value_heads: heads, hidden_size: H, num_attention_heads: qh } = this.cfg.llm;
    const hd = H / qh;
    // every run returns present_* = past_* + the new positions, a copy of the whole cache per layer;
    // the host sends the bias and the two rotary tables
    this.lastRun = { ortRuns: 1, dispatches: 0, gpuCopyBytes: 2 * layers * B * heads * (kv.length + T) * hd * 4,
      uploadBytes: (mask.length + 2 * B * T * hd) * 4 };
    return out;
  }

  dispose(): void {}
}
