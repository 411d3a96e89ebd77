// The fused diffusion head: MAR's SimpleMLPAdaLN run for all S sampling steps of one MAR
// iteration, with CFG and the DDPM update on the GPU — weights resident, one dispatch chain per
// step, no readback. Math: kernels/README.md and reference/diffusion_head.ts.
//
// Per step j (S−1 → 0), 3R + 6 dispatches in one compute pass:
//   sy = SiLU(t_emb[j] + c_emb)                          conditionY
//   mods = sy · [adaLN_0; …; adaLN_{R−1}; final adaLN]ᵀ   one Linear: every adaLN reads SiLU(y)
//   h = input_proj(x[r mod Mc])                          CFG pairs both see the conditional x
//   per block: hn = LN(h)(1+scale)+shift; t = SiLU(mlp.0(hn)); h += gate ⊙ mlp.2(t)
//   hn = LN(h)(1+scale)+shift; out32 = final_layer.linear(hn)
//   x ← DDPM step(out32, x, noise)                       update
// c_emb = cond_embed(cond[condRows]) once per call; t_emb for all S steps once per schedule.

import type { Gpu } from '../src/gpu/device';
import { STORAGE, USAGE, destroyAfterWork, storageBuffer, submitEncoded } from '../src/gpu/buffers';
import { type Binding, type PreparedDispatch, bindGroup, dispatch, dispatchPrepared, grid } from '../src/gpu/bind';
import { respacedSchedule, TIME_FREQ_DIM, timestepFeatures, type DiffusionSchedule } from './diffusion_schedule';
import { DIFFUSION_STEP_WGSL, STEP_RECORD_BYTES, STEP_WG, callUniforms, stepRecords } from './diffusion_step';
import { prepareLinear } from './linear';
import { prepareLayerNormModulate } from './layernorm_modulate';
import type { DiffusionHeadShape, Weights } from './types';

export type { DiffusionHeadShape } from './types';

/** Expected state-dict entries of SimpleMLPAdaLN (names relative to `…diffloss.net.`). */
export function diffusionHeadWeightShapes({ width: W, depth: R, condDim }: DiffusionHeadShape): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const linear = (name: string, out: number, inDim: number) => {
    shapes.set(`${name}.weight`, [out, inDim]);
    shapes.set(`${name}.bias`, [out]);
  };
  linear('input_proj', W, 16);
  linear('time_embed.mlp.0', W, TIME_FREQ_DIM);
  linear('time_embed.mlp.2', W, W);
  linear('cond_embed', W, condDim);
  for (let r = 0; r < R; r++) {
    shapes.set(`res_blocks.${r}.in_ln.weight`, [W]);
    shapes.set(`res_blocks.${r}.in_ln.bias`, [W]);
    linear(`res_blocks.${r}.mlp.0`, W, W);
    linear(`res_blocks.${r}.mlp.2`, W, W);
    linear(`res_blocks.${r}.adaLN_modulation.1`, 3 * W, W);
  }
  linear('final_layer.adaLN_modulation.1', 2 * W, W);
  linear('final_layer.linear', 32, W);
  return shapes;
}

/** Throws, naming every missing, unexpected or wrongly sized entry (both heads, GPU and CPU, check with it). */
export function validateDiffusionHeadWeights(shape: DiffusionHeadShape, weights: Weights): void {
  const { width, depth, condDim } = shape;
  for (const [k, v] of Object.entries({ width, depth, condDim })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`diffusion head: ${k} ${v} is not a positive integer`);
  }
  const expected = diffusionHeadWeightShapes(shape);
  const missing = [...expected.keys()].filter((k) => !(k in weights));
  const unexpected = Object.keys(weights).filter((k) => !expected.has(k));
  const badSize = [...expected].filter(([k, s]) => k in weights && weights[k].length !== s.reduce((a, b) => a * b, 1));
  if (missing.length || unexpected.length || badSize.length) {
    throw new Error(
      `diffusion head weights: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}], ` +
        `wrong size [${badSize.map(([k, s]) => `${k} ${weights[k].length} != ${s.join('×')}`).join(', ')}]`,
    );
  }
}

