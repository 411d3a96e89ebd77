// Image understanding (DESIGN.md §2): image → VAE encoder → MAR encoder with nothing masked →
// proj_in (buffers last) → spliced into the chat prompt → greedy decoding with the KV cache.
// A Conversation keeps its cache across turns.

import { encodePatchEmbed } from '../../kernels/patch_embed';
import { readF32, storageBuffer } from '../gpu/buffers';
import type { InputImage } from './api';
import type { HarmonModel } from './model';
import { attentionBiasFor } from './plan';
import type { TurnPieces } from './tokenizer';
import { cpuTensor, disposeExcept, gpuBufferOf, gpuTensor, type ort } from './ort';

const PAD = 127;

/** Pads to a centred square with grey (127,127,127) and resizes to size×size → RGB floats in [-1,1],
 * (1,3,S,S). An image already size×size is used as it is (bit-exact with the reference). */
export function imageToPixels(img: InputImage, size: number): Float32Array {
  if (!(img.width > 0 && img.height > 0) || img.rgba.length !== img.width * img.height * 4)
    throw new Error(`malformed image: ${img.width}×${img.height} with ${img.rgba.length} bytes of RGBA`);
  const rgba = img.width === size && img.height === size ? img.rgba : padAndResize(img, size);
  const out = new Float32Array(3 * size * size);
  const plane = size * size;
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = 2 * (rgba[i * 4 + c] / 255) - 1;
  return out;
}

function padAndResize(img: InputImage, size: number): Uint8ClampedArray {
  // The reference uses PIL's bicubic resize; the browser's high-quality canvas scaling is close
  // but not bit-identical (understanding tolerates it; parity tests feed size×size images).
  const side = Math.max(img.width, img.height);
  const square = new OffscreenCanvas(side, side);
  const sctx = square.getContext('2d')!;
  sctx.fillStyle = `rgb(${PAD},${PAD},${PAD})`;
  sctx.fillRect(0, 0, side, side);
  const src = new OffscreenCanvas(img.width, img.height);
  src.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(img.rgba), img.width, img.height), 0, 0);
  sctx.drawImage(src, Math.floor((side - img.width) / 2), Math.floor((side - img.height) / 2));
  const out = new OffscreenCanvas(size, size);
  const ctx = out.getContext('2d')!;
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(square, 0, 0, size, size);
  return ctx.getImageData(0, 0, size, size).data;
}

/** (1,3,S,S) pixels → LLM image embeddings (1, N + buffer, H) on the GPU, image tokens first. */
export async function imageEmbeddings(m: HarmonModel, pixels: Float32Array, size: number): Promise<ort.Tensor> {
  const { gpu } = m;
  const dev = gpu.device;
  const { buffer_size: buf, width: D } = m.config.mar;
  const g = size / m.stride;
  const N = g * g;
  const v = await m.sessions.vae_encoder.run({ image: cpuTensor(pixels, [1, 3, size, size]) });
  const keep = storageBuffer(dev, Uint32Array.from({ length: buf + N }, (_, i) => i));
  const x = storageBuffer(dev, (buf + N) * D * 4);
  const enc = dev.createCommandEncoder();
  const pass = enc.beginComputePass();
  encodePatchEmbed(gpu, pass, { tokens: gpuBufferOf(v.latents), keep, zProjWeight: m.weight('mar.z_proj.weight'),
    vectors: m.patchVectors, pos: m.posTables(g).encoder, out: x, batch: 1, l: buf + N, n: N, d: D, buf });
  pass.end();
  dev.queue.submit([enc.finish()]);
  const e = await m.sessions.mar_encoder.run({ x: gpuTensor(x, [1, buf + N, D]) });
  disposeExcept(v);
  disposeExcept(e, ['z_enc']);
  keep.destroy();
  x.destroy();
  return e.z_enc;
}

export class Conversation {
  private cache: Record<string, ort.Tensor> = {};
  private length = 0;
  /** the last answer token when a turn stopped at maxNewTokens: the next turn feeds it first */
  unfed: number[] = [];
  turns = 0;

  constructor(private readonly m: HarmonModel, private readonly image: ort.Tensor) {}

