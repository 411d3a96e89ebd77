// The engine: one object per page (or worker) holding the GPU, a loaded model and its
// conversations. The same interface runs in-process and behind the worker (worker.ts / client.ts).

import type {
  AskDefaults, AskHooks, AskOptions, AskResult, BackendInfo, EngineApi, EngineOptions, EngineStats, GenerateHooks, GenerateOptions,
  GenerateResult,
  GeneratedImage, InputImage, LoadHooks, ModelDefaults, ModelInfo, PackageSource,
} from './api';
import { type Backend, createBackend, EngineError } from './backend';
import { checkLlmChoice, HarmonModel } from './model';
import { configureOrt } from './ort';
import { wasmMemoryBytes } from './wasm-memory';
import { fitMessage, type FitTarget, probeArrayBuffer } from './fit';
import { loadPackage, type LoadedPackage, type Manifest } from './package';
import { type Canvas, checkCanvasLimits, checkCanvasOrders, generatedFlags, planCanvas,
  seededInputs } from './canvas';
import { checkpoint } from './checkpoint';
import { headSteps, noiseSlots } from './plan';
import { packageAskDefaults, packageDefaults, resolveAsk, resolveGenerate } from './resolve';
import { text2image } from './text2image';
import { TextCodec } from './tokenizer';
import { checkInputImage, Conversation, imageEmbeddings, imageToPixels } from './understand';
import type { ort } from './ort';

export type { EngineOptions } from './api';
export { EngineError } from './backend';

export class Engine implements EngineApi {
  private model?: HarmonModel;
  private codec?: TextCodec;
  private pkg?: LoadedPackage;
  private defaults?: ModelDefaults;
  private askDefaults?: AskDefaults;
  private readonly conversations = new Map<string, Conversation>();
  private nextId = 1;
  private busy = false;

  private constructor(private be: Backend, private readonly opts: EngineOptions) {}

  /** Picks the backend (`auto`: webgpu on a hardware adapter, wasm on a software one or none). */
  static async create(opts: EngineOptions = {}): Promise<Engine> {
    configureOrt(opts.wasmPaths);
    if (opts.llm !== undefined) checkLlmChoice(opts.llm);
    return new Engine(await createBackend(opts.backend, opts.wasmPaths), opts);
  }

  /** Tests and diagnostics only: the GPU device the engine runs on (undefined on wasm), e.g. to
   * destroy() it in the middle of a generation. */
  device(): GPUDevice | undefined {
    return this.be.gpu?.device;
  }

  /** After the GPU device was lost: a new device of the same backend, and the loaded package's
   * sessions and kernels on it again (its conversations are gone: their caches were on the old one). */
  private async revive(): Promise<void> {
    if (!this.be.lost || this.busy) return;
    await this.exclusive(async () => {
      for (const id of [...this.conversations.keys()]) this.endConversation(id);
      await this.model?.dispose().catch(() => {});
      this.model = undefined;
      const kind = this.be.kind;
      this.be.destroy();
      this.be = await createBackend(kind, this.opts.wasmPaths);
      if (this.pkg) this.model = await HarmonModel.load(this.be, this.pkg, undefined, this.opts.llm);
    });
  }

  /** What the engine holds now, once the GPU's queue has finished (buffers freed after their work
   * are counted out). */
  async stats(): Promise<EngineStats> {
    if (!this.be.lost) await this.be.sync();
    await new Promise((resolve) => setTimeout(resolve, 0));
    const gpu = this.be.memory();
    const wasm = wasmMemoryBytes();
    const kv = [...this.conversations.values()].reduce((s, c) => s + c.cacheBytes, 0);
    // the caches are made by the LLM's runs (scratch, to the tally): told apart by their known size
    const kvGpu = this.be.gpu ? Math.min(kv, gpu.byOwner.scratch) : 0;
    return { gpuBytes: gpu.bytes - gpu.collected, gpuBytesUndestroyed: gpu.bytes, gpuBuffers: gpu.buffers,
      gpuBytesByOwner: { sessions: gpu.byOwner.sessions, kernels: gpu.byOwner.kernels, kvCache: kvGpu,
        scratch: gpu.byOwner.scratch - kvGpu },
      gpuPeakBytes: gpu.peak, wasmMemoryBytes: wasm.ort, kernelWasmBytes: wasm.kernels, kvCacheBytes: kv,
      conversations: this.conversations.size, pending: this.busy ? 1 : 0 };
  }

