// The engine's MAR loop against the PyTorch reference's golden vectors: same orders and noise
// injected (and, for a partly known image, the same known latents), every stage of the recorded
// steps compared, every step's tokens, the final latents; known tokens must come out bit-identical.
// The `fast` case runs the fast preset: S_k per MAR step, and the noise in its layout.

import { describe, expect, it } from 'vitest';
import { createBackend } from './backend';
import { HarmonModel } from './model';
import { fastSamplingSteps, noiseSlots } from './plan';
import { configureOrt } from './ort';
import { loadPackage } from './package';
import { text2image } from './text2image';
import { GOLDEN, goldenGrid, goldenVectors, relErr, vec } from './testing_golden';

// webgpu runs the LLM on our kernels (the product's choice there, llm.ts); `webgpu+onnx` the other
// path on the same backend, on one case (the whole set costs minutes on SwiftShader)
const RUNS = [['webgpu', 'kernels'], ['webgpu+onnx', 'onnx'], ['wasm', 'onnx']] as const;

describe.each(RUNS)('the MAR loop vs the PyTorch reference (%s)', async (label, llm) => {
  configureOrt();
  const backend = label === 'wasm' ? 'wasm' : 'webgpu';
  const be = await createBackend(backend);
  const model = await HarmonModel.load(be, await loadPackage({ url: `${GOLDEN}/package/` }, { cache: null }), undefined, llm);
  const { v, meta } = await goldenVectors();

  it('runs the LLM path asked for', () => expect(model.llm.path).toBe(llm));

  for (const name of Object.keys(meta.cases).filter((c) => label !== 'webgpu+onnx' || c === 'no_cfg')) {
    it(name, async () => {
      const c = meta.cases[name];
      const s = c.settings;
      const n = c.prompts.length;
      const { gh, gw } = goldenGrid(s, model.stride);
      const N = gh * gw;
      const ids = vec(v, `${name}/prompt_ids`) as Int32Array;
      const mask = vec(v, `${name}/prompt_mask`) as Int32Array;
      const B = v.get(`${name}/prompt_ids`)!.shape[0];
      const P = ids.length / B;
      const rows = Array.from({ length: B }, (_, b) => ids.slice(b * P, (b + 1) * P));
      const valid = Array.from({ length: B }, (_, b) => mask.slice(b * P, (b + 1) * P).reduce((a, x) => a + x, 0));
      const ordersFlat = vec(v, `${name}/orders`);
      const u = v.get(`${name}/orders`)!.shape[1];
      const orders = Array.from({ length: n }, (_, b) => Array.from(ordersFlat.slice(b * u, (b + 1) * u)));
      const known = v.has(`${name}/known`) ? vec(v, `${name}/known`) as Float32Array : undefined;
      // the fast preset's S_k: the engine's schedule must be the reference's
      const samplingSteps = s.preset === 'fast' ? fastSamplingSteps(s.steps) : s.sampling_steps;
      if (s.preset === 'fast') {
        expect(samplingSteps).toEqual(c.sampling_steps_per_step);
        expect(noiseSlots(u, samplingSteps)).toBe(c.noise_slots);
      }
      const chain = Array.from({ length: s.steps }, (_, k) => k).filter((k) => v.has(`${name}/step${k}/patch_embed`));
      const got = new Map<string, Float32Array>();
      const tokens = await text2image(model, {
        prompts: c.prompts, promptIds: rows, promptValid: valid, gh, gw, steps: s.steps, cfg: s.cfg,
        cfgSchedule: s.cfg_schedule, temperature: s.temperature, samplingSteps, orders,
        noise: vec(v, `${name}/noise`) as Float32Array, known,
      }, {
        onStep: async (k, t) => void got.set(`step${k}/tokens`, (await be.read(t)).slice(0, B * N * 16)),
        capture: { steps: chain, put: (k, stage, data) => got.set(`step${k}/${stage}`, data) },
      });
      const latents = (await be.read(tokens)).slice(0, n * N * 16);
      tokens.dispose();
      const report: Record<string, number> = {};
      for (const [key, data] of got) report[key] = relErr(data, vec(v, `${name}/${key}`));
      report.latents = relErr(latents, vec(v, `${name}/latents`));
      console.log(label, name, JSON.stringify(report));
      for (const [key, err] of Object.entries(report)) {
        const bound = key.endsWith('tokens') || key === 'latents' ? 1e-3 : 1e-4;
        expect(err, key).toBeLessThanOrEqual(bound);
      }
      if (known) {
        // known tokens: exactly the given latents, in every image, after the loop
        const generated = new Set(orders[0]);
        expect(u).toBe(c.unknown);
        for (let b = 0; b < n; b++) {
          for (let i = 0; i < N; i++) {
            if (orders[b].includes(i)) continue;
            expect(generated.has(i)).toBe(false);
            expect(latents.subarray((b * N + i) * 16, (b * N + i + 1) * 16)).toEqual(known.subarray(i * 16, (i + 1) * 16));
          }
        }
      }
    });
  }
});
