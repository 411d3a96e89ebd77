import { describe, expect, it } from 'vitest';
import { generateOptions, modelUrlFrom, readImageSettings, WidgetInputError } from './attributes';

const attrs = (a: Record<string, string>) => (name: string) => (name in a ? a[name] : null);

describe('widget attributes', () => {
  it('reads the settings a <harmon-image> names and leaves the rest to the model', () => {
    const s = readImageSettings(attrs({ steps: '4', cfg: '2.5', 'sampling-steps': ' 10 ', seed: '7', preview: '' }));
    expect(s).toEqual({ steps: 4, cfg: 2.5, cfgSchedule: undefined, temperature: undefined, seed: 7, size: undefined, samplingSteps: 10, preview: true });
    const defaults = { steps: 16, cfg: 3, cfg_schedule: 'linear' as const, temperature: 0.9, size: 64, sampling_steps: 25 };
    expect(generateOptions(s, defaults, 256)).toEqual({
      n: 1, steps: 4, cfg: 2.5, cfgSchedule: 'linear', temperature: 0.9, seed: 7, size: 64, samplingSteps: 10, preview: true,
    });
    // no defaults in the manifest: the model's image size, the engine's own defaults for the rest
    expect(generateOptions(readImageSettings(attrs({})), {}, 256)).toEqual({
      n: 1, steps: undefined, cfg: undefined, cfgSchedule: undefined, temperature: undefined, seed: 0, size: 256, samplingSteps: undefined, preview: false,
    });
  });

  it('names the attribute whose value is wrong', () => {
    expect(() => readImageSettings(attrs({ steps: 'many' }))).toThrow(/the steps attribute must be a whole number from 1 to 1024 \(got “many”\)/);
    expect(() => readImageSettings(attrs({ cfg: '0.5' }))).toThrow(/the cfg attribute must be a number from 1 to 100/);
    expect(() => readImageSettings(attrs({ 'sampling-steps': '2.5' }))).toThrow(/sampling-steps attribute must be a whole number/);
    expect(() => readImageSettings(attrs({ 'cfg-schedule': 'cosine' }))).toThrow(WidgetInputError);
  });

  it('resolves the model attribute against the page, and falls back to the embedded default', () => {
    const base = 'https://example.org/blog/post.html';
    expect(modelUrlFrom(attrs({ model: 'models/pkg' }), base, 'https://cdn/x/')).toBe('https://example.org/blog/models/pkg/');
    expect(modelUrlFrom(attrs({ model: 'https://huggingface.co/u/r/tree/main/p' }), base, '')).toBe('https://huggingface.co/u/r/resolve/main/p/');
    expect(modelUrlFrom(attrs({}), base, 'https://cdn/x/models/default/')).toBe('https://cdn/x/models/default/');
    expect(() => modelUrlFrom(attrs({ model: 'ftp://host/pkg' }), base, '')).toThrow(/the model attribute: .*not an http\(s\) URL/);
  });
});
