// Text-to-image and partly known images: the masked-autoregressive loop (DESIGN.md §2), written
// out in one place, the same on both backends.
//
// Before the loop: the prompt's KV cache, the plan (plan.ts) and, for a partly known image, the
// known tokens written into the token buffer (they are seen from step 0 and no step writes them).
// Per step: patch embedding → MAR encoder → LLM over the cached prompt → MAR decoder → diffusion
// head, all S_k sampling steps fused with CFG and the DDPM update → write the sampled tokens.
// Everything the loop needs from the CPU is planned before it starts; on webgpu nothing comes back
// from the GPU inside it unless a preview is asked for.

import type { StageEvent } from './api';
import { checkpoint } from './checkpoint';
import type { LlmCache, Rope } from './llm';
import type { HarmonModel } from './model';
import type { ort } from './ort';
import { initialTokens, noiseSlots, packNoise, planSteps } from './plan';

type Stage = Exclude<StageEvent['stage'], 'vae_decode'>;

export interface Text2ImageRequest {
  /** one prompt per image (conditional rows) */
  prompts: string[];
  /** the prompt rows as token ids, conditional then (with CFG) unconditional, right-padded */
  promptIds: Int32Array[];
  promptValid: number[];
  /** the token grid: gh rows × gw columns */
  gh: number;
  gw: number;
  steps: number;
  cfg: number;
  cfgSchedule: 'constant' | 'linear';
  temperature: number;
  /** diffusion sampling steps: S at every MAR step, or S_k per MAR step (the fast preset, plan.ts) */
  samplingSteps: number | number[];
  /** per image the u tokens to generate, in the order MAR masks them (all N for text-to-image) */
  orders: number[][];
  /** per image its u tokens in prediction order, S_k + 1 slots of 16 each (DESIGN.md §6; n × u ×
   * (S+1) × 16 at one S) */
  noise: Float32Array;
  /** a partly known image: the canvas's latents (N × 16); the tokens no order lists keep them */
  known?: Float32Array;
}

export interface Text2ImageHooks {
  signal?: AbortSignal;
  /** called after every step with the token latents (B, N, 16) */
  onStep?: (step: number, tokens: ort.Tensor) => Promise<void> | void;
  /** benchmark hook: waits for the backend after every stage and reports its wall time (slows the loop) */
  profile?: (e: StageEvent) => void;
  /** test hook: intermediates of the given steps, read back (only when asked) */
  capture?: { steps: number[]; put: (step: number, name: string, data: Float32Array) => void };
}

/** KV cache of the prompt rows (run causally, as in the reference: right padding never reaches a
 * valid token). */
export async function prefillPrompt(m: HarmonModel, ids: Int32Array[]): Promise<LlmCache> {
  const H = m.config.llm.hidden_size;
  const B = ids.length;
  const P = ids[0].length;
  const embeds = new Float32Array(B * P * H);
  ids.forEach((row, b) => embeds.set(m.embed(row), b * P * H));
  const input = m.backend.tensor(embeds, [B, P, H]);
  const rope = m.llm.rope(Int32Array.from({ length: B * P }, (_, i) => i % P), B);
  try {
    const { hidden, cache } = await m.llm.run(input, m.llm.empty(B), ids.map(() => 0), rope, true);
    hidden.dispose();
    return cache!;
  } finally {
    // a GPU buffer on webgpu: one per generation, held until the GC, before this was freed here
    input.dispose();
    rope.dispose();
  }
}

/** One rotary table for every MAR step: step k's token j of row r sits at position promptValid[r] + j
 * (plan.ts), so the longest step's table serves all of them, made once before the loop. */
function loopRope(m: HarmonModel, valid: number[], l: number): Rope {
  return m.llm.rope(Int32Array.from({ length: valid.length * l }, (_, i) => valid[Math.floor(i / l)] + (i % l)), valid.length);
}

