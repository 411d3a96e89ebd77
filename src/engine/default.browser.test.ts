// The shipped embedded default (models/default) against the PyTorch reference on its own checkpoint:
// one generation at the package's own settings (its MAR steps, CFG, S = the manifest's sampling
// steps), orders and noise injected from models/default/parity (written by `harmon.parity` when the
// model is trained). The golden vectors test a random model at chosen settings; this tests the model
// users get, at the settings they get it with, on both backends.

import { describe, expect, it } from 'vitest';
import { Engine } from './engine';
import { parseSafetensors } from './safetensors';
import { relErr } from './testing_golden';

const DEFAULT = '/models/default';

describe.each(['webgpu', 'wasm'] as const)('the embedded default vs the reference (%s)', (backend) => {
  it('draws the reference latents at the package settings', async () => {
    const [bin, meta] = await Promise.all([
      fetch(`${DEFAULT}/parity/vectors.safetensors`).then((r) => r.arrayBuffer()),
      fetch(`${DEFAULT}/parity/vectors.json`).then((r) => r.json()),
    ]);
    const v = parseSafetensors(bin);
    const engine = await Engine.create({ backend });
    try {
      const info = await engine.load({ url: `${DEFAULT}/package/` });
      // the engine applies the package's settings itself: the parity run used exactly those
      const s = meta.settings;
      expect(info.defaults).toMatchObject({ steps: s.steps, cfg: s.cfg, cfgSchedule: s.cfg_schedule,
        temperature: s.temperature, samplingSteps: s.sampling_steps, size: s.size });
      const orders = v.get('orders')!.data as Int32Array;
      const res = await engine.generate(meta.prompt, { orders: [Array.from(orders)], noise: v.get('noise')!.data as Float32Array });
      const err = relErr(res.latents, v.get('latents')!.data as Float32Array);
      console.log(backend, 'embedded default latents rel. error', err);
      // End to end over 8 MAR steps × 100 sampling steps, whose first step multiplies the head's ε
      // error by ≈ 350 (models/train/losses.py, LAST_T): f32 differences of ~1e-6 per stage reach
      // 6.6e-4 (wasm) and 1.1e-3 (webgpu) on the shipped default; a wrong stage gives O(1).
      expect(err).toBeLessThanOrEqual(2e-3);
    } finally {
      await engine.dispose();
    }
  }, 300_000);
});
