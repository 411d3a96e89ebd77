import { describe, expect, it } from 'vitest';
import { stageFlops, vaeDecoderFlops } from './flops';
import type { HarmonConfig } from './model';

const c05 = {
  name: '0.5b', image_size: 256,
  vae: { ch: 128, ch_mult: [1, 1, 2, 2, 4], num_res_blocks: 2, z_channels: 16, scale: 0.2325 },
  mar: { width: 768, depth: 12, heads: 12, decoder_width: 768, decoder_depth: 12, decoder_heads: 12, buffer_size: 64,
    grid: 16, token_dim: 16, mlp_ratio: 4, head_width: 1024, head_depth: 6 },
  llm: { hidden_size: 896, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, vocab_size: 151936,
    rope_theta: 1e6, intermediate_size: 4864 },
} as HarmonConfig;

describe('stage FLOPs', () => {
  it('the LLM costs 2 × its matrix parameters per token, plus attention', () => {
    // Qwen2.5-0.5B layers hold 14.91M matrix weights (q 896², k/v 896·128 each, o 896², MLP 3·896·4864)
    const perLayer = 896 * 896 * 2 + 2 * 896 * 128 + 3 * 896 * 4864;
    const f = stageFlops(c05, { b: 1, l: 1, n: 256, p: 0, m: 0, s: 100 }).llm;
    expect(f).toBe(24 * (2 * perLayer + 4 * 896));
  });

  it('the diffusion head scales with rows × sampling steps', () => {
    const one = stageFlops(c05, { b: 2, l: 64, n: 256, p: 30, m: 1, s: 100 }).diffusion_head;
    const two = stageFlops(c05, { b: 2, l: 64, n: 256, p: 30, m: 2, s: 100 }).diffusion_head;
    expect(two).toBe(2 * one);
    // ≈ 2 · 100 · (6 blocks · 5 W² + 2 W²) for W = 1024: about 6.7 GFLOP per row
    expect(one / 1e9).toBeCloseTo(6.73, 1);
  });

  it('the KL-16 decoder at 256² is a few hundred GFLOP and scales with the area', () => {
    const f16 = vaeDecoderFlops(c05, 16);
    expect(f16 / 1e9).toBeGreaterThan(250);
    expect(f16 / 1e9).toBeLessThan(400);
    const f8 = vaeDecoderFlops(c05, 8);
    expect(f16 / f8).toBeGreaterThan(3.9); // attention (quadratic) aside, 4× the pixels
  });
});

describe('diffusion-head FLOPs per MAR step', () => {
  it('sums rows × S_k over the steps: the fast preset against the default at the released settings', async () => {
    const { fastSamplingSteps, headSteps } = await import('./plan');
    const { headFlops, headFlopsPerImage } = await import('./flops');
    const def = headFlopsPerImage(c05, { tokens: 256, samplingSteps: headSteps('default', 64, 100), cfg: 3 });
    // every token sampled once, in two CFG rows, 100 steps each
    expect(def).toBe(headFlops(c05, 2 * 256, 100));
    const fast = headFlopsPerImage(c05, { tokens: 256, samplingSteps: fastSamplingSteps(64), cfg: 3 });
    // 4.76× fewer: the cosine schedule predicts most tokens late, where S_k is small (mean S_k per
    // token ≈ 21 against 100)
    expect(def / fast).toBeCloseTo(4.76, 2);
    expect(headFlopsPerImage(c05, { tokens: 16, samplingSteps: [50, 35, 20, 5], cfg: 1 }))
      .toBe(headFlops(c05, 2, 50) + headFlops(c05, 3, 35) + headFlops(c05, 5, 20) + headFlops(c05, 6, 5));
    // a stage event's own S_k
    expect(stageFlops(c05, { b: 2, l: 64, n: 256, p: 30, m: 4, s: 35 }).diffusion_head).toBe(headFlops(c05, 4, 35));
  });
});
