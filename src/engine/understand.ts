// Image understanding (DESIGN.md §2): image → VAE encoder → MAR encoder with nothing masked →
// proj_in (buffers last) → spliced into the chat prompt → greedy decoding with the KV cache and the
// package's repetition penalty, as the official image2text's HF generate() decodes.
// A Conversation keeps its cache across turns.

import type { InputImage } from './api';
import { bytesToPixels } from './canvas';
import { checkpoint } from './checkpoint';
import { EngineError } from './errors';
import type { LlmCache } from './llm';
import { padToSquare, resizeBicubic } from './resize';
import type { HarmonModel } from './model';
import type { ort } from './ort';
import type { TurnPieces } from './tokenizer';

const PAD = 127;

/** The largest image understanding takes (8192², 256 MiB of RGBA): padding it to a square and
 * resizing costs memory by its side², so a larger one is refused before any of that. */
export const MAX_INPUT_PIXELS = 8192 * 8192;

/** A clear EngineError for anything that is not RGBA pixels of a sane size. */
export function checkInputImage(img: InputImage): void {
  const o = img as Partial<InputImage> | null;
  if (typeof o !== 'object' || o === null || !((o.rgba as unknown) instanceof Uint8ClampedArray || (o.rgba as unknown) instanceof Uint8Array)) {
    throw new EngineError('malformed image: expected { width, height, rgba } with RGBA bytes (a Uint8ClampedArray)');
  }
  const { width, height, rgba } = o as InputImage;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0) || rgba.length !== width * height * 4) {
    throw new EngineError(`malformed image: ${width}×${height} with ${rgba.length} bytes of RGBA`);
  }
  if (width * height > MAX_INPUT_PIXELS) {
    throw new EngineError(`the image is ${width}×${height}; the largest taken is ${MAX_INPUT_PIXELS} pixels (8192×8192): scale it down`);
  }
}

/** The official preprocessing: pads to a centred square with grey (127,127,127) and resizes to
 * size×size as PIL does (resize.ts) → RGB floats in [-1,1], (1,3,S,S). */
export function imageToPixels(img: InputImage, size: number): Float32Array {
  checkInputImage(img);
  const sq = padToSquare(img, PAD);
  const rgba = sq.width === size ? sq.rgba : resizeBicubic(sq.rgba, sq.width, sq.height, size, size);
  return bytesToPixels(rgba, size, size);
}

/** (1,3,S,S) pixels → LLM image embeddings (1, N + buffer, H), image tokens first. */
export async function imageEmbeddings(m: HarmonModel, pixels: Float32Array, size: number): Promise<ort.Tensor> {
  const latents = await m.graphs.vaeEncode(pixels, size, size);
  const x = m.steps.embedAll(latents, size / m.stride, size / m.stride);
  latents.dispose();
  const e = await m.graphs.marEncode(x);
  x.dispose();
  e.xEnc.dispose();
  return e.zEnc;
}

export class Conversation {
  /** made at the first feed (on webgpu's kernels path an empty cache holds GPU buffers) */
  private cache?: LlmCache;
  /** the last answer token when a turn stopped at maxNewTokens: the next turn feeds it first */
  unfed: number[] = [];
  turns = 0;

  /** `size`: the side the image was prepared at (later turns may only repeat it) */
  constructor(private readonly m: HarmonModel, private readonly image: ort.Tensor, readonly size: number) {}

  private get length(): number {
    return this.cache?.length ?? 0;
  }

  /** Bytes of this conversation's KV cache: keys and values (f32) of every layer at every position. */
  get cacheBytes(): number {
    const { num_hidden_layers: layers, num_key_value_heads: kv, hidden_size: H, num_attention_heads: heads } = this.m.config.llm;
    return this.length * layers * 2 * kv * (H / heads) * 4;
  }

