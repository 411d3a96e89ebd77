// The demo's settings fields of engine options: their bounds, enum choices and starting values come
// from the engine's options table (src/engine/options.ts), and a bad value is refused with the
// table's rule after the field's own label ("Sampling steps must be an integer from 2 to 1000").

import { STRIDE } from '../engine/limits';
import { type OptionSpec, optionRule, parseOption } from '../engine/options';

export interface OptionField {
  readonly input: HTMLInputElement | HTMLSelectElement;
  readonly option: OptionSpec;
  /** the field's label on the page */
  readonly label: string;
  /** the value, or undefined when the field is empty; throws a readable Error for a bad one */
  read(stride?: number): number | string | boolean | undefined;
  /** the message for a value that breaks the rule at `stride` (a loaded model's own) */
  refuse(raw: string, stride?: number): Error;
}

/** Sets up `input` (a number input, or a select whose first option is "the model's") for option `o`. */
export function optionField(input: HTMLInputElement | HTMLSelectElement, o: OptionSpec): OptionField {
  const label = (input.labels?.[0]?.textContent ?? o.key).trim();
  if (input instanceof HTMLSelectElement && o.type === 'enum') {
    // keep the page's first choice (empty: the model's), then one per table value
    const keep = Array.from(input.options).filter((opt) => opt.value === '');
    input.replaceChildren(...keep, ...o.values.map((v) => new Option(v, v)));
  } else if (input instanceof HTMLInputElement && (o.type === 'int' || o.type === 'number')) {
    if (o.type === 'int' && o.stride) {
      input.min = String(STRIDE);
      input.step = String(STRIDE);
    } else {
      if (o.min !== undefined) input.min = String(o.min);
      if (o.max !== undefined) input.max = String(o.max);
      if (o.type === 'int') input.step = '1';
    }
    const start = o.pageDefault ?? (o.default.from === 'engine' ? o.default.value : undefined);
    if (input.value === '' && start !== undefined) input.value = String(start);
  }
  const refuse = (raw: string, stride = STRIDE) =>
    new Error(`${label} must be ${optionRule(o, stride)}${raw === '' ? '' : ` (got “${raw}”)`}.`);
  return {
    input, option: o, label, refuse,
    read(stride = STRIDE) {
      const raw = input.value.trim();
      if (raw === '') return undefined;
      const v = parseOption(o, raw, stride);
      if (v === undefined) throw refuse(raw, stride);
      return v;
    },
  };
}
