import { describe, expect, it } from 'vitest';
import { ASK_OPTIONS, attributeName, GENERATE_OPTIONS, type OptionSpec, optionRule } from '../engine/options';
import {
  ASK_SETTING_ATTRIBUTES, askOptions, backendAttribute, generateOptions, IMAGE_SETTING_ATTRIBUTES, modelUrlFrom, optionAttribute,
  readEditAttributes, readImageSettings, WidgetInputError,
} from './attributes';

const attrs = (a: Record<string, string>) => (name: string) => (name in a ? a[name] : null);

describe('widget attributes', () => {
  it('reads the settings a <harmon-image> names and leaves the rest to the model', () => {
    const s = readImageSettings(attrs({ steps: '4', cfg: '2.5', 'sampling-steps': ' 10 ', seed: '7', preview: '' }));
    expect(s).toEqual({ steps: 4, cfg: 2.5, cfgSchedule: undefined, temperature: undefined, seed: 7, size: undefined, samplingSteps: 10, preview: true });
    // what the attributes do not name is not in the request at all: the engine applies the package's values
    expect(generateOptions(s)).toStrictEqual({ n: 1, steps: 4, cfg: 2.5, seed: 7, samplingSteps: 10, preview: true });
    expect(generateOptions(readImageSettings(attrs({})))).toStrictEqual({ n: 1, seed: 0, preview: false });
    expect(generateOptions(readImageSettings(attrs({ 'cfg-schedule': 'linear', size: '128', temperature: '0' }))))
      .toStrictEqual({ n: 1, seed: 0, preview: false, cfgSchedule: 'linear', size: 128, temperature: 0 });
  });

  it("reads a <harmon-ask>'s size and repetition-penalty, leaving them to the package when absent", () => {
    expect(ASK_SETTING_ATTRIBUTES).toEqual(['max-tokens', 'size', 'repetition-penalty']);
    expect(askOptions(attrs({}))).toStrictEqual({ maxNewTokens: 128 });
    expect(askOptions(attrs({ 'max-tokens': '8', size: '512', 'repetition-penalty': '1' })))
      .toStrictEqual({ maxNewTokens: 8, size: 512, repetitionPenalty: 1 });
    expect(() => askOptions(attrs({ size: '500' }))).toThrow('the size attribute must be a positive multiple of 16 (got “500”)');
    expect(() => askOptions(attrs({ size: '0' }))).toThrow('the size attribute must be a positive multiple of 16 (got “0”)');
    expect(() => askOptions(attrs({ 'repetition-penalty': '0' }))).toThrow('the repetition-penalty attribute must be a number in (0, 10] (got “0”)');
    expect(() => askOptions(attrs({ 'max-tokens': '0' }))).toThrow('the max-tokens attribute must be an integer from 1 to 2048 (got “0”)');
  });

  it('reads the backend attribute: auto unless it names webgpu or wasm', () => {
    expect(backendAttribute(attrs({}))).toBe('auto');
    expect(backendAttribute(attrs({ backend: '' }))).toBe('auto');
    expect(backendAttribute(attrs({ backend: ' WASM ' }))).toBe('wasm');
    expect(backendAttribute(attrs({ backend: 'webgpu' }))).toBe('webgpu');
    expect(() => backendAttribute(attrs({ backend: 'cpu' }))).toThrow('the backend attribute must be auto, webgpu or wasm (got “cpu”)');
  });

  it('names the attribute whose value is wrong', () => {
    expect(() => readImageSettings(attrs({ steps: 'many' }))).toThrow('the steps attribute must be an integer from 1 to 1024 (got “many”)');
    expect(() => readImageSettings(attrs({ cfg: '0.5' }))).toThrow('the cfg attribute must be a finite number from 1 to 100 (got “0.5”)');
    expect(() => readImageSettings(attrs({ 'sampling-steps': '2.5' }))).toThrow('the sampling-steps attribute must be an integer from 2 to 1000 (got “2.5”)');
    expect(() => readImageSettings(attrs({ 'cfg-schedule': 'cosine' }))).toThrow(WidgetInputError);
    expect(() => readImageSettings(attrs({ preset: 'slow' }))).toThrow('the preset attribute must be default or fast (got “slow”)');
    expect(() => readImageSettings(attrs({ preset: 'fast', 'sampling-steps': '20' }))).toThrow('preset="fast" sets the sampling steps per MAR step (50 → 5): leave out the sampling-steps attribute (got 20)');
  });

  it('passes preset="fast" on to the engine (and nothing when absent)', () => {
    expect(generateOptions(readImageSettings(attrs({ preset: ' Fast ', steps: '8' }))))
      .toStrictEqual({ n: 1, seed: 0, preview: false, steps: 8, preset: 'fast' });
    expect(generateOptions(readImageSettings(attrs({ preset: '' })))).toStrictEqual({ n: 1, seed: 0, preview: false });
    expect(readImageSettings(attrs({ preset: 'default', 'sampling-steps': '20' }))).toMatchObject({ preset: 'default', samplingSteps: 20 });
  });

  it('resolves the model attribute against the page, and falls back to the embedded default', () => {
    const base = 'https://example.org/blog/post.html';
    expect(modelUrlFrom(attrs({ model: 'models/pkg' }), base, 'https://cdn/x/')).toBe('https://example.org/blog/models/pkg/');
    expect(modelUrlFrom(attrs({ model: 'https://huggingface.co/u/r/tree/main/p' }), base, '')).toBe('https://huggingface.co/u/r/resolve/main/p/');
    expect(modelUrlFrom(attrs({}), base, 'https://cdn/x/models/default/')).toBe('https://cdn/x/models/default/');
    expect(() => modelUrlFrom(attrs({ model: 'ftp://host/pkg' }), base, '')).toThrow(/the model attribute: .*not an http\(s\) URL/);
  });

  it('reads an edit: src and mask resolved against the page, strength, keep-pixels on unless "false"', () => {
    const base = 'https://example.org/blog/post.html';
    expect(readEditAttributes(attrs({}), base)).toEqual({ src: undefined, mask: undefined, strength: undefined, keepPixels: true });
    expect(readEditAttributes(attrs({ src: 'photo.png', mask: '/m/mask.png' }), base))
      .toEqual({ src: 'https://example.org/blog/photo.png', mask: 'https://example.org/m/mask.png', strength: undefined, keepPixels: true });
    expect(readEditAttributes(attrs({ src: 'a.png', strength: '0.3', 'keep-pixels': 'false' }), base))
      .toMatchObject({ strength: 0.3, keepPixels: false });
    expect(() => readEditAttributes(attrs({ mask: 'm.png' }), base)).toThrow(/the mask attribute needs a src image/);
    expect(() => readEditAttributes(attrs({ strength: '0.5' }), base)).toThrow(/the strength attribute needs a src image/);
    expect(() => readEditAttributes(attrs({ src: 'a.png' }), base)).toThrow(/give a mask .* or a strength/);
    expect(() => readEditAttributes(attrs({ src: 'a.png', strength: '0' }), base)).toThrow('the strength attribute must be a number in (0, 1] (got “0”)');
    expect(() => readEditAttributes(attrs({ src: 'a.png', strength: '1.5' }), base)).toThrow('the strength attribute must be a number in (0, 1] (got “1.5”)');
    expect(() => readEditAttributes(attrs({ src: 'a.png', strength: '1', 'keep-pixels': 'yes' }), base)).toThrow(WidgetInputError);
  });

  it('every table option with an attribute round-trips; a bad value says the table\'s rule', () => {
    const sample = (o: OptionSpec): [string, unknown] => {
      if (o.type === 'int') return o.stride ? ['48', 48] : [String(o.max ?? -7), o.max ?? -7];
      if (o.type === 'number') return [String(o.max), o.max];
      if (o.type === 'enum') return [o.values[o.values.length - 1], o.values[o.values.length - 1]];
      return ['true', true];
    };
    const options = [...GENERATE_OPTIONS, ...ASK_OPTIONS].filter((o) => attributeName(o) !== undefined && o.type !== 'bool');
    expect(options.map((o) => attributeName(o))).toEqual(expect.arrayContaining(['steps', 'cfg-schedule', 'sampling-steps', 'max-tokens', 'strength']));
    for (const o of options) {
      const name = attributeName(o)!;
      const [raw, value] = sample(o);
      expect([name, optionAttribute(attrs({ [name]: ` ${raw} ` }), o)]).toEqual([name, value]);
      expect(optionAttribute(attrs({ [name]: '' }), o)).toBeUndefined();
      expect(() => optionAttribute(attrs({ [name]: 'bad' }), o)).toThrow(`the ${name} attribute must be ${optionRule(o)} (got “bad”)`);
    }
    // a <harmon-image> watches exactly its settings' attributes
    expect([...IMAGE_SETTING_ATTRIBUTES].sort()).toEqual(['cfg', 'cfg-schedule', 'preset', 'sampling-steps', 'seed', 'size', 'steps', 'temperature']);
  });
});