  backend(): BackendInfo {
    return this.be.info;
  }

  async load(source: PackageSource, hooks: LoadHooks = {}): Promise<ModelInfo> {
    await this.revive();
    this.check(false);
    return this.exclusive(async () => {
      // a package this backend cannot hold is refused from its manifest, before the download
      const check = (m: Manifest) => {
        const why = fitMessage(m, this.fitTarget(m));
        if (why) throw new EngineError(why);
      };
      const pkg = await loadPackage(source, { onProgress: hooks.onProgress, signal: hooks.signal, check });
      const defaults = packageDefaults(pkg.manifest);
      const ask = packageAskDefaults(pkg.manifest);
      const model = await HarmonModel.load(this.be, pkg, (graph) => hooks.onProgress?.({ phase: 'compile', graph }), this.opts.llm);
      await this.unload();
      this.model = model;
      this.pkg = pkg;
      this.defaults = defaults;
      this.askDefaults = ask;
      this.codec = TextCodec.fromPackage(pkg);
      hooks.onProgress?.({ phase: 'ready' });
      return this.info();
    });
  }

  info(): ModelInfo {
    const m = this.check();
    return {
      name: this.pkg!.manifest.name,
      backend: this.be.info,
      defaults: { ...this.defaults! },
      ask: { ...this.askDefaults! },
      config: m.config,
      dtype: this.pkg!.manifest.dtype as ModelInfo['dtype'],
      imageSize: m.config.image_size,
      bytes: m.bytes,
      adapter: this.be.info.adapter,
      features: this.be.info.features,
    };
  }

  /** Text-to-image, or a partly known image (options.image: inpainting, outpainting, variations). */
  async generate(prompt: string, options: GenerateOptions = {}, hooks: GenerateHooks = {}): Promise<GenerateResult> {
    await this.revive();
    const m = this.check();
    const codec = this.codec!;
    // everything is checked before any work: a bad request leaves the engine as it was
    const o = resolveGenerate(options, this.defaults!, m.stride);
    const canvas = planCanvas(o.canvas, m.stride);
    const { gh, gw } = canvas;
    const N = gh * gw;
    const u = canvas.count;
    const prompts = Array.from({ length: o.n }, () => prompt);
    const guided = o.cfg !== 1;
    const ids = codec.generationPrompts(prompts, guided);
    // S_k per MAR step, and the noise slots per image they imply (DESIGN.md §6)
    const sampling = headSteps(o.preset, o.steps, o.samplingSteps);
    const slots = noiseSlots(u, sampling);
    checkCanvasLimits(m.config, canvas, { n: o.n, batch: ids.ids.length, promptValid: Math.max(...ids.validLengths),
      promptLen: ids.ids[0].length, noiseSlots: slots }, this.limits());
    // injected orders / noise (DESIGN.md §6) replace the seeded ones, each on its own
    const seeded = o.orders && o.noise ? undefined : seededInputs(o.seed, o.n, canvas.candidates, u, slots);
    const orders = o.orders ?? seeded!.orders;
    const noise = o.noise ?? seeded!.noise;
    checkCanvasOrders(orders, canvas, o.n);
    const want = o.n * slots * 16;
    if (noise.length !== want) {
      const layout = o.preset === 'fast' ? `n × Σ (S_k+1) × 16 over the ${u} generated tokens, the fast preset's S_k = ${sampling.join(', ')}`
        : `n × u × (S+1) × 16, u = ${u} generated tokens`;
      throw new EngineError(`noise must hold ${want} floats (${layout}), got ${noise.length}`);
    }
    const signal = this.signal(hooks.signal);
    return this.exclusive(async () => {
      const t0 = performance.now();
      const known = canvas.pixels && await this.encodeCanvas(canvas);
      const tokens = await text2image(m, {
        prompts, promptIds: ids.ids, promptValid: ids.validLengths, gh, gw, steps: o.steps, cfg: o.cfg,
        cfgSchedule: o.cfgSchedule, temperature: o.temperature, samplingSteps: sampling, orders, noise, known,
      }, {
        signal,
        profile: hooks.onStage,
        onStep: async (step, tokens) => {
          if (!hooks.onStep) return;
          const preview = o.preview ? await this.decode(tokens, o.n, gh, gw) : undefined;
          hooks.onStep({ step, steps: o.steps, preview });
        },
      });
      try {
        await checkpoint(signal);
        const t1 = performance.now();
        const images = await this.decode(tokens, o.n, gh, gw);
        hooks.onStage?.({ step: -1, stage: 'vae_decode', ms: performance.now() - t1 });
        // a Stop during the decode wins over its result, as one during any step does
        await checkpoint(signal);
        const latents = (await m.backend.read(tokens)).slice(0, o.n * N * 16);
        const generated = canvas.pixels ? generatedFlags(orders, N) : undefined;
        return { images, latents, ...(generated && { generated }), ms: performance.now() - t0 };
      } finally {
        tokens.dispose();
      }
    });
  }

