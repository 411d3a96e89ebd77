import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AskDefaults, ModelDefaults } from './api';
import type { Manifest } from './package';
import { packageAskDefaults, packageDefaults, resolveAsk, resolveGenerate } from './resolve';

const D: ModelDefaults = { steps: 8, cfg: 3, cfgSchedule: 'constant', temperature: 1, size: 64, samplingSteps: 100 };

describe('resolveGenerate', () => {
  it('fills what a request leaves out from the package and the engine', () => {
    const r = resolveGenerate({ cfg: 2 }, D, 16);
    expect(r).toMatchObject({ n: 1, steps: 8, cfg: 2, cfgSchedule: 'constant', temperature: 1, samplingSteps: 100, preset: 'default',
      seed: 0, preview: false });
    expect(r.canvas).toMatchObject({ width: 64, height: 64, growMask: false });
  });

  it.each([
    [{ n: 17 }, 'n must be an integer from 1 to 16, got 17'],
    [{ steps: 0 }, 'steps must be an integer from 1 to 1024, got 0'],
    [{ cfg: Number.NaN }, 'cfg must be a finite number from 1 to 100, got NaN'],
    [{ cfgSchedule: 'cosine' }, 'cfgSchedule must be constant or linear, got "cosine"'],
    [{ temperature: -1 }, 'temperature must be a finite number from 0 to 10, got -1'],
    [{ samplingSteps: 1 }, 'samplingSteps must be an integer from 2 to 1000, got 1'],
    [{ preset: 'slow' }, 'preset must be default or fast, got "slow"'],
    [{ seed: 0.5 }, 'seed must be an integer, got 0.5'],
    [{ size: 60 }, 'size must be a positive multiple of 16, got 60'],
    [{ preset: 'fast', samplingSteps: 20 }, "preset 'fast' sets the sampling steps per MAR step (50 → 5): leave out samplingSteps (got 20)"],
  ])('%j → %s', (o, message) => {
    expect(() => resolveGenerate(o as never, D, 16)).toThrow(message);
  });

  it('refuses option names it does not know, naming the ones it does', () => {
    expect(() => resolveGenerate({ stpes: 4 } as never, D, 16)).toThrow(/^unknown generate option stpes \(known: n, size, .*, image, mask, offset, orders, noise\)$/);
    expect(() => resolveGenerate({ a: 1, b: 2 } as never, D, 16)).toThrow(/^unknown generate options a, b /);
    expect(() => resolveGenerate(null as never, D, 16)).toThrow('generate options must be an object, got null');
    // every table option and every non-scalar one is known
    expect(resolveGenerate({ image: undefined, mask: undefined, offset: undefined, orders: undefined, noise: undefined, preview: true }, D, 16).preview).toBe(true);
  });

  it('checks sizes against the model stride', () => {
    expect(resolveGenerate({ size: 24 }, D, 8).canvas.width).toBe(24);
    expect(() => resolveGenerate({ size: 24 }, D, 16)).toThrow('size must be a positive multiple of 16, got 24');
  });
});

const A: AskDefaults = { size: 64, repetitionPenalty: 1.1 };
const golden = (): Manifest => JSON.parse(readFileSync(new URL('../../models/golden/tiny/package/manifest.json', import.meta.url), 'utf8'));
const WASM = { maxBytes: 2 ** 30, what: "the wasm backend's 1 GiB per tensor" };

