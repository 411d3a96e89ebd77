// The kernels path of llm.ts (webgpu): the Qwen2 decoder layers on our WGSL kernels, the KV cache in
// our own GPU buffers. Per layer: RMSNorm → q, k, v linears (with bias) → RoPE on q and k → GQA
// attention over the cache and the new tokens (kernels/attention.ts) → o linear + residual →
// RMSNorm → gate|up linear → SwiGLU → down linear + residual; then, where the cache grows, the new
// keys and values appended in place (kv_append). The final RMSNorm gives the hidden states.
//
// The cache of a prompt is written once, by the prefill, and read in place by every later run; a
// run that does not grow it (a MAR step) writes nothing to it. One command buffer per run; nothing
// is read back. The weights come from the package's llm.safetensors (the converter writes it beside
// llm.onnx, DESIGN §4), uploaded once as f32.

import { encodeAttention } from '../../kernels/attention';
import { prepareKvAppend } from '../../kernels/kv_append';
import { prepareLinear } from '../../kernels/linear';
import { prepareRmsNorm } from '../../kernels/rmsnorm';
import { prepareRope } from '../../kernels/rope';
import { prepareSwiglu } from '../../kernels/swiglu';
import { dispatchPrepared, type PreparedDispatch } from '../gpu/bind';
import { storageBuffer, submitEncoded } from '../gpu/buffers';
import type { Gpu } from '../gpu/device';
import { gpuBuffer } from './backend';
import { EngineError } from './errors';
import type { Llm, LlmCache, LlmRunCost, Rope } from './llm';
import type { HarmonConfig } from './model';
import { ort } from './ort';
import { ropeTables } from './rope';

interface Layer {
  inNorm: GPUBuffer; postNorm: GPUBuffer;
  q: GPUBuffer; qb: GPUBuffer; k: GPUBuffer; kb: GPUBuffer; v: GPUBuffer; vb: GPUBuffer;
  o: GPUBuffer; gateUp: GPUBuffer; down: GPUBuffer;
}

/** Keys and values of `capacity` positions per row, (B, capacity, kv · hd) per layer, the first
 * `length` filled; `pvalid` holds the visible prefix per row for the attention kernel. */
export class ResidentKv implements LlmCache {
  valid: number[];
  private pvalidKey = '';

  constructor(private readonly gpu: Gpu, readonly batch: number, public capacity: number, public length: number,
    public k: GPUBuffer[], public v: GPUBuffer[], public pvalid: GPUBuffer) {
    this.valid = new Array(batch).fill(0);
  }

  /** takes over `bigger`'s buffers (its positions copied in already), freeing its own */
  adopt(bigger: ResidentKv): void {
    for (const b of [...this.k, ...this.v]) b.destroy();
    this.k = bigger.k;
    this.v = bigger.v;
    this.capacity = bigger.capacity;
    bigger.pvalid.destroy();
  }

  /** writes the visible prefix per row when it changed (a MAR loop's stays what the prefill set) */
  setValid(valid: number[]): number {
    const key = valid.join();
    if (key === this.pvalidKey) return 0;
    this.gpu.device.queue.writeBuffer(this.pvalid, 0, Uint32Array.from(valid));
    this.pvalidKey = key;
    this.valid = valid.slice();
    return valid.length * 4;
  }

  dispose(): void {
    for (const b of [...this.k, ...this.v, this.pvalid]) b.destroy();
    this.k = [];
    this.v = [];
  }
}

class GpuRope implements Rope {
  constructor(readonly cos: GPUBuffer, readonly sin: GPUBuffer, readonly rows: number, readonly perRow: number) {}

  dispose(): void {
    this.cos.destroy();
    this.sin.destroy();
  }
}

const SCRATCH = ['res', 'h', 'q', 'k', 'v', 'attn', 'gu', 'act'] as const;

export class KernelLlm implements Llm {
  readonly path = 'kernels';
  lastRun: LlmRunCost = { ortRuns: 0, dispatches: 0, gpuCopyBytes: 0, uploadBytes: 0 };
  private readonly layers: Layer[] = [];
  private readonly finalNorm: GPUBuffer;
  private readonly zeros: GPUBuffer;
  private scratch?: { rows: number; b: Record<(typeof SCRATCH)[number], GPUBuffer> };
  private readonly H: number;
  private readonly heads: number;
  private readonly kvHeads: number;
  private readonly hd: number;
  private readonly inter: number;