  /** The canvas's latents (N × 16) on the host: the known tokens' values, read back once before the loop. */
  private async encodeCanvas(c: Canvas): Promise<Float32Array> {
    const lat = await this.model!.graphs.vaeEncode(c.pixels!, c.width, c.height);
    try {
      return await this.model!.backend.read(lat);
    } finally {
      lat.dispose();
    }
  }

  /** This backend's limits for fit.ts; the ArrayBuffer limit is probed at the package's largest file. */
  private fitTarget(m: Manifest): FitTarget {
    const largest = Math.max(0, ...Object.values(m.files).map((f) => f.bytes));
    const caps = this.be.gpu?.caps;
    return { backend: this.be.kind, maxArrayBufferBytes: probeArrayBuffer(largest),
      gpu: caps && { maxBufferSize: caps.maxBufferSize, maxStorageBufferBindingSize: caps.maxStorageBufferBindingSize, f16: caps.f16 } };
  }

  /** The largest buffer this backend takes: the device's limits on webgpu; on wasm, 1 GiB (its
   * 32-bit heap holds 4 GiB in all). */
  private limits(): { maxBytes: number; what: string } {
    const caps = this.be.gpu?.caps;
    if (!caps) return { maxBytes: 2 ** 30, what: 'the wasm backend\'s 1 GiB per tensor' };
    const maxBytes = Math.min(caps.maxStorageBufferBindingSize, caps.maxBufferSize);
    return { maxBytes, what: "this GPU's maxStorageBufferBindingSize / maxBufferSize" };
  }

  /** VAE-decodes the first n token rows of (B, N, 16) → RGBA images (one readback on webgpu). */
  private async decode(tokens: ort.Tensor, n: number, gh: number, gw: number): Promise<GeneratedImage[]> {
    const m = this.model!;
    const lat = m.backend.rows(tokens, 0, n * gh * gw, 16, [n, gh, gw, 16]);
    try {
      const { pixels, width: W, height: H } = await m.graphs.vaeDecode(lat);
      return Array.from({ length: n }, (_, b) => toRgba(pixels.subarray(b * 3 * H * W, (b + 1) * 3 * H * W), W, H));
    } finally {
      lat.dispose();
    }
  }

  /** Starts a conversation about an image at `size` (default the package's); returns its id. */
  async startConversation(image: InputImage, size?: number): Promise<string> {
    const m = this.check();
    const { size: S } = resolveAsk({ size }, this.askDefaults!, m.stride, { config: m.config, limits: this.limits() });
    return this.exclusive(async () => {
      const embeds = await imageEmbeddings(m, imageToPixels(image, S), S);
      const id = `c${this.nextId++}`;
      this.conversations.set(id, new Conversation(m, embeds, S));
      return id;
    });
  }

