// The engine's text-to-image loop against the PyTorch reference's golden vectors: same orders and
// noise injected, every stage of two steps compared, every step's tokens, the final latents.

import { describe, expect, it } from 'vitest';
import { createBackend } from './backend';
import { HarmonModel } from './model';
import { configureOrt } from './ort';
import { loadPackage } from './package';
import { text2image } from './text2image';
import { GOLDEN, goldenVectors, relErr, vec } from './testing_golden';

describe.each(['webgpu', 'wasm'] as const)('text-to-image vs the PyTorch reference (%s)', async (backend) => {
  configureOrt();
  const be = await createBackend(backend);
  const model = await HarmonModel.load(be, await loadPackage({ url: `${GOLDEN}/package/` }, { cache: null }));
  const { v, meta } = await goldenVectors();

  for (const name of Object.keys(meta.cases)) {
    it(name, async () => {
      const c = meta.cases[name];
      const s = c.settings;
      const n = c.prompts.length;
      const grid = s.size / model.stride;
      const N = grid * grid;
      const ids = vec(v, `${name}/prompt_ids`) as Int32Array;
      const mask = vec(v, `${name}/prompt_mask`) as Int32Array;
      const B = v.get(`${name}/prompt_ids`)!.shape[0];
      const P = ids.length / B;
      const rows = Array.from({ length: B }, (_, b) => ids.slice(b * P, (b + 1) * P));
      const valid = Array.from({ length: B }, (_, b) => mask.slice(b * P, (b + 1) * P).reduce((a, x) => a + x, 0));
      const ordersFlat = vec(v, `${name}/orders`);
      const orders = Array.from({ length: n }, (_, b) => Array.from(ordersFlat.slice(b * N, (b + 1) * N)));
      const got = new Map<string, Float32Array>();
      const tokens = await text2image(model, {
        prompts: c.prompts, promptIds: rows, promptValid: valid, grid, steps: s.steps, cfg: s.cfg,
        cfgSchedule: s.cfg_schedule, temperature: s.temperature, samplingSteps: s.sampling_steps, orders,
        noise: vec(v, `${name}/noise`) as Float32Array,
      }, {
        onStep: async (k, t) => void got.set(`step${k}/tokens`, (await be.read(t)).slice(0, B * N * 16)),
        capture: { steps: [0, 1], put: (k, stage, data) => got.set(`step${k}/${stage}`, data) },
      });
      const report: Record<string, number> = {};
      for (const [key, data] of got) report[key] = relErr(data, vec(v, `${name}/${key}`));
      report.latents = relErr((await be.read(tokens)).slice(0, n * N * 16), vec(v, `${name}/latents`));
      tokens.dispose();
      console.log(backend, name, JSON.stringify(report));
      for (const [key, err] of Object.entries(report)) {
        const bound = key.endsWith('tokens') || key === 'latents' ? 1e-3 : 1e-4;
        expect(err, key).toBeLessThanOrEqual(bound);
      }
    });
  }
});