/** The adaLN Linears of every block and of the final layer, stacked into one ((3R+2)·W, W) Linear
 * (they all read SiLU(y)); its output row is [shift_0 scale_0 gate_0 … shift_f scale_f]. */
export function stackAdaLN({ width: W, depth: R }: DiffusionHeadShape, weights: Weights): { weight: Float32Array; bias: Float32Array } {
  const names = [...Array.from({ length: R }, (_, r) => `res_blocks.${r}.adaLN_modulation.1`), 'final_layer.adaLN_modulation.1'];
  const weight = new Float32Array((3 * R + 2) * W * W);
  const bias = new Float32Array((3 * R + 2) * W);
  let at = 0;
  for (const n of names) {
    weight.set(weights[`${n}.weight`], at * W);
    bias.set(weights[`${n}.bias`], at);
    at += weights[`${n}.bias`].length;
  }
  return { weight, bias };
}

export interface DiffusionSampleArgs {
  /** Sampling steps S (≥ 2). */
  steps: number;
  /** CFG scale; exactly 1 turns CFG off (then M = Mc rows, no unconditional half). */
  cfg: number;
  temperature: number;
  /** Mc: tokens sampled (conditional rows). */
  rows: number;
  /** Conditioning vectors, rows of D' f32 (e.g. the MAR decoder output (B, N, D')). */
  cond: GPUBuffer;
  /** (M) u32: row of `cond` for sampled row r; with CFG rows Mc + i are the unconditional ones. */
  condRows: GPUBuffer;
  /** Noise streams, rows of (S+1)·16 f32: slot 0 = x_T, slot k = noise of denoising step k. */
  noise: GPUBuffer;
  /** (Mc) u32: noise row of conditional row i (its unconditional twin shares it). */
  noiseRows: GPUBuffer;
  /** Receives x (M, 16) f32 at byte `outOffset`. */
  out: GPUBuffer;
  outOffset?: number;
}

interface ScheduleGpu {
  table: DiffusionSchedule;
  records: GPUBuffer;
  temb: GPUBuffer;
}

interface Scratch {
  capacity: number;
  cemb: GPUBuffer;
  sy: GPUBuffer;
  mods: GPUBuffer;
  h: GPUBuffer;
  hn: GPUBuffer;
  t: GPUBuffer;
  out32: GPUBuffer;
  x: GPUBuffer;
}

export class DiffusionHead {
  private readonly w = new Map<string, GPUBuffer>();
  private readonly schedules = new Map<number, ScheduleGpu>();
  private scratch?: Scratch;

  constructor(
    private readonly gpu: Gpu,
    readonly shape: DiffusionHeadShape,
    weights: Weights,
  ) {
    const { width: W, condDim } = shape;
    if (W % 4 !== 0 || condDim % 4 !== 0) throw new Error(`diffusion head: W ${W} and D' ${condDim} must be multiples of 4`);
    validateDiffusionHeadWeights(shape, weights);
    const dev = gpu.device;
    for (const [k, v] of Object.entries(weights)) {
      if (!k.includes('adaLN_modulation')) this.w.set(k, storageBuffer(dev, v, k));
    }
    // All adaLN Linears read the same SiLU(y): stack them into one ((3R+2)·W, W) Linear, whose
    // output row is [shift_0 scale_0 gate_0 … shift_{R−1} scale_{R−1} gate_{R−1} shift_f scale_f].
    const { weight: stackW, bias: stackB } = stackAdaLN(shape, weights);
    this.w.set('adaLN.weight', storageBuffer(dev, stackW, 'adaLN.weight'));
    this.w.set('adaLN.bias', storageBuffer(dev, stackB, 'adaLN.bias'));
  }

  /** Frees every GPU buffer the head holds (weights, schedules, scratch). */
  dispose(): void {
    for (const b of this.w.values()) b.destroy();
    for (const s of this.schedules.values()) [s.records, s.temb].forEach((b) => b.destroy());
    if (this.scratch) for (const b of Object.values(this.scratch)) if (typeof b !== 'number') b.destroy();
    this.w.clear();
    this.schedules.clear();
    this.scratch = undefined;
  }

