// The fast preset's schedule and the noise layout it implies (DESIGN.md §2, §6), on the CPU.

import { describe, expect, it } from 'vitest';
import { fastSamplingSteps, headSteps, maskLengths, noiseSlots, packNoise, planSteps, predictedCounts } from './plan';

describe('head-step annealing (the fast preset)', () => {
  it('S_k = 5 + floor((K−1−k)/(K−1)·45): 50 → 5, 50 for one step', () => {
    expect(fastSamplingSteps(4)).toEqual([50, 35, 20, 5]);
    expect(fastSamplingSteps(1)).toEqual([50]);
    expect(fastSamplingSteps(2)).toEqual([50, 5]);
    for (const K of [3, 7, 16, 64, 256]) {
      const s = fastSamplingSteps(K);
      expect(s.length).toBe(K);
      expect([s[0], s[K - 1]]).toEqual([50, 5]);
      // the exact rational floor (the float form can land a hair under an integer)
      s.forEach((v, k) => expect(v).toBe(5 + Math.floor(((K - 1 - k) * 45) / (K - 1))));
      s.slice(1).forEach((v, k) => expect(v).toBeLessThanOrEqual(s[k]));
    }
    expect(headSteps('default', 3, 100)).toEqual([100, 100, 100]);
    expect(headSteps('fast', 3, 100)).toEqual([50, 27, 5]);
  });

  it('noise slots: S_k + 1 per token, by the step that predicts it; u tokens for a partly known image', () => {
    expect(predictedCounts(16, 4)).toEqual([2, 3, 5, 6]);
    expect(noiseSlots(16, fastSamplingSteps(4))).toBe(2 * 51 + 3 * 36 + 5 * 21 + 6 * 6);
    expect(noiseSlots(256, new Array(64).fill(100))).toBe(256 * 101);
    // u = 6 unknown tokens (inpainting): only they have noise
    expect(noiseSlots(6, fastSamplingSteps(3))).toBe(predictedCounts(6, 3).reduce((s, c, k) => s + c * ([50, 27, 5][k] + 1), 0));
    // once one token is left the clamped schedule predicts nothing for a while: those steps take no noise
    expect(predictedCounts(4, 8)).toEqual([1, 1, 1, 0, 0, 0, 0, 1]);
    expect(maskLengths(4, 8)).toEqual([3, 2, 1, 1, 1, 1, 1, 1]);
    expect(noiseSlots(4, fastSamplingSteps(8))).toBe([50, 43, 37, 5].reduce((s, v) => s + v + 1, 0));
  });

  it('plans read each token\'s slots at its offset, and packNoise regroups them per step', () => {
    const S = fastSamplingSteps(4);
    const orders = [Array.from({ length: 16 }, (_, i) => 15 - i), Array.from({ length: 16 }, (_, i) => i)];
    const plans = planSteps({ n: 2, tokens: 16, buffer: 4, steps: 4, cfg: 3, cfgSchedule: 'constant', orders,
      promptValid: [5, 5, 3, 3], promptLen: 5, samplingSteps: S });
    expect(plans.map((p) => p.samplingSteps)).toEqual(S);
    const perImage = noiseSlots(16, S) * 16;
    // the noise value encodes (image, token, slot), so the packed rows show where each came from
    const noise = new Float32Array(2 * perImage);
    let at = 0;
    for (const p of plans) {
      for (let b = 0; b < 2; b++) {
        p.predicted[b].forEach((tok, j) => {
          for (let slot = 0; slot <= p.samplingSteps; slot++) {
            noise.fill(b * 1e4 + tok * 100 + slot, b * perImage + at + (j * (p.samplingSteps + 1) + slot) * 16,
              b * perImage + at + (j * (p.samplingSteps + 1) + slot + 1) * 16);
          }
        });
      }
      at += p.predicted[0].length * (p.samplingSteps + 1) * 16;
    }
    expect(at).toBe(perImage);
    const packed = packNoise(noise, plans);
    for (const p of plans) {
      const stride = (p.samplingSteps + 1) * 16;
      let r = 0;
      p.predicted.forEach((idx, b) => idx.forEach((tok) => {
        const row = p.noiseRows[r++];
        expect(packed[row * stride]).toBe(b * 1e4 + tok * 100);                            // x_T
        expect(packed[row * stride + p.samplingSteps * 16 + 15]).toBe(b * 1e4 + tok * 100 + p.samplingSteps);
      }));
    }
    // an order's last entries are predicted first
    expect(plans[0].predicted).toEqual([[0, 1], [14, 15]]);
  });
});
