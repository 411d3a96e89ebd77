// A loaded Harmon package on a backend: the ONNX graphs as sessions (graphs.ts), the weights the
// per-step kernels read (steps_*.ts), and the token embedding table (looked up on the CPU: token
// ids are known there, and the table can exceed one storage binding).

import type { Backend } from './backend';
import { EngineError } from './errors';
import { Graphs } from './graphs';
import type { Llm, LlmPath } from './llm';
import { KernelLlm } from './llm_kernels';
import { OnnxLlm } from './llm_onnx';
import { vaeStride } from './limits';
import type { LoadedPackage, Manifest } from './package';
import type { StepKernels } from './steps';
import { WasmSteps } from './steps_wasm';
import { WebGpuSteps } from './steps_webgpu';

/** The model config as the package's manifest records it (models/harmon/config.py). */
export type HarmonConfig = Manifest['config'];

export class HarmonModel {
  readonly stride: number;

  private constructor(
    readonly backend: Backend,
    readonly config: HarmonConfig,
    readonly graphs: Graphs,
    readonly llm: Llm,
    readonly steps: StepKernels,
    readonly embeddings: Float32Array,
    readonly bytes: number,
  ) {
    this.stride = vaeStride(config);
  }

  static async load(backend: Backend, pkg: LoadedPackage, onGraph?: (name: string) => void,
    llmChoice: LlmChoice = 'auto'): Promise<HarmonModel> {
    const cfg = pkg.manifest.config;
    const kernels = pkg.tensors('kernels.safetensors');
    if (backend.gpu) checkLimits(backend.gpu.caps.maxStorageBufferBindingSize, kernels);
    const emb = pkg.tensors('embeddings.safetensors').get('llm.model.embed_tokens.weight');
    if (!emb) throw new Error('embeddings.safetensors has no llm.model.embed_tokens.weight');
    checkConfigShapes(cfg, kernels, emb.shape);
    const weight = (name: string): Float32Array => {
      const t = kernels.get(name);
      if (!t) throw new Error(`kernels.safetensors has no ${name}`);
      return t.data as Float32Array;
    };
    const path = llmPath(backend, pkg, llmChoice);
    // (GPU buffers made while the sessions are created hold their weights; stats() counts them apart)
    const graphs = await backend.owned('sessions', () => Graphs.load(backend, pkg, onGraph));
    let steps: StepKernels | undefined;
    let llm: Llm;
    try {
      steps = await backend.owned('kernels', async () => backend.gpu ? await WebGpuSteps.create(backend.gpu, cfg, weight, kernels)
        : new WasmSteps(cfg, weight, kernels));
      llm = path === 'kernels' ? await backend.owned('kernels', async () => new KernelLlm(backend.gpu!, cfg, llmWeights(pkg)))
        : new OnnxLlm(graphs, cfg);
    } catch (e) {
      steps?.dispose();
      await graphs.release();
      throw e;
    }
    const bytes = Object.values(pkg.manifest.files).reduce((s, f) => s + f.bytes, 0);
    return new HarmonModel(backend, cfg, graphs, llm, steps, emb.data as Float32Array, bytes);
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
    this.llm.dispose();
    await this.graphs.release();
    this.steps.dispose();
  }
}

/** `auto` or one of the LLM paths (llm.ts). */
export type LlmChoice = 'auto' | LlmPath;

/** Which LLM path a backend runs. `auto`: the faster one measured on that backend (README, `npm
 * run bench`): the onnx graph on wasm (the kernels path needs WebGPU), AUTO_WEBGPU on webgpu when the
 * package carries llm.safetensors and is fp32. An fp16 or q4 package stays on its graph under `auto`:
 * the kernels upload the LLM's layers as f32, so they would hold 2× (fp16) to ~6× (q4) the GPU
 * memory the graph's weights take, and that is what those dtypes are chosen to save. */