  private get modStride(): number {
    return (3 * this.shape.depth + 2) * this.shape.width;
  }

  private weight(name: string): GPUBuffer {
    const b = this.w.get(name);
    if (!b) throw new Error(`diffusion head: no weight ${name}`);
    return b;
  }

  /** Step records and t_emb for S steps, built once per S. The t_emb work is submitted here. */
  schedule(steps: number): ScheduleGpu {
    const cached = this.schedules.get(steps);
    if (cached) return cached;
    const { gpu } = this;
    const dev = gpu.device;
    const W = this.shape.width;
    const table = respacedSchedule(steps);
    const feats = new Float32Array(steps * TIME_FREQ_DIM);
    table.timesteps.forEach((t, j) => feats.set(timestepFeatures(t), j * TIME_FREQ_DIM));
    const hidden = storageBuffer(dev, steps * W * 4, 'time_embed.hidden');
    const temb = storageBuffer(dev, steps * W * 4, 'time_embed');
    const x = storageBuffer(dev, feats);
    const silu = { gather: false, epilogue: 'silu' } as const;
    const plain = { gather: false, epilogue: 'none' } as const;
    submitEncoded(dev, 'time_embed', (encoder) => {
      const l1 = prepareLinear(gpu, silu, { m: steps, in: TIME_FREQ_DIM, out: W }, {
        x, w: this.weight('time_embed.mlp.0.weight'), bias: this.weight('time_embed.mlp.0.bias'), y: hidden,
      });
      const l2 = prepareLinear(gpu, plain, { m: steps, in: W, out: W }, {
        x: hidden, w: this.weight('time_embed.mlp.2.weight'), bias: this.weight('time_embed.mlp.2.bias'), y: temb,
      });
      const pass = encoder.beginComputePass();
      dispatchPrepared(pass, l1);
      dispatchPrepared(pass, l2);
      pass.end();
    });
    // only t_emb is kept: the input features and the hidden layer go once the work is done
    destroyAfterWork(dev, [x, hidden]);
    const records = dev.createBuffer({ label: 'diffusion.steps', size: steps * STEP_RECORD_BYTES, usage: USAGE.UNIFORM | USAGE.COPY_DST });
    dev.queue.writeBuffer(records, 0, stepRecords(table));
    const s = { table, records, temb };
    this.schedules.set(steps, s);
    return s;
  }

  private ensureScratch(m: number): Scratch {
    if (this.scratch && this.scratch.capacity >= m) return this.scratch;
    // Grow geometrically; old buffers are left to the GC (work already encoded may still use them).
    const capacity = Math.max(m, 2 * (this.scratch?.capacity ?? 0));
    const W = this.shape.width;
    const make = (floats: number, label: string) =>
      this.gpu.device.createBuffer({ label, size: Math.max(16, capacity * floats * 4), usage: STORAGE });
    this.scratch = {
      capacity,
      cemb: make(W, 'diffusion.cemb'),
      sy: make(W, 'diffusion.sy'),
      mods: make(this.modStride, 'diffusion.mods'),
      h: make(W, 'diffusion.h'),
      hn: make(W, 'diffusion.hn'),
      t: make(W, 'diffusion.t'),
      out32: make(32, 'diffusion.out32'),
      x: make(16, 'diffusion.x'),
    };
    return this.scratch;
  }

