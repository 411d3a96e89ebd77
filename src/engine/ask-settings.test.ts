// How the engine answers, on the CPU: Hugging Face's repetition penalty (the official image2text's
// decoding), the package's understanding settings and the checks on a question's image size.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { packageAskDefaults, resolveAskSize } from './engine';
import type { Manifest } from './package';
import { argmax, penalize } from './understand';

const f = Math.fround;
const golden = (): Manifest => JSON.parse(readFileSync(new URL('../../models/golden/tiny/package/manifest.json', import.meta.url), 'utf8'));
const WASM = { maxBytes: 2 ** 30, what: "the wasm backend's 1 GiB per tensor" };

describe('repetition penalty', () => {
  it("is HF's rule in float32: l / p above zero, l · p below, each generated id once", () => {
    const l = Float32Array.from([2, -3, 0.5, 0, -0.25, 4]);
    penalize(l, [0, 1, 1, 3, 4, 0], 1.1);
    const p = f(1.1);
    expect(Array.from(l)).toEqual([f(2 / p), f(-3 * p), 0.5, 0, f(-0.25 * p), 4]);
  });

  it('changes the argmax only where a generated token led by less than the penalty', () => {
    const l = Float32Array.from([1.0, 1.05, -2]);
    expect(argmax(penalize(Float32Array.from(l), [], 1.1))).toBe(1);
    expect(argmax(penalize(Float32Array.from(l), [1], 1.1))).toBe(0); // 1.05 / 1.1 < 1.0
    expect(argmax(penalize(Float32Array.from([1.0, 2.0]), [1], 1.1))).toBe(1);
  });

  it('is the identity at 1', () => {
    const l = Float32Array.from([0.3, -0.7]);
    expect(Array.from(penalize(l, [0, 1], 1))).toEqual([f(0.3), f(-0.7)]);
  });
});

describe('package understanding settings', () => {
  it("reads the manifest's size and penalty; a package without them answers at its generation size, greedy", () => {
    const m = golden();
    expect(packageAskDefaults({ ...m, understanding: undefined })).toEqual({ size: m.config.image_size, repetitionPenalty: 1 });
    expect(packageAskDefaults({ ...m, understanding: { size: 128, repetition_penalty: 1.1, generation_config: {} } }))
      .toEqual({ size: 128, repetitionPenalty: 1.1 });
  });

  it('refuses a bad manifest value at load', () => {
    const m = golden();
    expect(() => packageAskDefaults({ ...m, understanding: { size: 100, repetition_penalty: 1, generation_config: null } }))
      .toThrow(/understanding size must be a positive multiple of 16, got 100/);
    expect(() => packageAskDefaults({ ...m, understanding: { size: 64, repetition_penalty: 0, generation_config: null } }))
      .toThrow(/repetition_penalty must be a finite number > 0/);
  });

  it("checks a question's size before any work", () => {
    const m = golden();
    const d = { size: 64, repetitionPenalty: 1 };
    expect(resolveAskSize(undefined, d, m.config, 16, WASM)).toBe(64);
    expect(resolveAskSize(128, d, m.config, 16, WASM)).toBe(128);
    expect(() => resolveAskSize(72, d, m.config, 16, WASM)).toThrow(/size must be a positive multiple of 16, got 72/);
    expect(() => resolveAskSize(0, d, m.config, 16, WASM)).toThrow(/positive multiple/);
    // 2048 positions: a 768² image is 48² = 2304 tokens
    expect(() => resolveAskSize(768, d, m.config, 16, WASM)).toThrow(/cannot answer at size 768: .*2304 tokens.*more than the model's 2048.*choose a smaller size/);
    expect(() => resolveAskSize(512, d, m.config, 16, { maxBytes: 2 ** 20, what: 'a 1 MiB test limit' }))
      .toThrow(/cannot answer at size 512: .*over a 1 MiB test limit/);
  });
});