  /** Feeds embeddings (1, T, H); returns the logits of the last position. */
  private async feed(embeds: ort.Tensor): Promise<Float32Array> {
    const t = embeds.dims[1];
    const length = this.length;
    this.cache ??= this.m.llm.empty(1);
    const rope = this.m.llm.rope(Int32Array.from({ length: t }, (_, i) => length + i), 1);
    let out: Awaited<ReturnType<HarmonModel['llm']['run']>>;
    try {
      // a run that fails leaves the cache as it was; one that succeeds consumes it (the onnx path
      // returns a grown copy, the kernels path appends to its own buffers)
      out = await this.m.llm.run(embeds, this.cache, [length], rope, true);
    } finally {
      rope.dispose();
    }
    const { hidden, cache } = out;
    this.cache = cache!;
    try {
      return await this.m.graphs.logits(hidden, t - 1);
    } finally {
      hidden.dispose();
    }
  }

  /** Embeddings of [before, image, after] (first turn) or of the turn's ids, as one tensor. */
  private turnEmbeddings(pieces: TurnPieces): ort.Tensor {
    const m = this.m;
    const H = m.config.llm.hidden_size;
    if (!pieces.withImage) return m.backend.tensor(m.embed(pieces.ids), [1, pieces.ids.length, H]);
    const t = pieces.before.length + this.image.dims[1] + pieces.after.length;
    return m.backend.concat([m.embed(pieces.before), this.image, m.embed(pieces.after)], H, [1, t, H]);
  }

  /** One turn of greedy decoding with `repetitionPenalty` on this turn's answer (1: plain greedy).
   * `pieces`: the first turn's ids around the image, or a later turn's ids (which start with
   * `unfed`, see TextCodec.questionPieces). */
  async turn(pieces: TurnPieces, stopIds: ReadonlySet<number>, maxNewTokens: number, repetitionPenalty: number,
    hooks: { onToken?: (id: number) => void; signal?: AbortSignal; onFirstLogits?: (l: Float32Array) => void } = {}): Promise<number[]> {
    if (pieces.withImage !== (this.turns === 0)) throw new Error('the first turn (only) carries the image');
    // positions past the model's context have no rotary table row: refuse the turn before feeding
    const maxPos = this.m.config.llm.max_position_embeddings;
    const tokens = pieces.withImage ? pieces.before.length + this.image.dims[1] + pieces.after.length : pieces.ids.length;
    if (this.length + tokens >= maxPos) {
      throw new EngineError(`the question needs ${tokens} tokens but only ${maxPos - this.length - 1} of the model's ` +
        `${maxPos}-token context are left in this conversation: ask a shorter question or start a new conversation`);
    }
    const embeds = this.turnEmbeddings(pieces);
    let logits: Float32Array;
    try {
      logits = await this.feed(embeds);
    } finally {
      embeds.dispose();
    }
    hooks.onFirstLogits?.(logits);
    this.unfed = [];
    this.turns++;
    const out: number[] = [];
    const H = this.m.config.llm.hidden_size;
    for (;;) {
      await checkpoint(hooks.signal);
      // HF generate with inputs_embeds only: its input_ids hold just this answer so far
      const next = argmax(penalize(logits, out, repetitionPenalty));
      if (stopIds.has(next)) break;
      out.push(next);
      hooks.onToken?.(next);
      // the context's end stops an answer like the token limit does (its last token stays unfed)
      if (out.length >= maxNewTokens || this.length + 1 >= maxPos) {
        this.unfed = [next];
        break;
      }
      const e = this.m.backend.tensor(this.m.embed([next]), [1, 1, H]);
      try {
        logits = await this.feed(e);
      } finally {
        e.dispose();
      }
    }
    return out;
  }

  dispose(): void {
    this.cache?.dispose();
    this.cache = undefined;
    this.image.dispose();
  }
}

/** Hugging Face's RepetitionPenaltyLogitsProcessor, in place: every id in `generated` (each once)
 * has its logit l become l · p if l < 0, else l / p, in float32 like torch (p rounded to float32). */
export function penalize(logits: Float32Array, generated: readonly number[], penalty: number): Float32Array {
  if (penalty === 1) return logits;
  const p = Math.fround(penalty);
  for (const id of new Set(generated)) {
    const l = logits[id];
    logits[id] = l < 0 ? l * p : l / p;
  }
  return logits;
}

export function argmax(a: Float32Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}