  /** Encodes one MAR iteration's sampling (all S steps) and the copy of x (M, 16) into `out`. */
  encode(encoder: GPUCommandEncoder, a: DiffusionSampleArgs): void {
    const { gpu } = this;
    const dev = gpu.device;
    const { width: W, depth: R, condDim } = this.shape;
    const cfgOn = a.cfg !== 1;
    const mc = a.rows;
    const m = cfgOn ? 2 * mc : mc;
    if (mc < 1) throw new Error('diffusion head: no rows');
    const sched = this.schedule(a.steps);
    const s = this.ensureScratch(m);
    const modStride = this.modStride;
    const call = callUniforms({ m, mc, cfgOn, steps: a.steps, width: W, cfg: a.cfg, temperature: a.temperature }).buffer(dev);
    const plain = { gather: false, epilogue: 'none' } as const;

    const condEmbed = prepareLinear(gpu, { gather: true, epilogue: 'none' }, { m, in: condDim, out: W }, {
      x: a.cond, w: this.weight('cond_embed.weight'), bias: this.weight('cond_embed.bias'), y: s.cemb, idx: a.condRows,
    });
    const ada = prepareLinear(gpu, plain, { m, in: W, out: modStride }, {
      x: s.sy, w: this.weight('adaLN.weight'), bias: this.weight('adaLN.bias'), y: s.mods,
    });
    const inputProj = prepareLinear(gpu, plain, { m, in: 16, out: W, srcMod: mc }, {
      x: s.x, w: this.weight('input_proj.weight'), bias: this.weight('input_proj.bias'), y: s.h,
    });
    // The part of each step that does not depend on j: input_proj, the blocks, the final layer.
    const chain: PreparedDispatch[] = [inputProj];
    for (let r = 0; r < R; r++) {
      const p = `res_blocks.${r}.`;
      chain.push(
        prepareLayerNormModulate(gpu, { m, w: W, modStride, shiftOffset: 3 * r * W, scaleOffset: (3 * r + 1) * W }, {
          h: s.h, mods: s.mods, y: s.hn, gamma: this.weight(`${p}in_ln.weight`), beta: this.weight(`${p}in_ln.bias`),
        }),
        prepareLinear(gpu, { gather: false, epilogue: 'silu' }, { m, in: W, out: W }, {
          x: s.hn, w: this.weight(`${p}mlp.0.weight`), bias: this.weight(`${p}mlp.0.bias`), y: s.t,
        }),
        prepareLinear(gpu, { gather: false, epilogue: 'gated_residual' }, { m, in: W, out: W, modStride, gateOffset: (3 * r + 2) * W }, {
          x: s.t, w: this.weight(`${p}mlp.2.weight`), bias: this.weight(`${p}mlp.2.bias`), y: s.h, mods: s.mods,
        }),
      );
    }
    chain.push(
      prepareLayerNormModulate(gpu, { m, w: W, modStride, shiftOffset: 3 * R * W, scaleOffset: (3 * R + 1) * W }, {
        h: s.h, mods: s.mods, y: s.hn,
      }),
      prepareLinear(gpu, plain, { m, in: W, out: 32 }, {
        x: s.hn, w: this.weight('final_layer.linear.weight'), bias: this.weight('final_layer.linear.bias'), y: s.out32,
      }),
    );

    const pipe = (entry: string) => gpu.pipelines.get({ code: DIFFUSION_STEP_WGSL, entry, label: `diffusion_${entry}` });
    const [start, conditionY, update] = [pipe('start'), pipe('conditionY'), pipe('update')];
    const rowGrid = grid(Math.ceil((m * 16) / STEP_WG));
    const yGrid = grid(Math.ceil((m * W) / STEP_WG));
    const stepGroups = (j: number) => {
      const step: Binding = { buffer: sched.records, offset: j * STEP_RECORD_BYTES, size: 32 };
      return {
        y: bindGroup(dev, conditionY, [call, step, undefined, undefined, undefined, sched.temb, s.cemb, s.sy]),
        update: bindGroup(dev, update, [call, step, a.noise, a.noiseRows, s.x, undefined, undefined, undefined, s.out32]),
      };
    };

    const pass = encoder.beginComputePass({ label: 'diffusion_head' });
    dispatchPrepared(pass, condEmbed);
    dispatch(pass, start, bindGroup(dev, start, [call, undefined, a.noise, a.noiseRows, s.x]), ...rowGrid);
    for (let j = a.steps - 1; j >= 0; j--) {
      const g = stepGroups(j);
      dispatch(pass, conditionY, g.y, ...yGrid);
      dispatchPrepared(pass, ada);
      for (const d of chain) dispatchPrepared(pass, d);
      dispatch(pass, update, g.update, ...rowGrid);
    }
    pass.end();
    encoder.copyBufferToBuffer(s.x, 0, a.out, a.outOffset ?? 0, m * 16 * 4);
  }
}
