// The corpus (corpus.ts) on the two surfaces a person uses: the demo page and the widget. For each
// case: how that surface's own UI expresses it (a box typed into, a settings field, a file input, the
// model URL field; an attribute or the element's property) and the message it must show, or why
// the surface cannot express it at all ("not applicable": a text box cannot hold the number 42).
// The e2e tests (e2e/corpus-demo.e2e.ts, e2e/corpus-widget.e2e.ts) drive the built page and widget
// by these plans.
//
// The expected message is the corpus's own pattern (the engine's message reaches the user as is,
// after the page's "Could not …:" lead), except where the surface checks first: an empty prompt or
// question (the page's own hint), and a setting, whose message names the field's label or the
// attribute where the engine names its key ("Sampling steps must be …", "the sampling-steps
// attribute must be …": the rule after "must be" is the corpus's).

import { type Case, CORPUS } from './corpus';

export type UiSurface = 'demo' | 'widget';
export const UI_SURFACES: readonly UiSurface[] = ['demo', 'widget'];

/** How a case is expressed on a surface, and what it must show; or why it cannot be. */
export type UiPlan =
  | { na: string }
  | {
    /** what the user (or the page's author) does, in words, for the results */
    via: string;
    expect: 'ok' | RegExp;
    /** a setting: the field (demo: its id) or attribute, and the value typed */
    setting?: { name: string; raw: string };
    /** the widget's empty prompt or question: the element stays idle; its generate()/ask() says why */
    call?: true;
  };

/** The demo's settings fields: option → [the input's id, its label]. */
const DEMO_FIELDS: Record<string, [string, string]> = {
  steps: ['steps', 'Steps'], n: ['n', 'Images per prompt'], cfg: ['cfg', 'CFG'], temperature: ['temperature', 'Temperature'],
  samplingSteps: ['sampling-steps', 'Sampling steps'], seed: ['seed', 'Seed'], size: ['size', 'Size (px)'],
  maxNewTokens: ['max-tokens', 'Max answer tokens'],
};

/** The widget's attributes: option → attribute (options.ts's attribute names; n, width and height have none). */
const WIDGET_ATTRIBUTES: Record<string, string> = {
  steps: 'steps', cfg: 'cfg', temperature: 'temperature', samplingSteps: 'sampling-steps', seed: 'seed', size: 'size',
  cfgSchedule: 'cfg-schedule', maxNewTokens: 'max-tokens',
};

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The corpus's rule pattern (after "must be") said after the surface's name for the option. */
function ruleAfter(name: string, pattern: RegExp): RegExp {
  const i = pattern.source.indexOf(' must be ');
  if (i < 0) return pattern;
  return new RegExp(`${escape(name)} must be ${pattern.source.slice(i + ' must be '.length)}`);
}

/** The one option a setting case tests (the probe's own steps/samplingSteps aside). */
function testedOption(c: Case): [string, unknown] | undefined {
  if (c.kind !== 'generate' && c.kind !== 'ask') return undefined;
  if (c.group === 'setting') {
    const opts = c.options ?? {};
    // the case's id is setting-OPTION-VALUE (corpus.ts)
    const key = Object.keys(opts).find((k) => c.id.startsWith(`setting-${k.toLowerCase()}-`));
    return key === undefined ? undefined : [key, opts[key]];
  }
  const [key] = Object.keys(c.options ?? {});
  return key === undefined ? undefined : [key, c.options![key]];
}

const raw = (v: unknown) => String(v);

export function demoPlan(c: Case): UiPlan {
  switch (c.kind) {
    case 'generate': {
      if (typeof c.prompt !== 'string') return { na: 'the Prompt box holds text: a number or null cannot be typed into it' };
      const tested = testedOption(c);
      if (!tested) {
        if (!c.prompt.trim()) return { via: 'typed into Prompt, Generate pressed', expect: /^Enter a prompt first/ };
        return { via: 'typed into Prompt, Generate pressed', expect: c.expect };
      }
      const [key, value] = tested;
      if (key === 'width') return { na: 'the page has one Size field (a square canvas): no width or height can be set' };
      if (key === 'cfgSchedule') return { na: 'CFG schedule is a list of the table’s values (constant, linear): “cubic” cannot be chosen' };
      const field = DEMO_FIELDS[key];
      if (!field) return { na: `the form has a field per option: a misspelt option (${key}) cannot be sent` };
      if (typeof value === 'number' && Number.isNaN(value)) {
        return { na: `the ${field[1]} field is a number field, which takes no letters: “NaN” typed leaves it empty, and an empty setting is the model’s own value` };
      }
      return { via: `${raw(value)} typed into ${field[1]}, Generate pressed`, expect: c.expect === 'ok' ? 'ok' : ruleAfter(field[1], c.expect),
        setting: { name: field[0], raw: raw(value) } };
    }
    case 'ask': {
      if (c.image !== undefined) return { na: 'the page decodes the chosen file itself and hands the engine whole pixels (bad files are the image cases)' };
      if (typeof c.question !== 'string') return { na: 'the Question box holds text: an object cannot be typed into it' };
      const tested = testedOption(c);
      if (tested) {
        const field = DEMO_FIELDS[tested[0]];
        if (!field) return { na: `the chat has a field per option: a misspelt option (${tested[0]}) cannot be sent` };
        return { via: `${raw(tested[1])} typed into ${field[1]}, Ask pressed`, expect: c.expect === 'ok' ? 'ok' : ruleAfter(field[1], c.expect),
          setting: { name: field[0], raw: raw(tested[1]) } };
      }
      if (!c.question.trim()) return { via: 'typed into Question, Ask pressed', expect: /^Type a question about the image first/ };
      return { via: 'typed into Question, Ask pressed', expect: c.expect };
    }
    case 'image':
      return { via: 'chosen in the chat’s file input', expect: c.expect };
    case 'package':
      return { via: 'typed into Model URL, Load model pressed', expect: c.expect };
  }
}

