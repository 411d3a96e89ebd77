// Text-to-image: the masked-autoregressive loop (DESIGN.md §2), written out in one place.
//
// Per step: patch embedding (WGSL) → MAR encoder (ORT) → LLM over the cached prompt (ORT) →
// MAR decoder (ORT) → diffusion head, all S sampling steps fused (WGSL) → write the sampled
// tokens (WGSL). Everything the loop needs from the CPU is planned before it starts; nothing comes
// back from the GPU inside it unless a preview is asked for.

import { encodePatchEmbed } from '../../kernels/patch_embed';
import { encodeScatterRows } from '../../kernels/scatter_rows';
import { readF32, storageBuffer } from '../gpu/buffers';
import type { StageEvent } from './api';
import type { HarmonModel } from './model';
import { cpuTensor, disposeExcept, gpuBufferOf, gpuTensor, ort } from './ort';
import { attentionBiasFor, planSteps } from './plan';

type Stage = Exclude<StageEvent['stage'], 'vae_decode'>;

export interface Text2ImageRequest {
  /** one prompt per image (conditional rows) */
  prompts: string[];
  /** the prompt rows as token ids, conditional then (with CFG) unconditional, right-padded */
  promptIds: Int32Array[];
  promptValid: number[];
  grid: number;
  steps: number;
  cfg: number;
  cfgSchedule: 'constant' | 'linear';
  temperature: number;
  samplingSteps: number;
  orders: number[][];
  /** n × N × (S+1) × 16 */
  noise: Float32Array;
}

export interface Text2ImageHooks {
  signal?: AbortSignal;
  /** called after every step; `tokens` is the GPU buffer of token latents (B, N, 16) */
  onStep?: (step: number, tokens: GPUBuffer) => Promise<void> | void;
  /** benchmark hook: waits for the GPU after every stage and reports its wall time (slows the loop) */
  profile?: (e: StageEvent) => void;
  /** test hook: intermediates of the given steps, read back (only when asked) */
  capture?: { steps: number[]; put: (step: number, name: string, data: Float32Array) => void };
}

/** KV cache of the prompt rows: the LLM's `present_*` outputs of the prefill, as `past_*` feeds. */
export async function prefillPrompt(m: HarmonModel, ids: Int32Array[]): Promise<Record<string, ort.Tensor>> {
  const { hidden_size: H, num_hidden_layers: layers, num_key_value_heads: kv } = m.config.llm;
  const B = ids.length;
  const P = ids[0].length;
  const embeds = new Float32Array(B * P * H);
  ids.forEach((row, b) => embeds.set(m.embed(row), b * P * H));
  const feeds: Record<string, ort.Tensor> = {
    inputs_embeds: cpuTensor(embeds, [B, P, H]),
    // the prompts run causally only, as in the reference: right padding never reaches a valid token
    attention_bias: cpuTensor(attentionBiasFor(ids.map(() => 0), 0, P), [B, 1, P, P]),
    ...m.rope(Int32Array.from({ length: B * P }, (_, i) => i % P), B, P),
  };
  for (let i = 0; i < layers; i++) {
    for (const kind of ['key', 'value']) feeds[`past_${kind}_${i}`] = cpuTensor(new Float32Array(0), [B, kv, 0, m.headDim]);
  }
  const out = await m.sessions.llm.run(feeds);
  const cache: Record<string, ort.Tensor> = {};
  for (let i = 0; i < layers; i++) {
    for (const kind of ['key', 'value']) cache[`past_${kind}_${i}`] = out[`present_${kind}_${i}`];
  }
  disposeExcept(out, Object.keys(out).filter((k) => k.startsWith('present_')));
  return cache;
}