  constructor(private readonly gpu: Gpu, private readonly cfg: HarmonConfig, weight: (name: string) => Float32Array) {
    const c = cfg.llm;
    this.H = c.hidden_size;
    this.heads = c.num_attention_heads;
    this.kvHeads = c.num_key_value_heads;
    this.hd = c.hidden_size / c.num_attention_heads;
    this.inter = c.intermediate_size;
    const dev = gpu.device;
    const up = (name: string) => storageBuffer(dev, weight(name), name);
    for (let i = 0; i < c.num_hidden_layers; i++) {
      const p = `llm.model.layers.${i}.`;
      // gate over up: one linear makes both halves of the SwiGLU input
      const gate = weight(`${p}mlp.gate_proj.weight`);
      const limit = gpu.caps.maxStorageBufferBindingSize;
      if (2 * gate.byteLength > limit) {
        throw new EngineError(`the LLM's stacked gate|up weight needs a ${2 * gate.byteLength}-byte storage buffer but this GPU ` +
          `allows ${limit} (maxStorageBufferBindingSize): run this model with llm: 'onnx'`);
      }
      const gateUp = new Float32Array(2 * gate.length);
      gateUp.set(gate);
      gateUp.set(weight(`${p}mlp.up_proj.weight`), gate.length);
      this.layers.push({
        inNorm: up(`${p}input_layernorm.weight`), postNorm: up(`${p}post_attention_layernorm.weight`),
        q: up(`${p}self_attn.q_proj.weight`), qb: up(`${p}self_attn.q_proj.bias`),
        k: up(`${p}self_attn.k_proj.weight`), kb: up(`${p}self_attn.k_proj.bias`),
        v: up(`${p}self_attn.v_proj.weight`), vb: up(`${p}self_attn.v_proj.bias`),
        o: up(`${p}self_attn.o_proj.weight`), gateUp: storageBuffer(dev, gateUp, `${p}mlp.gate_up`),
        down: up(`${p}mlp.down_proj.weight`),
      });
    }
    this.finalNorm = up('llm.model.norm.weight');
    // o_proj and the MLP have no bias: they read zeros
    this.zeros = storageBuffer(dev, Math.max(this.H, 2 * this.inter) * 4, 'llm.zero_bias');
  }

  empty(batch: number): ResidentKv {
    return this.allocate(batch, 0);
  }

  private allocate(batch: number, capacity: number): ResidentKv {
    const dev = this.gpu.device;
    const bytes = batch * capacity * this.kvHeads * this.hd * 4;
    const make = (kind: string) => this.layers.map((_, i) => storageBuffer(dev, bytes, `kv.${kind}${i}`));
    return new ResidentKv(this.gpu, batch, capacity, 0, make('k'), make('v'), storageBuffer(dev, batch * 4, 'kv.pvalid'));
  }

  rope(positions: ArrayLike<number>, rows: number): Rope {
    const { cos, sin } = ropeTables(positions, this.hd, this.cfg.llm.rope_theta);
    const dev = this.gpu.device;
    return new GpuRope(storageBuffer(dev, cos, 'rope.cos'), storageBuffer(dev, sin, 'rope.sin'), rows, positions.length / rows);
  }

  see(cache: LlmCache, valid: number[]): void {
    (cache as ResidentKv).setValid(valid);
  }

  private buffers(rows: number): Record<(typeof SCRATCH)[number], GPUBuffer> {
    if (this.scratch && this.scratch.rows >= rows) return this.scratch.b;
    if (this.scratch) for (const b of Object.values(this.scratch.b)) b.destroy();
    const { H, heads, kvHeads, hd, inter } = this;
    const width = { res: H, h: H, q: heads * hd, k: kvHeads * hd, v: kvHeads * hd, attn: heads * hd, gu: 2 * inter, act: inter };
    const b = {} as Record<(typeof SCRATCH)[number], GPUBuffer>;
    for (const name of SCRATCH) b[name] = storageBuffer(this.gpu.device, rows * width[name] * 4, `llm.${name}`);
    this.scratch = { rows, b };
    return b;
  }

  /** Room for `need` positions per row: the cache's own buffers, or larger ones with its filled
   * positions copied over (in place: the cache object stays valid). Grows by doubling, so a
   * conversation copies its cache O(log length) times in all. Returns the bytes copied. */
  private reserve(cache: ResidentKv, need: number): number {
    if (need <= cache.capacity) return 0;
    const bigger = this.allocate(cache.batch, Math.max(need, 2 * cache.capacity));
    const stride = this.kvHeads * this.hd * 4;
    const row = cache.length * stride;
    let copied = 0;
    if (row > 0) {
      submitEncoded(this.gpu.device, 'kv.grow', (enc) => {
        for (let i = 0; i < this.layers.length; i++) {
          for (let b = 0; b < cache.batch; b++) {
            enc.copyBufferToBuffer(cache.k[i], b * cache.capacity * stride, bigger.k[i], b * bigger.capacity * stride, row);
            enc.copyBufferToBuffer(cache.v[i], b * cache.capacity * stride, bigger.v[i], b * bigger.capacity * stride, row);
            copied += 2 * row;
          }
        }
      });
    }
    cache.adopt(bigger);
    return copied;
  }