  /** Feeds embeddings (1, T, H) on the GPU; returns the logits of the last position (read back). */
  private async feed(embeds: GPUBuffer, t: number): Promise<Float32Array> {
    const m = this.m;
    const { hidden_size: H, num_hidden_layers: layers, num_key_value_heads: kv, vocab_size: V } = m.config.llm;
    const feeds: Record<string, ort.Tensor> = {
      inputs_embeds: gpuTensor(embeds, [1, t, H]),
      attention_bias: cpuTensor(attentionBiasFor([this.length], this.length, t), [1, 1, t, this.length + t]),
      ...m.rope(Int32Array.from({ length: t }, (_, i) => this.length + i), 1, t),
    };
    for (let i = 0; i < layers; i++) {
      for (const kind of ['key', 'value']) {
        feeds[`past_${kind}_${i}`] = this.cache[`past_${kind}_${i}`] ?? cpuTensor(new Float32Array(0), [1, kv, 0, m.headDim]);
      }
    }
    const out = await m.sessions.llm.run(feeds);
    disposeExcept(this.cache);
    this.cache = {};
    for (let i = 0; i < layers; i++) {
      for (const kind of ['key', 'value']) this.cache[`past_${kind}_${i}`] = out[`present_${kind}_${i}`];
    }
    this.length += t;
    const last = storageBuffer(m.gpu.device, H * 4);
    const enc = m.gpu.device.createCommandEncoder();
    enc.copyBufferToBuffer(gpuBufferOf(out.hidden), (t - 1) * H * 4, last, 0, H * 4);
    m.gpu.device.queue.submit([enc.finish()]);
    out.hidden.dispose();
    const lg = await m.sessions.lm_head.run({ hidden: gpuTensor(last, [1, 1, H]) });
    const logits = await readF32(m.gpu.device, gpuBufferOf(lg.logits), V);
    disposeExcept(lg);
    last.destroy();
    return logits;
  }

  /** Embeddings of [before, image, after] (first turn) or of the turn's ids, as one GPU buffer. */
  private turnEmbeddings(pieces: TurnPieces): { buffer: GPUBuffer; t: number } {
    const m = this.m;
    const H = m.config.llm.hidden_size;
    const dev = m.gpu.device;
    if (!pieces.withImage) {
      return { buffer: storageBuffer(dev, m.embed(pieces.ids)), t: pieces.ids.length };
    }
    const img = this.image.dims[1];
    const t = pieces.before.length + img + pieces.after.length;
    const buffer = storageBuffer(dev, t * H * 4);
    dev.queue.writeBuffer(buffer, 0, m.embed(pieces.before));
    dev.queue.writeBuffer(buffer, (pieces.before.length + img) * H * 4, m.embed(pieces.after));
    const enc = dev.createCommandEncoder();
    enc.copyBufferToBuffer(gpuBufferOf(this.image), 0, buffer, pieces.before.length * H * 4, img * H * 4);
    dev.queue.submit([enc.finish()]);
    return { buffer, t };
  }

  /** One turn of greedy decoding. `pieces`: the first turn's ids around the image, or a later
   * turn's ids (which start with `unfed`, see TextCodec.questionPieces). */
  async turn(pieces: TurnPieces, stopIds: ReadonlySet<number>, maxNewTokens: number,
    hooks: { onToken?: (id: number) => void; signal?: AbortSignal; onFirstLogits?: (l: Float32Array) => void } = {}): Promise<number[]> {
    if (!(Number.isInteger(maxNewTokens) && maxNewTokens >= 1)) throw new Error(`maxNewTokens must be an integer ≥ 1, got ${maxNewTokens}`);
    if (pieces.withImage !== (this.turns === 0)) throw new Error('the first turn (only) carries the image');
    const { buffer, t } = this.turnEmbeddings(pieces);
    let logits = await this.feed(buffer, t);
    buffer.destroy();
    hooks.onFirstLogits?.(logits);
    this.unfed = [];
    this.turns++;
    const out: number[] = [];
    for (;;) {
      if (hooks.signal?.aborted) throw hooks.signal.reason ?? new DOMException('aborted', 'AbortError');
      const next = argmax(logits);
      if (stopIds.has(next)) break;
      out.push(next);
      hooks.onToken?.(next);
      if (out.length >= maxNewTokens) {
        this.unfed = [next];
        break;
      }
      const e = storageBuffer(this.m.gpu.device, this.m.embed([next]));
      logits = await this.feed(e, 1);
      e.destroy();
    }
    return out;
  }

  dispose(): void {
    disposeExcept(this.cache);
    this.cache = {};
    this.image.dispose();
  }
}

export function argmax(a: Float32Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}