export function widgetPlan(c: Case): UiPlan {
  switch (c.kind) {
    case 'generate': {
      if (typeof c.prompt !== 'string') return { na: 'an attribute is text: the prompt cannot be a number or null' };
      const tested = testedOption(c);
      if (!tested) {
        if (!c.prompt.trim()) {
          return { via: 'the prompt attribute; the element stays idle, and its generate() (a page’s own button) says why',
            expect: /the prompt attribute is empty/, call: true };
        }
        return { via: 'the prompt attribute of <harmon-image>', expect: c.expect };
      }
      const [key, value] = tested;
      if (key === 'n' || key === 'width') return { na: `<harmon-image> draws one square image: it has no ${key === 'n' ? 'n' : 'width or height'} attribute` };
      const attribute = WIDGET_ATTRIBUTES[key];
      if (!attribute) {
        return { na: `an attribute the widget does not know (${key}) is an ordinary HTML attribute, like class or data-*: ignored, not an error` };
      }
      return { via: `${attribute}="${raw(value)}" on <harmon-image>`, expect: c.expect === 'ok' ? 'ok' : ruleAfter(`the ${attribute} attribute`, c.expect),
        setting: { name: attribute, raw: raw(value) } };
    }
    case 'ask': {
      if (typeof c.question !== 'string') return { na: 'an attribute is text: the question cannot be an object' };
      if (c.image !== undefined) return { via: 'the image property of <harmon-ask> (a page script’s pixels)', expect: c.expect };
      const tested = testedOption(c);
      if (tested) {
        const attribute = WIDGET_ATTRIBUTES[tested[0]];
        if (!attribute) {
          return { na: `an attribute the widget does not know (${tested[0]}) is an ordinary HTML attribute, like class or data-*: ignored, not an error` };
        }
        return { via: `${attribute}="${raw(tested[1])}" on <harmon-ask>`,
          expect: c.expect === 'ok' ? 'ok' : ruleAfter(`the ${attribute} attribute`, c.expect), setting: { name: attribute, raw: raw(tested[1]) } };
      }
      if (!c.question.trim()) {
        return { via: 'the question attribute; the element stays idle, and its ask() (a page’s own button) says why',
          expect: /the question attribute is empty/, call: true };
      }
      return { via: 'the question attribute of <harmon-ask>', expect: c.expect };
    }
    case 'image':
      return { via: 'the src attribute of <harmon-ask> (the file served beside the widget)', expect: c.expect };
    case 'package':
      return { via: 'the model attribute of <harmon-image>', expect: c.expect };
  }
}

export const planFor = (surface: UiSurface, c: Case): UiPlan => (surface === 'demo' ? demoPlan(c) : widgetPlan(c));

/** Every corpus case with its plan on `surface`, in corpus order. */
export function uiCases(surface: UiSurface): { c: Case; plan: UiPlan }[] {
  return CORPUS.map((c) => ({ c, plan: planFor(surface, c) }));
}

/** A case's outcome on a surface: a CaseResult, or (with `na`) why it does not apply and, where
 * the e2e could see it, what the UI does instead (`got`). */
export interface UiResult {
  id: string;
  /** the expected message (or success) shown; false for a case that does not apply */
  pass: boolean;
  /** the text the UI showed ('ok' for success) */
  got: string;
  /** how the case was expressed */
  via?: string;
  /** why the surface cannot express the case */
  na?: string;
  /** the next valid request through the same UI succeeded (refused cases) */
  usableAfter?: boolean;
}