/** Runs the loop; returns the token buffer (B, N, 16) — the caller owns and destroys it. */
export async function text2image(m: HarmonModel, r: Text2ImageRequest, hooks: Text2ImageHooks = {}): Promise<GPUBuffer> {
  const { gpu } = m;
  const dev = gpu.device;
  const { buffer_size: buf, width: D, decoder_width: Dd } = m.config.mar;
  const n = r.prompts.length;
  const B = r.promptIds.length;
  const N = r.grid * r.grid;
  const S = r.samplingSteps;
  const P = r.promptIds[0].length;
  const plans = planSteps({ n, tokens: N, buffer: buf, steps: r.steps, cfg: r.cfg, cfgSchedule: r.cfgSchedule,
    orders: r.orders, promptValid: r.promptValid, promptLen: P });
  const pos = m.posTables(r.grid);
  const owned: GPUBuffer[] = [];
  const make = (data: ArrayBufferView | number, label: string) => {
    const b = storageBuffer(dev, data, label);
    owned.push(b);
    return b;
  };
  const tokens = storageBuffer(dev, B * N * 16 * 4, 'tokens');
  const noise = make(r.noise, 'noise');
  const maxL = buf + N;
  const x = make(B * maxL * D * 4, 'patch_embed.out');
  const maxM = Math.max(...plans.map((p) => p.condRows.length));
  const sampled = make(maxM * 16 * 4, 'sampled');
  const stepBuffers = plans.map((p, k) => ({
    keep: make(p.keep, `keep${k}`),
    condRows: make(p.condRows, `condRows${k}`),
    noiseRows: make(p.noiseRows, `noiseRows${k}`),
    targets: make(p.targets, `targets${k}`),
  }));
  const decoderPos = gpuTensor(pos.decoder, [1, buf + N, Dd]);
  const diffusionPos = gpuTensor(pos.diffusion, [1, N, Dd]);
  let cache: Record<string, ort.Tensor> = {};
  // With a profile hook, each stage ends by waiting for the queue (ORT's run() returns before the GPU
  // is done), so its time is the GPU time of that stage plus the submit overhead.
  let mark = performance.now();
  const done = async (step: number, stage: Stage) => {
    if (!hooks.profile) return;
    await dev.queue.onSubmittedWorkDone();
    const now = performance.now();
    const p = plans[step];
    // the prefill is the LLM over the P prompt tokens with nothing cached
    const shape = p ? { b: B, l: p.l, p: P, m: p.condRows.length } : { b: B, l: P, p: 0, m: 0 };
    hooks.profile({ step, stage, ms: now - mark, shape });
    mark = now;
  };
  try {
    cache = await prefillPrompt(m, r.promptIds);
    await done(-1, 'prefill');
    for (let k = 0; k < plans.length; k++) {
      if (hooks.signal?.aborted) throw hooks.signal.reason ?? new DOMException('aborted', 'AbortError');
      const p = plans[k];
      const sb = stepBuffers[k];
      if (p.noiseRows.length === 0) {
        // Once one token is left, the clamped schedule keeps it masked until the last step: such a
        // step predicts nothing, and its network outputs would be thrown away (as in the reference).
        await hooks.onStep?.(k, tokens);
        continue;
      }
      let enc = dev.createCommandEncoder({ label: `step${k}.front` });
      let pass = enc.beginComputePass();
      encodePatchEmbed(gpu, pass, { tokens, keep: sb.keep, zProjWeight: m.weight('mar.z_proj.weight'),
        vectors: m.patchVectors, pos: pos.encoder, out: x, batch: B, l: p.l, n: N, d: D, buf });
      pass.end();
      dev.queue.submit([enc.finish()]);
      await done(k, 'patch_embed');

      const e = await m.sessions.mar_encoder.run({ x: gpuTensor(x, [B, p.l, D]) });
      await done(k, 'mar_encoder');
      const l = await m.sessions.llm.run({
        inputs_embeds: e.z_enc,
        attention_bias: cpuTensor(p.attentionBias, [B, 1, p.l, P + p.l]),
        ...m.rope(p.positionIds, B, p.l),
        ...cache,
      });
      disposeExcept(l, ['hidden']);
      await done(k, 'llm');
      const d = await m.sessions.mar_decoder.run({ x_enc: e.x_enc, hidden: l.hidden,
        gather_index: cpuTensor(p.gather, [B, buf + N]), decoder_pos: decoderPos, diffusion_pos: diffusionPos });
      const z = gpuBufferOf(d.z);
      await done(k, 'mar_decoder');

      enc = dev.createCommandEncoder({ label: `step${k}.head` });
      m.head.encode(enc, { steps: S, cfg: p.cfg, temperature: r.temperature, rows: p.noiseRows.length,
        cond: z, condRows: sb.condRows, noise, noiseRows: sb.noiseRows, out: sampled });
      pass = enc.beginComputePass();
      encodeScatterRows(gpu, pass, { src: sampled, targets: sb.targets, dst: tokens,
        count: p.targets.length, mc: p.noiseRows.length, width: 16 });
      pass.end();
      dev.queue.submit([enc.finish()]);
      await done(k, 'diffusion_head');

      if (hooks.capture?.steps.includes(k)) await capture(m, hooks.capture.put, k, { x: gpuTensor(x, [B, p.l, D]), ...e, ...l, z: d.z, tokens: gpuTensor(tokens, [B, N, 16]) });
      disposeExcept(e);
      disposeExcept(l);
      disposeExcept(d);
      await hooks.onStep?.(k, tokens);
      mark = performance.now();
    }
    return tokens;
  } catch (err) {
    tokens.destroy();
    throw err;
  } finally {
    disposeExcept(cache);
    for (const b of owned) b.destroy();
  }
}

async function capture(m: HarmonModel, put: (step: number, name: string, data: Float32Array) => void, k: number,
  t: Record<string, ort.Tensor>): Promise<void> {
  const names: Record<string, string> = { x: 'patch_embed', x_enc: 'x_enc', z_enc: 'z_enc', hidden: 'llm_hidden', z: 'z', tokens: 'tokens' };
  for (const [key, name] of Object.entries(names)) {
    const size = t[key].dims.reduce((a, b) => a * b, 1);
    put(k, name, await readF32(m.gpu.device, gpuBufferOf(t[key]), size));
  }
}