export function llmPath(backend: Backend, pkg: LoadedPackage, choice: LlmChoice): LlmPath {
  const has = 'llm.safetensors' in pkg.manifest.files;
  if (choice === 'onnx') return 'onnx';
  if (choice === 'kernels') {
    if (!backend.gpu) throw new EngineError("llm: 'kernels' runs on the webgpu backend only; this engine runs on wasm");
    if (!has) throw new EngineError("llm: 'kernels' needs the package's llm.safetensors, which this package has not " +
      '(convert it again, or add it: scripts/py -m harmon.export.llm_weights)');
    return 'kernels';
  }
  checkLlmChoice(choice);
  return backend.gpu && has && pkg.manifest.dtype === 'fp32' ? AUTO_WEBGPU : 'onnx';
}

/** Refuses anything but an LlmChoice (Engine.create checks the option before any load, llmPath again). */
export function checkLlmChoice(choice: unknown): asserts choice is LlmChoice {
  if (!['auto', 'onnx', 'kernels'].includes(choice as string)) {
    throw new EngineError(`llm must be 'auto', 'onnx' or 'kernels', got ${String(choice)}`);
  }
}

/** The webgpu backend's LLM path under `auto`, by the bench's measurement (README). */
export const AUTO_WEBGPU: LlmPath = 'kernels';

function llmWeights(pkg: LoadedPackage): (name: string) => Float32Array {
  const t = pkg.tensors('llm.safetensors');
  return (name) => {
    const w = t.get(name);
    if (!w) throw new Error(`llm.safetensors has no ${name}`);
    return w.data as Float32Array;
  };
}

/** A clear error when a kernel weight would not fit one storage binding of this device. */
function checkLimits(limit: number, kernels: Map<string, { shape: number[] }>): void {
  for (const [name, t] of kernels) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * 4;
    if (bytes > limit) {
      throw new Error(`${name} needs a ${bytes}-byte storage buffer but this GPU allows ${limit} ` +
        '(maxStorageBufferBindingSize): the model is too large for this device; the wasm backend has no such limit');
    }
  }
}

/**
 * The config against the shapes of the weights the engine reads itself: a manifest whose config was
 * edited (or belongs to another export) would otherwise load and fail later, inside a graph run,
 * with an error about buffer sizes. (The ONNX graphs' own shapes are checked by onnxruntime when
 * they run.)
 */
export function checkConfigShapes(cfg: HarmonConfig, kernels: Map<string, { shape: number[] }>, embeddings: number[]): void {
  const { mar, llm } = cfg;
  const L = mar.buffer_size + mar.grid * mar.grid;
  const want: [string, number[] | undefined, number[], string][] = [
    ['embeddings.safetensors llm.model.embed_tokens.weight', embeddings, [llm.vocab_size, llm.hidden_size], 'llm.vocab_size × llm.hidden_size'],
    ['mar.z_proj.weight', kernels.get('mar.z_proj.weight')?.shape, [mar.width, mar.token_dim], 'mar.width × mar.token_dim'],
    ['mar.encoder_pos_embed_learned', kernels.get('mar.encoder_pos_embed_learned')?.shape, [1, L, mar.width], '1 × (mar.buffer_size + mar.grid²) × mar.width'],
    ['mar.decoder_pos_embed_learned', kernels.get('mar.decoder_pos_embed_learned')?.shape, [1, L, mar.decoder_width], '1 × (mar.buffer_size + mar.grid²) × mar.decoder_width'],
    ['mar.diffloss.net.cond_embed.weight', kernels.get('mar.diffloss.net.cond_embed.weight')?.shape, [mar.head_width, mar.decoder_width], 'mar.head_width × mar.decoder_width'],
  ];
  for (const [name, got, expected, rule] of want) {
    if (got && got.join() !== expected.join()) {
      throw new EngineError(`the package's config and its weights disagree: ${name} is [${got.join(', ')}], the config says ` +
        `[${expected.join(', ')}] (${rule})`);
    }
  }
}