  async run(embeds: ort.Tensor, given: LlmCache, valid: number[], rope: Rope, grow: boolean): Promise<{ hidden: ort.Tensor; cache?: LlmCache }> {
    const cache = given as ResidentKv;
    const [B, T] = embeds.dims;
    const r = rope as GpuRope;
    if (B !== cache.batch || r.rows !== B) throw new Error(`llm: ${B} rows, a cache of ${cache.batch}, rotary tables of ${r.rows}`);
    if (T > r.perRow) throw new Error(`llm: ${T} tokens per row but rotary tables of ${r.perRow}`);
    let copied = 0;
    if (grow) copied = this.reserve(cache, cache.length + T);
    const uploaded = cache.setValid(valid);
    const { gpu, H, heads, kvHeads, hd, inter } = this;
    const M = B * T;
    const s = this.buffers(M);
    const hidden = storageBuffer(gpu.device, M * H * 4, 'llm.hidden');
    const eps = this.cfg.llm.rms_norm_eps;
    const calls: (PreparedDispatch | ((pass: GPUComputePassEncoder) => void))[] = [];
    const lin = (x: GPUBuffer, w: GPUBuffer, bias: GPUBuffer, y: GPUBuffer, inD: number, outD: number, residual = false) =>
      calls.push(prepareLinear(gpu, { gather: false, epilogue: residual ? 'residual' : 'none' }, { m: M, in: inD, out: outD },
        { x, w, bias, y }));
    const rot = (x: GPUBuffer, n: number) => calls.push(prepareRope(gpu, { m: M, heads: n, hd, t: T, tableT: r.perRow }, { x, cos: r.cos, sin: r.sin }));
    let dispatches = 0;
    submitEncoded(gpu.device, 'llm', (enc) => {
      // the residual stream starts as a copy of the input embeddings (the caller keeps those)
      enc.copyBufferToBuffer(gpuBuffer(embeds), 0, s.res, 0, M * H * 4);
      this.layers.forEach((L, layer) => {
        calls.push(prepareRmsNorm(gpu, { m: M, w: H, eps }, { x: s.res, weight: L.inNorm, y: s.h }));
        lin(s.h, L.q, L.qb, s.q, H, heads * hd);
        lin(s.h, L.k, L.kb, s.k, H, kvHeads * hd);
        lin(s.h, L.v, L.vb, s.v, H, kvHeads * hd);
        rot(s.q, heads);
        rot(s.k, kvHeads);
        const kc = cache.k[layer];
        const vc = cache.v[layer];
        const p = cache.length > 0 ? cache.capacity : 0;
        calls.push((pass) => encodeAttention(gpu, pass, {
          q: s.q, kCache: kc, vCache: vc, pvalid: cache.pvalid, kNew: s.k, vNew: s.v, out: s.attn,
          batch: B, tq: T, p, hq: heads, hkv: kvHeads, hd, causal: true,
        }));
        lin(s.attn, L.o, this.zeros, s.res, heads * hd, H, true);
        calls.push(prepareRmsNorm(gpu, { m: M, w: H, eps }, { x: s.res, weight: L.postNorm, y: s.h }));
        lin(s.h, L.gateUp, this.zeros, s.gu, H, 2 * inter);
        calls.push(prepareSwiglu(gpu, { m: M, i: inter }, { gu: s.gu, y: s.act }));
        lin(s.act, L.down, this.zeros, s.res, inter, H, true);
        if (grow) {
          calls.push(prepareKvAppend(gpu, { batch: B, t: T, w: kvHeads * hd, capacity: cache.capacity, start: cache.length },
            { kNew: s.k, vNew: s.v, kCache: kc, vCache: vc }));
        }
      });
      calls.push(prepareRmsNorm(gpu, { m: M, w: H, eps }, { x: s.res, weight: this.finalNorm, y: hidden }));
      const pass = enc.beginComputePass();
      for (const c of calls) {
        if (typeof c === 'function') c(pass);
        else dispatchPrepared(pass, c);
      }
      pass.end();
      dispatches = calls.length;
    });
    this.lastRun = { ortRuns: 0, dispatches, gpuCopyBytes: M * H * 4 + copied, uploadBytes: uploaded };
    const out = ort.Tensor.fromGpuBuffer(hidden, { dataType: 'float32', dims: [B, T, H], dispose: () => hidden.destroy() });
    if (!grow) return { hidden: out };
    cache.length += T;
    return { hidden: out, cache };
  }

  dispose(): void {
    for (const L of this.layers) for (const b of Object.values(L)) b.destroy();
    this.layers.length = 0;
    this.finalNorm.destroy();
    this.zeros.destroy();
    if (this.scratch) for (const b of Object.values(this.scratch.b)) b.destroy();
    this.scratch = undefined;
  }
}
