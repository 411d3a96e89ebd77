import { describe, expect, it } from 'vitest';
import {
  cosineAlphasCumprod,
  respacedSchedule,
  roundHalfEven,
  samplingTimesteps,
  timestepFeatures,
} from './diffusion_schedule';

describe('diffusion schedule', () => {
  it('rounds like Python', () => {
    expect([0.5, 1.5, 2.5, 2.4999, 2.5001, 3].map(roundHalfEven)).toEqual([0, 2, 2, 2, 3, 3]);
  });

  it('keeps the timesteps MAR keeps', () => {
    expect(samplingTimesteps(2)).toEqual([0, 999]);
    expect(samplingTimesteps(3)).toEqual([0, 500, 999]); // 499.5 → 500 (even)
    expect(samplingTimesteps(5)).toEqual([0, 250, 500, 749, 999]); // 249.75, 499.5, 749.25
    const s100 = samplingTimesteps(100);
    expect(s100.slice(0, 8)).toEqual([0, 10, 20, 30, 40, 50, 61, 71]); // j·10.0909…
    expect(s100[99]).toBe(999);
    // The closed form of DESIGN.md §2: 10·999/20 = 499.5 exactly → 500 (MAR's accumulated stride gives 499).
    expect(samplingTimesteps(21)[10]).toBe(500);
  });

  it('cosine ᾱ has the closed form a(t+1)/a(0) until β hits its clip', () => {
    const ac = cosineAlphasCumprod();
    const a = (s: number) => Math.cos(((s + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    expect(ac[0]).toBeCloseTo(a(0.001) / a(0), 12);
    expect(ac[500]).toBeCloseTo(a(0.501) / a(0), 12);
    // β_999 = 1 − a(1)/a(0.999) ≈ 1 is clipped to 0.999.
    expect(ac[999] / ac[998]).toBeCloseTo(0.001, 12);
  });

  it('respaced tables', () => {
    const ac = cosineAlphasCumprod();
    for (const S of [2, 10, 100]) {
      const s = respacedSchedule(S);
      // Respacing keeps ᾱ at the kept timesteps.
      expect(s.alphasCumprod[S - 1] / ac[999]).toBeCloseTo(1, 5);
      expect(s.alphasCumprod[0] / ac[0]).toBeCloseTo(1, 6);
      // β'_0 = 1 − ᾱ[0]; posterior variance at j = 0 is 0, so min_log[0] repeats min_log[1].
      expect(s.betas[0]).toBeCloseTo(1 - ac[0], 9);
      expect(s.minLog[0]).toBe(s.minLog[1]);
      expect(s.maxLog[1]).toBeCloseTo(Math.log(s.betas[1]), 5);
      // At j = 0, ᾱ'_prev = 1: the posterior mean is x0 alone.
      expect(s.coef1[0]).toBeCloseTo(1, 6);
      expect(s.coef2[0]).toBe(0);
      // x0 = √(1/ᾱ)·x − √(1/ᾱ − 1)·ε: the two coefficients' squares differ by one.
      expect(s.sqrtRecip[0] ** 2 - s.sqrtRecipM1[0] ** 2).toBeCloseTo(1, 5);
      expect(s.sqrtRecip[S - 1] * Math.sqrt(ac[999])).toBeCloseTo(1, 6);
    }
    // S = 1000 is the unspaced schedule: β' = β.
    const full = respacedSchedule(1000);
    expect(full.betas[999]).toBeCloseTo(0.999, 6);
    expect(full.betas[500]).toBeCloseTo(1 - ac[500] / ac[499], 7);
  });

  it('timestep features', () => {
    const f0 = timestepFeatures(0);
    expect(Array.from(f0.subarray(0, 128))).toEqual(new Array(128).fill(1));
    expect(Array.from(f0.subarray(128))).toEqual(new Array(128).fill(0));
    const f = timestepFeatures(999);
    expect(f[0]).toBeCloseTo(Math.cos(999), 6); // freq 1
    expect(f[128]).toBeCloseTo(Math.sin(999), 6);
    expect(f[64]).toBeCloseTo(Math.cos(999 * Math.exp(-Math.log(10000) / 2)), 5); // freq 0.01
  });
});