describe('resolveAsk', () => {
  it("the engine's and the package's defaults, and the table bounds", () => {
    expect(resolveAsk({}, A, 16)).toEqual({ maxNewTokens: 256, size: 64, repetitionPenalty: 1.1 });
    expect(resolveAsk({ maxNewTokens: 3, size: 128, repetitionPenalty: 1 }, A, 16)).toEqual({ maxNewTokens: 3, size: 128, repetitionPenalty: 1 });
    expect(() => resolveAsk({ maxNewTokens: 0 }, A, 16)).toThrow('maxNewTokens must be an integer from 1 to 2048, got 0');
    expect(() => resolveAsk({ maxNewTokens: 2049 }, A, 16)).toThrow('maxNewTokens must be an integer from 1 to 2048, got 2049');
    expect(() => resolveAsk({ maxTokens: 3 } as never, A, 16)).toThrow('unknown ask option maxTokens (known: maxNewTokens, size, repetitionPenalty)');
    expect(() => resolveAsk({ repetitionPenalty: 0 }, A, 16)).toThrow('repetitionPenalty must be a number in (0, 10], got 0');
    expect(() => resolveAsk({ repetitionPenalty: Number.NaN }, A, 16)).toThrow('repetitionPenalty must be a number in (0, 10], got NaN');
    expect(() => resolveAsk({ size: 72 }, A, 16)).toThrow('size must be a positive multiple of 16, got 72');
    expect(() => resolveAsk({ size: 0 }, A, 16)).toThrow('size must be a positive multiple of 16, got 0');
    expect(resolveAsk({ size: 24 }, A, 8).size).toBe(24);
  });

  it("with the model and the backend, checks that a question's image fits before any work", () => {
    const fit = { config: golden().config, limits: WASM };
    expect(resolveAsk({ size: 128 }, A, 16, fit).size).toBe(128);
    // 2048 positions: a 768² image is 48² = 2304 tokens
    expect(() => resolveAsk({ size: 768 }, A, 16, fit))
      .toThrow(/cannot answer at size 768: .*2304 tokens.*more than the model's 2048.*choose a smaller size/);
    // the prompt around the image counts: 2048 − 32² − buffer leaves room for some prompt, not 2000 tokens
    expect(() => resolveAsk({ size: 512 }, A, 16, { ...fit, promptTokens: 2000 })).toThrow(/cannot answer at size 512: .*positions/);
    expect(() => resolveAsk({ size: 512 }, A, 16, { ...fit, limits: { maxBytes: 2 ** 20, what: 'a 1 MiB test limit' } }))
      .toThrow(/cannot answer at size 512: .*over a 1 MiB test limit/);
  });
});

describe('packageAskDefaults', () => {
  it("reads the manifest's size and penalty; a package without them answers at its generation size, greedy", () => {
    const m = golden();
    expect(packageAskDefaults({ ...m, understanding: undefined })).toEqual({ size: m.config.image_size, repetitionPenalty: 1 });
    expect(packageAskDefaults({ ...m, understanding: { size: 128, repetition_penalty: 1.1, generation_config: {} } }))
      .toEqual({ size: 128, repetitionPenalty: 1.1 });
  });

  it('refuses a bad manifest value at load, naming it', () => {
    const m = golden();
    expect(() => packageAskDefaults({ ...m, understanding: { size: 100, repetition_penalty: 1, generation_config: null } }))
      .toThrow("the package's manifest has a bad default: size must be a positive multiple of 16, got 100");
    expect(() => packageAskDefaults({ ...m, understanding: { size: 64, repetition_penalty: 0, generation_config: null } }))
      .toThrow("the package's manifest has a bad default: repetitionPenalty must be a number in (0, 10], got 0");
  });
});

describe('packageDefaults', () => {
  const manifest = (defaults: object, extra: object = {}) =>
    ({ defaults, config: { image_size: 64, vae: { ch_mult: [1, 1, 2, 2, 4] } }, ...extra }) as unknown as Manifest;

  it('the manifest, else the table fallbacks; the size falls back to the image size', () => {
    expect(packageDefaults(manifest({ steps: 8 }, { diffusion: { default_sampling_steps: 10 } }))).toEqual({
      steps: 8, cfg: 3, cfgSchedule: 'constant', temperature: 1, size: 64, samplingSteps: 10,
    });
  });

  it('a bad default fails the load, naming it', () => {
    expect(() => packageDefaults(manifest({ cfg: 0.5 }))).toThrow("the package's manifest has a bad default: cfg must be a finite number from 1 to 100, got 0.5");
    expect(() => packageDefaults(manifest({ size: 50 }))).toThrow('size must be a positive multiple of 16, got 50');
  });
});
