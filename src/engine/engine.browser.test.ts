// The Engine's public interface in real Chromium on the golden tiny model: understanding matches
// the reference's greedy tokens, generation with injected inputs matches its latents and bytes, no
// GPU→CPU readback inside the loop, cancellation leaves the engine usable, bad input is refused.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from './engine';
import { GOLDEN, goldenPicture, goldenVectors, relErr, vec } from './testing_golden';

let golden: Awaited<ReturnType<typeof goldenVectors>>;

beforeAll(async () => {
  golden = await goldenVectors();
});

describe.each(['webgpu', 'wasm'] as const)('engine (%s)', (backend) => {
  let engine: Engine;

  beforeAll(async () => {
    engine = await Engine.create({ backend });
    expect(engine.backend().kind).toBe(backend);
    const info = await engine.load({ url: `${GOLDEN}/package/` });
    expect(info.backend.kind).toBe(backend);
    expect(info.defaults).toEqual({ steps: 64, cfg: 3, cfgSchedule: 'constant', temperature: 1, size: 64, samplingSteps: 100 });
    // the golden package stands for a converted one: Qwen's repetition penalty, questions at 2× the generation size
    expect(info.ask).toEqual({ size: golden.meta.understanding.size, repetitionPenalty: golden.meta.understanding.repetition_penalty });
  });

  afterAll(() => engine?.dispose());

  it('answers like the reference (the official preprocessing and decoding, a two-turn conversation)', async () => {
    // the 80×64 picture itself: the engine pads and resizes it to 128² as PIL does, and decodes
    // with the package's repetition penalty
    const u = golden.meta.understanding;
    const picture = await goldenPicture();
    const streamed: number[] = [];
    const first = await engine.ask(picture, u.turns[0].question, { maxNewTokens: u.max_new_tokens },
      { onToken: (_t, id) => streamed.push(id) });
    expect(first.tokenIds).toEqual(u.turns[0].greedy_ids);
    expect(streamed).toEqual(u.turns[0].greedy_ids);
    expect(first.text).toBe(u.turns[0].text);
    await expect(engine.ask(first.conversation, u.turns[1].question, { size: 64 })).rejects.toThrow(/cannot change size/);
    const second = await engine.ask(first.conversation, u.turns[1].question, { maxNewTokens: u.max_new_tokens, size: u.size });
    expect(second.tokenIds).toEqual(u.turns[1].greedy_ids);
    engine.endConversation(first.conversation);
    // the penalty overridden to 1: plain greedy, which answers otherwise here
    const plain = await engine.ask(picture, u.plain_greedy_turns[0].question, { maxNewTokens: u.max_new_tokens, repetitionPenalty: 1 });
    expect(plain.tokenIds).toEqual(u.plain_greedy_turns[0].greedy_ids);
    expect(plain.tokenIds).not.toEqual(first.tokenIds);
    const again = await engine.ask(plain.conversation, u.plain_greedy_turns[1].question, { maxNewTokens: u.max_new_tokens, repetitionPenalty: 1 });
    expect(again.tokenIds).toEqual(u.plain_greedy_turns[1].greedy_ids);
    engine.endConversation(plain.conversation);
    await expect(engine.ask(picture, 'What?', { repetitionPenalty: 0 })).rejects.toThrow('repetitionPenalty must be a number in (0, 10], got 0');
    await expect(engine.ask(picture, 'What?', { size: 40 })).rejects.toThrow('size must be a positive multiple of 16, got 40');
    await expect(engine.ask(picture, 'What?', { size: 768 })).rejects.toThrow(/cannot answer at size 768: .*more than the model's 2048/);
  });

  it('generates like the reference with injected orders and noise', async () => {
    const c = golden.meta.cases.cfg_constant;
    const s = c.settings;
    const N = (s.size / 16) ** 2;
    const orders = vec(golden.v, 'cfg_constant/orders');
    const res = await engine.generate(c.prompts[0], {
      n: 1, size: s.size, steps: s.steps, cfg: s.cfg, cfgSchedule: s.cfg_schedule, temperature: s.temperature,
      samplingSteps: s.sampling_steps, orders: [Array.from(orders.slice(0, N))],
      noise: (vec(golden.v, 'cfg_constant/noise') as Float32Array).slice(0, N * (s.sampling_steps + 1) * 16),
    });
    // image 0 of the golden case had a second prompt beside it: rows are independent
    expect(relErr(res.latents, vec(golden.v, 'cfg_constant/latents').slice(0, N * 16))).toBeLessThanOrEqual(1e-3);
    const bytes = vec(golden.v, 'cfg_constant/image_bytes'); // (n, H, W, 3)
    const img = res.images[0];
    let worst = 0;
    for (let i = 0; i < img.width * img.height; i++)
      for (let ch = 0; ch < 3; ch++) worst = Math.max(worst, Math.abs(img.rgba[i * 4 + ch] - bytes[i * 3 + ch]));
    expect(worst).toBeLessThanOrEqual(1);
  });

  it.runIf(backend === 'webgpu')('reads nothing back from the GPU inside the loop (16 steps, one token each)', async () => {
    const proto = GPUBuffer.prototype as unknown as { mapAsync: (...a: unknown[]) => Promise<void> };
    const original = proto.mapAsync;
    let maps = 0;
    proto.mapAsync = function (this: GPUBuffer, ...a: unknown[]) {
      maps++;
      return original.apply(this, a);
    };
    const perStep: number[] = [];
    try {
      // 64² → 16 tokens in 16 steps: every step runs the whole network and predicts one token (a step
      // count's only effect on readbacks would be per step, so 16 show it as well as 64 would)
      await engine.generate('a red circle', { steps: 16, samplingSteps: 2, seed: 3, size: 64 }, { onStep: () => perStep.push(maps) });
    } finally {
      proto.mapAsync = original;
    }
    expect(perStep.length).toBe(16);
    expect(perStep[15]).toBe(0);
    expect(maps).toBeGreaterThan(0); // the final image and latents do come back
  }, 600_000); // 16 steps of ORT's WebGPU EP on SwiftShader (the CPU): about a second each

  it('stops when cancelled and stays usable', async () => {
    const ctl = new AbortController();
    const run = engine.generate('two squares', { steps: 6, samplingSteps: 2 }, {
      signal: ctl.signal, onStep: (e) => { if (e.step === 1) ctl.abort(); },
    });
    await expect(run).rejects.toThrow(/abort/i);
    const ok = await engine.generate('two squares', { steps: 2, samplingSteps: 2, preview: true }, {
      onStep: (e) => expect(e.preview?.[0].width).toBe(64),
    });
    expect(ok.images[0].rgba.length).toBe(64 * 64 * 4);
  });

  it('refuses bad input with a clear message', async () => {
    await expect(engine.generate('', {})).rejects.toThrow('the prompt is empty');
    await expect(engine.generate('x'.repeat(2001), {})).rejects.toThrow(/2000/);
    await expect(engine.generate('ok', { size: 60 })).rejects.toThrow('size must be a positive multiple of 16');
    await expect(engine.generate('ok', { cfg: Number.NaN })).rejects.toThrow('cfg must be');
    await expect(engine.generate('ok', { orders: [[0, 0]] })).rejects.toThrow(/permutation/);
    await expect(engine.ask({ width: 2, height: 2, rgba: new Uint8ClampedArray(3) }, 'what?')).rejects.toThrow('malformed image');
    await expect(engine.ask('c999', 'what?')).rejects.toThrow('no conversation');
  });

  it('the fast preset: refuses a bad preset, an explicit S and a noise of the wrong layout; stays usable', async () => {
    await expect(engine.generate('ok', { preset: 'slow' as never })).rejects.toThrow('preset must be default or fast, got "slow"');
    await expect(engine.generate('ok', { preset: 'fast', samplingSteps: 20 }))
      .rejects.toThrow("preset 'fast' sets the sampling steps per MAR step (50 → 5): leave out samplingSteps (got 20)");
    // K = 2: S_k = 50, 5; of 16 tokens 5 then 11 → 5·51 + 11·6 slots (the default layout's 16·101 is refused)
    const orders = [Array.from({ length: 16 }, (_, i) => i)];
    await expect(engine.generate('ok', { preset: 'fast', steps: 2, orders, noise: new Float32Array(16 * 101 * 16) }))
      .rejects.toThrow("noise must hold 5136 floats (n × Σ (S_k+1) × 16 over the 16 generated tokens, the fast preset's S_k = 50, 5), got 25856");
    // a whole fast run (seeded noise in its layout; stage shapes carry each step's S_k) on the CPU
    // backend only: the golden `fast` case already runs it on webgpu, slowly on SwiftShader
    if (backend === 'wasm') {
      const stages: { stage: string; s?: number }[] = [];
      const ok = await engine.generate('ok', { preset: 'fast', steps: 2 }, { onStage: (e) => stages.push({ stage: e.stage, s: e.shape?.s }) });
      expect(ok.images[0].rgba.length).toBe(64 * 64 * 4);
      expect(stages.filter((e) => e.stage === 'diffusion_head').map((e) => e.s)).toEqual([50, 5]);
    }
    const plain = await engine.generate('ok', { preset: 'default', steps: 1, samplingSteps: 2 });
    expect(plain.images.length).toBe(1);
  });

  it('reports a package that does not exist or fails its hash', async () => {
    const other = await Engine.create({ backend });
    await expect(other.load({ url: '/models/golden/nowhere/' })).rejects.toThrow(/404/);
    await other.dispose();
  });
});

describe('choosing the backend', () => {
  it('auto picks wasm on a software adapter (SwiftShader here) and says why', async () => {
    const e = await Engine.create();
    const b = e.backend();
    expect(b.software).toBe(true);
    expect(b.kind).toBe('wasm');
    expect(b.reason).toMatch(/software GPU adapter/);
    expect(b.threads).toBeGreaterThanOrEqual(1);
    await e.dispose();
  });

  it('runs on the CPU in a browser without WebGPU; forcing webgpu there is a clear error', async () => {
    Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
    try {
      const e = await Engine.create({ backend: 'auto' });
      expect(e.backend()).toMatchObject({ kind: 'wasm', adapter: 'none' });
      expect(e.backend().reason).toMatch(/no WebGPU/);
      await e.load({ url: `${GOLDEN}/package/` });
      const r = await e.generate('a red circle', { steps: 2, samplingSteps: 2 });
      expect(r.images[0].rgba.length).toBe(64 * 64 * 4);
      await e.dispose();
      await expect(Engine.create({ backend: 'webgpu' })).rejects.toThrow(/WebGPU is not available/);
      await expect(Engine.create({ backend: 'cuda' as never })).rejects.toThrow(/backend must be/);
    } finally {
      delete (navigator as { gpu?: unknown }).gpu;
    }
    expect(navigator.gpu).toBeTruthy();
  });
});