/** Runs the loop; returns the token latents (B, N, 16) — the caller owns and disposes them. */
export async function text2image(m: HarmonModel, r: Text2ImageRequest, hooks: Text2ImageHooks = {}): Promise<ort.Tensor> {
  const { graphs, backend } = m;
  const n = r.prompts.length;
  const B = r.promptIds.length;
  const N = r.gh * r.gw;
  const P = r.promptIds[0].length;
  const samplingSteps = typeof r.samplingSteps === 'number' ? new Array(r.steps).fill(r.samplingSteps) : r.samplingSteps;
  const plans = planSteps({ n, tokens: N, buffer: m.config.mar.buffer_size, steps: r.steps, cfg: r.cfg,
    cfgSchedule: r.cfgSchedule, orders: r.orders, promptValid: r.promptValid, promptLen: P, samplingSteps });
  const want = n * noiseSlots(r.orders[0].length, samplingSteps) * 16;
  if (r.noise.length !== want) throw new Error(`noise: expected ${want} floats, got ${r.noise.length}`);
  const pos = m.steps.posTables(r.gh, r.gw);
  const initial = r.known && initialTokens(r.known, r.orders, B, N);
  const loop = m.steps.loop({ plans, batch: B, gh: r.gh, gw: r.gw, temperature: r.temperature,
    noise: packNoise(r.noise, plans), initial });
  let cache: LlmCache | undefined;
  const valid = r.promptValid.slice(0, B);
  const rope = loopRope(m, valid, Math.max(...plans.map((p) => p.l)));
  // With a profile hook, each stage ends by waiting for the backend (ORT's WebGPU run() returns
  // before the GPU is done), so its time is that stage's work plus the submit overhead.
  let mark = performance.now();
  const done = async (step: number, stage: Stage) => {
    if (!hooks.profile) return;
    await backend.sync();
    const now = performance.now();
    const p = plans[step];
    // the prefill is the LLM over the P prompt tokens with nothing cached
    const shape = p ? { b: B, l: p.l, p: P, m: p.condRows.length, s: p.samplingSteps } : { b: B, l: P, p: 0, m: 0 };
    const llm = stage === 'prefill' || stage === 'llm' ? { path: m.llm.path, ...m.llm.lastRun } : undefined;
    hooks.profile({ step, stage, ms: now - mark, shape, ...(llm && { llm }) });
    mark = now;
  };
  let ok = false;
  try {
    cache = await prefillPrompt(m, r.promptIds);
    m.llm.see(cache, valid);
    await done(-1, 'prefill');
    for (let k = 0; k < plans.length; k++) {
      await checkpoint(hooks.signal);
      mark = performance.now(); // the yield is not a stage: leave it out of patch_embed's time
      const p = plans[k];
      if (p.noiseRows.length === 0) {
        // Once one token is left, the clamped schedule keeps it masked until the last step: such a
        // step predicts nothing, and its network outputs would be thrown away (as in the reference).
        await hooks.onStep?.(k, loop.tokens);
        continue;
      }
      const x = loop.embed(k);
      await done(k, 'patch_embed');
      const e = await graphs.marEncode(x);
      await done(k, 'mar_encoder');
      const { hidden } = await m.llm.run(e.zEnc, cache, valid, rope, false, p.attentionBias);
      await done(k, 'llm');
      const z = await graphs.marDecode(e.xEnc, hidden, p.gather, pos);
      await done(k, 'mar_decoder');
      loop.sample(k, z);
      await done(k, 'diffusion_head');

      if (hooks.capture?.steps.includes(k)) {
        const t = { patch_embed: x, x_enc: e.xEnc, z_enc: e.zEnc, llm_hidden: hidden, z, tokens: loop.tokens };
        for (const [name, tensor] of Object.entries(t)) hooks.capture.put(k, name, await backend.read(tensor));
      }
      for (const t of [x, e.xEnc, e.zEnc, hidden, z]) t.dispose();
      await hooks.onStep?.(k, loop.tokens);
      mark = performance.now();
    }
    ok = true;
    return loop.tokens;
  } finally {
    cache?.dispose();
    rope.dispose();
    loop.dispose(ok);
  }
}