  /** A question about an image (a new conversation) or, given a conversation id, its next turn. */
  async ask(image: InputImage | string, question: string, options: AskOptions = {}, hooks: AskHooks = {}): Promise<AskResult & { conversation: string }> {
    await this.revive();
    const m = this.check();
    const codec = this.codec!;
    if (typeof image !== 'string') checkInputImage(image);
    const pieces0 = codec.questionPieces(question, true); // validates the question before any GPU work
    // a new conversation's image, with the prompt around it, must fit the model and the backend
    const fit = typeof image === 'string' ? undefined
      : { config: m.config, limits: this.limits(), promptTokens: pieces0.withImage ? pieces0.before.length + pieces0.after.length : 0 };
    const { maxNewTokens: maxNew, repetitionPenalty: penalty, size } = resolveAsk(options, this.askDefaults!, m.stride, fit);
    let id: string;
    if (typeof image === 'string') {
      id = image;
      const c = this.conversations.get(id);
      // a later turn's size defaults to its conversation's, not the package's
      if (c && options.size !== undefined && options.size !== c.size) {
        throw new EngineError(`conversation ${id} looks at its image at ${c.size}²: a later turn cannot change size (got ${options.size})`);
      }
    } else {
      id = await this.startConversation(image, size);
    }
    const conv = this.conversations.get(id);
    if (!conv) throw new EngineError(`no conversation ${id} (it was ended, or the GPU device it ran on was lost)`);
    const signal = this.signal(hooks.signal);
    const started = typeof image !== 'string';
    try {
      return await this.exclusive(async () => {
        const t0 = performance.now();
        const pieces = conv.turns === 0 ? pieces0 : codec.questionPieces(question, false, conv.unfed);
        const ids = await conv.turn(pieces, codec.stopIds, maxNew, penalty, {
          signal,
          onToken: (tok) => hooks.onToken?.(codec.decode([tok]), tok),
        });
        return { text: codec.decode(ids), tokenIds: ids, ms: performance.now() - t0, conversation: id };
      });
    } catch (e) {
      // a first turn that fails (a Stop, a lost device) never gave the caller its id: end the
      // conversation here, or its KV cache would stay held with nothing able to free it
      if (started) this.endConversation(id);
      throw e;
    }
  }

  endConversation(id: string): void {
    this.conversations.get(id)?.dispose();
    this.conversations.delete(id);
  }

  private async unload(): Promise<void> {
    for (const id of [...this.conversations.keys()]) this.endConversation(id);
    await this.model?.dispose();
    this.model = undefined;
  }

  async dispose(): Promise<void> {
    await this.unload();
    this.be.destroy();
  }

  private check(needModel = true): HarmonModel {
    if (this.be.lost) throw new EngineError(`${this.be.lost}; the next request starts a new device`);
    if (needModel && !this.model) throw new EngineError('no model loaded: call load() first');
    return this.model!;
  }

  /** One GPU job at a time: the loop's buffers and ORT's sessions are not re-entrant. */
  private async exclusive<T>(job: () => Promise<T>): Promise<T> {
    if (this.busy) throw new EngineError('the engine is busy with another request');
    this.busy = true;
    const be = this.be;
    try {
      return await job();
    } catch (e) {
      // A lost device fails the request wherever it was (a run, a readback, a checkpoint): say so,
      // whatever the failing call said. device.lost settles a moment after the failure it causes.
      if (be.gpu && !be.lost) await Promise.race([be.gpu.device.lost, new Promise((r) => setTimeout(r, 100))]);
      if (be.lost) throw new EngineError(`${be.lost} during this request; the next request starts a new device and loads the model again`);
      throw e;
    } finally {
      this.busy = false;
    }
  }

  /** The caller's signal, also aborted when the device is lost (the loops stop at their next checkpoint). */
  private signal(caller?: AbortSignal): AbortSignal | undefined {
    const lost = this.be.lostSignal;
    if (!lost) return caller;
    return caller ? AbortSignal.any([caller, lost]) : lost;
  }
}

/** (3,H,W) floats in [-1,1] → RGBA bytes, clamp(127.5·x + 128) truncated like the reference. */
export function toRgba(px: Float32Array, w: number, h: number): GeneratedImage {
  const rgba = new Uint8ClampedArray(w * h * 4);
  const plane = w * h;
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) rgba[i * 4 + c] = Math.trunc(Math.min(255, Math.max(0, 127.5 * px[c * plane + i] + 128)));
    rgba[i * 4 + 3] = 255;
  }
  return { width: w, height: h, rgba };
}
