import { describe, expect, it } from 'vitest';
import type { ModelDefaults } from './api';
import type { Manifest } from './package';
import { packageDefaults, resolveAsk, resolveGenerate } from './resolve';

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

describe('resolveAsk', () => {
  it('the engine default, and the table bounds', () => {
    expect(resolveAsk({})).toEqual({ maxNewTokens: 256 });
    expect(resolveAsk({ maxNewTokens: 3 })).toEqual({ maxNewTokens: 3 });
    expect(() => resolveAsk({ maxNewTokens: 0 })).toThrow('maxNewTokens must be an integer from 1 to 2048, got 0');
    expect(() => resolveAsk({ maxNewTokens: 2049 })).toThrow('maxNewTokens must be an integer from 1 to 2048, got 2049');
    expect(() => resolveAsk({ maxTokens: 3 } as never)).toThrow('unknown ask option maxTokens (known: maxNewTokens)');
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
