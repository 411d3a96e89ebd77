import { describe, expect, it } from 'vitest';
import { MAX_IMAGES, MAX_PROMPT_CHARS, textProblem, vaeStride } from './limits';
import {
  ASK_OPTIONS, askOption, attributeName, BACKEND_OPTION, GENERATE_OPTIONS, generateOption, kebab, optionError, optionRule, optionValid,
  packageFallback, parseOption, presetConflict, understandingFallback,
} from './options';

describe('the options table', () => {
  it('has one entry per key, with kebab-case flags and attributes', () => {
    // per request: generate and ask each have a `size` (the canvas; the side a question's image is resized to)
    for (const table of [GENERATE_OPTIONS, ASK_OPTIONS]) {
      const keys = table.map((o) => o.key);
      expect(new Set(keys).size).toBe(keys.length);
    }
    expect(kebab('samplingSteps')).toBe('sampling-steps');
    expect(kebab('maxNewTokens')).toBe('max-new-tokens');
    expect(attributeName(generateOption('cfgSchedule'))).toBe('cfg-schedule');
    expect(attributeName(generateOption('n'))).toBeUndefined();
    expect(attributeName(ASK_OPTIONS[0])).toBe('max-tokens');
  });

  it('says each rule once, from the bounds', () => {
    expect(optionRule(generateOption('n'))).toBe(`an integer from 1 to ${MAX_IMAGES}`);
    expect(optionRule(generateOption('size'))).toBe('a positive multiple of 16');
    expect(optionRule(generateOption('size'), 8)).toBe('a positive multiple of 8');
    expect(optionRule(generateOption('cfg'))).toBe('a finite number from 1 to 100');
    expect(optionRule(generateOption('strength'))).toBe('a number in (0, 1]');
    expect(optionRule(askOption('repetitionPenalty'))).toBe('a number in (0, 10]');
    expect(optionRule(askOption('size'))).toBe('a positive multiple of 16');
    expect(optionRule(generateOption('seed'))).toBe('an integer');
    expect(optionRule(generateOption('cfgSchedule'))).toBe('constant or linear');
    expect(optionRule(BACKEND_OPTION)).toBe('auto, webgpu or wasm');
    expect(optionRule(generateOption('growMask'))).toBe('true or false');
  });

  it('checks typed values against the bounds, inclusive except `above`', () => {
    const steps = generateOption('samplingSteps');
    expect([1, 2, 1000, 1001, 2.5, Number.NaN, '10'].map((v) => optionValid(steps, v))).toEqual([false, true, true, false, false, false, false]);
    const strength = generateOption('strength');
    expect([0, 1e-9, 1, 1.01].map((v) => optionValid(strength, v))).toEqual([false, true, true, false]);
    const size = generateOption('size');
    expect([0, 16, 60, 64, -16].map((v) => optionValid(size, v))).toEqual([false, true, false, true, false]);
    expect(optionValid(size, 24, 8)).toBe(true);
    expect(optionValid(generateOption('seed'), -7)).toBe(true);
    expect(optionValid(generateOption('seed'), 2 ** 60)).toBe(false);
    expect(optionValid(generateOption('preset'), 'slow')).toBe(false);
    expect(optionValid(generateOption('cfg'), Number.POSITIVE_INFINITY)).toBe(false);
  });

  it('the engine message names the key and the value', () => {
    expect(optionError(generateOption('samplingSteps'), 1)).toBe('samplingSteps must be an integer from 2 to 1000, got 1');
    expect(optionError(generateOption('preset'), 'slow')).toBe('preset must be default or fast, got "slow"');
    expect(optionError(generateOption('width'), 70)).toBe('width must be a positive multiple of 16, got 70');
  });

  it('parses text strictly: decimal numbers only, enums in any case', () => {
    const cfg = generateOption('cfg');
    expect(['4.5', ' 1 ', '1e1', '.5e1'].map((r) => parseOption(cfg, r))).toEqual([4.5, 1, 10, 5]);
    expect(['0x10', 'Infinity', 'NaN', '', 'abc', '1e999', '0.5', '101'].map((r) => parseOption(cfg, r))).toEqual(Array(8).fill(undefined));
    const n = generateOption('n');
    expect(['1', '+16', '256.0', '1e1', '17', '0'].map((r) => parseOption(n, r))).toEqual([1, 16, undefined, undefined, undefined, undefined]);
    expect(parseOption(generateOption('cfgSchedule'), ' LINEAR ')).toBe('linear');
    expect(parseOption(BACKEND_OPTION, 'cuda')).toBeUndefined();
    expect(parseOption(generateOption('growMask'), 'False')).toBe(false);
    expect(parseOption(generateOption('growMask'), 'yes')).toBeUndefined();
  });

  it('the fast preset and explicit sampling steps are one rule, named per surface', () => {
    expect(presetConflict({ preset: 'fast' }, { fast: 'F', samplingSteps: 'S' })).toBeUndefined();
    expect(presetConflict({ preset: 'default', samplingSteps: 20 }, { fast: 'F', samplingSteps: 'S' })).toBeUndefined();
    expect(presetConflict({ preset: 'fast', samplingSteps: 20 }, { fast: '--fast', samplingSteps: '--sampling-steps' })).toBe(
      '--fast sets the sampling steps per MAR step (50 → 5): leave out --sampling-steps (got 20)');
  });

  it('package fallbacks are DESIGN.md §6', () => {
    expect([packageFallback('steps'), packageFallback('cfg'), packageFallback('cfgSchedule'), packageFallback('temperature'),
      packageFallback('samplingSteps')]).toEqual([64, 3, 'constant', 1, 100]);
    expect(() => packageFallback('size')).toThrow(/no fallback/);
    // a package from before the understanding settings answers greedily, at its generation size
    expect(understandingFallback('repetitionPenalty')).toBe(1);
    expect(() => understandingFallback('size')).toThrow(/no fallback/);
  });
});

describe('limits', () => {
  it('prompt text: empty (Python whitespace), too long in code points', () => {
    expect(textProblem('')).toBe('the prompt is empty');
    expect(textProblem(' \u3000\x1c', 'question')).toBe('the question is empty');
    expect(textProblem('x'.repeat(MAX_PROMPT_CHARS))).toBeUndefined();
    expect(textProblem('🐱'.repeat(MAX_PROMPT_CHARS))).toBeUndefined();
    expect(textProblem('x'.repeat(MAX_PROMPT_CHARS + 1))).toBe('the prompt is 2001 characters long; the limit is 2000');
  });

  it('the VAE stride of a config', () => {
    expect(vaeStride({ vae: { ch_mult: [1, 1, 2, 2, 4] } })).toBe(16);
    expect(vaeStride({ vae: { ch_mult: [1, 2] } })).toBe(2);
  });
});
