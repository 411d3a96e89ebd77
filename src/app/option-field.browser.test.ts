// The demo's settings fields made from the engine's options table, on real DOM inputs.
import { describe, expect, it } from 'vitest';
import { askOption, generateOption } from '../engine/options';
import { optionField } from './option-field';

function labelled<T extends HTMLInputElement | HTMLSelectElement>(input: T, label: string): T {
  const id = `f${Math.random().toString(36).slice(2)}`;
  input.id = id;
  const l = document.createElement('label');
  l.htmlFor = id;
  l.textContent = label;
  document.body.append(l, input);
  return input;
}

const numberInput = (label: string) => labelled(Object.assign(document.createElement('input'), { type: 'number' }), label);

describe('optionField', () => {
  it('puts the table bounds on the input and reads with its rule after the label', () => {
    const f = optionField(numberInput('Sampling steps'), generateOption('samplingSteps'));
    const input = f.input as HTMLInputElement;
    expect([input.min, input.max, input.step, input.value]).toEqual(['2', '1000', '1', '']);
    expect(f.read()).toBeUndefined();
    input.value = '50';
    expect(f.read()).toBe(50);
    input.value = '1';
    expect(() => f.read()).toThrow('Sampling steps must be an integer from 2 to 1000 (got “1”).');
  });

  it('starting values: the engine default, or the page default where the table names one', () => {
    expect((optionField(numberInput('Images per prompt'), generateOption('n')).input as HTMLInputElement).value).toBe('1');
    expect((optionField(numberInput('Seed'), generateOption('seed')).input as HTMLInputElement).value).toBe('0');
    expect((optionField(numberInput('Max answer tokens'), askOption('maxNewTokens')).input as HTMLInputElement).value).toBe('128');
  });

  it('sizes: multiples of the stride, checked at a loaded model\'s own', () => {
    const f = optionField(numberInput('Size (px)'), generateOption('size'));
    const input = f.input as HTMLInputElement;
    expect([input.min, input.step]).toEqual(['16', '16']);
    input.value = '24';
    expect(() => f.read()).toThrow('Size (px) must be a positive multiple of 16 (got “24”).');
    expect(f.read(8)).toBe(24);
  });

  it('a select gets the enum values after its "model\'s" choice', () => {
    const select = labelled(document.createElement('select'), 'CFG schedule');
    select.append(new Option('model’s', ''));
    const f = optionField(select, generateOption('cfgSchedule'));
    expect(Array.from(select.options).map((o) => o.value)).toEqual(['', 'constant', 'linear']);
    select.value = 'linear';
    expect(f.read()).toBe('linear');
  });
});
