// How the engine decodes an answer, on the CPU: Hugging Face's repetition penalty (the official
// image2text's decoding). The package's understanding settings and a question's size: resolve.test.ts.

import { describe, expect, it } from 'vitest';
import { argmax, penalize } from './understand';

const f = Math.fround;

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
