// Text to image: the prompt, the settings, the image drawn step by step (live-run.ts), Stop, and
// the result into the history (history.ts). The settings are shared with Edit an image (edit.ts).
//
// The settings the user has not set are left out of the request: the engine gives them the loaded
// package's own values (ModelInfo.defaults), which the inputs show once a model is loaded. Generate
// with no model loaded first loads the selected one (first touch), inside the same job.

import type { GenerateOptions, ModelInfo } from '../engine/api';
import { vaeStride } from '../engine/limits';
import { generateOption, kebab, optionValid } from '../engine/options';
import { byId, say } from './dom';
import { errorText, formatMs } from '../ui/format';
import type { History } from './history';
import { LiveRun, SettingError } from './live-run';
import { optionField } from './option-field';
import type { ModelPanel } from './models';
import { describe, type AppState } from './state';

export interface GeneratePanel {
  /** The settings as a request (what the user set; the model fills in the rest); throws a readable
   * error for a bad value. */
  settings(): GenerateOptions;
  /** After a run: the next seed, when "New seed each run" is on. */
  ranWith(seed: number): void;
}

export function setupGeneratePanel(state: AppState, models: Pick<ModelPanel, 'ensureModel'>, history: History): GeneratePanel {
  const form = byId<HTMLFormElement>('gen-form');
  const prompt = byId<HTMLTextAreaElement>('prompt');
  const seed = byId<HTMLInputElement>('seed');
  const newSeed = byId<HTMLInputElement>('seed-advance');
  const samplingSteps = byId<HTMLInputElement>('sampling-steps');
  const fast = byId<HTMLInputElement>('fast');
  const showSteps = byId<HTMLInputElement>('preview');
  const generateBtn = byId<HTMLButtonElement>('generate');
  const stopBtn = byId<HTMLButtonElement>('stop');
  const message = byId('gen-message');
  const parts = { live: byId('gen-live'), status: byId('gen-status'), bar: byId<HTMLProgressElement>('gen-bar'), previews: byId('previews') };
  let controller: AbortController | null = null;

  // one field per engine option, its id the option's kebab-case name (bounds and messages: the table)
  const field = (key: Parameters<typeof generateOption>[0]) => optionField(byId(kebab(key)), generateOption(key));
  // the model's settings: left to the model until the user changes them (an emptied one too)
  const modelSettings = (['steps', 'cfg', 'cfgSchedule', 'temperature', 'size', 'samplingSteps'] as const).map(field);
  // the page's own settings, always sent
  const pageSettings = (['seed', 'n'] as const).map(field);
  const touched = new Set<HTMLElement>();
  for (const { input } of modelSettings) {
    input.addEventListener('input', () => {
      if (input.value.trim() === '') touched.delete(input);
      else touched.add(input);
    });
  }

  // while Fast is on, the sampling-steps field does not apply: show that rather than ignore it
  fast.addEventListener('change', () => { samplingSteps.disabled = fast.checked; });
  samplingSteps.disabled = fast.checked;

  /** The request: what the user set; throws a readable error for a bad value. */
  function readOptions(): GenerateOptions {
    const o: Record<string, unknown> = { preview: showSteps.checked };
    // the fast preset chooses the sampling steps per MAR step (the engine refuses both together)
    if (fast.checked) o.preset = 'fast';
    for (const f of modelSettings) {
      if (touched.has(f.input) && !(fast.checked && f.option.key === 'samplingSteps')) o[f.option.key] = f.read();
    }
    for (const f of pageSettings) {
      o[f.option.key] = f.read();
      if (o[f.option.key] === undefined) throw f.refuse('');
    }
    for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
    return o as GenerateOptions;
  }

  /** The image side must be a multiple of the loaded model's VAE stride. */
  const sizeField = modelSettings.find((f) => f.option.key === 'size')!;
  function checkSize(o: GenerateOptions, info: ModelInfo): void {
    const stride = vaeStride(info.config);
    if (o.size !== undefined && !optionValid(sizeField.option, o.size, stride)) throw new SettingError(sizeField.refuse(String(o.size), stride).message);
  }

  async function generate(): Promise<void> {
    const text = prompt.value.trim();
    if (!text) {
      say(message, 'Enter a prompt first: describe the image you want.');
      prompt.focus();
      return;
    }
    // an engine still starting is waited for; any other job is not
    if (state.busy && state.busy !== 'engine') return say(message, `Wait until the current ${describe(state.busy)} finishes.`);
    let options: GenerateOptions;
    try {
      options = readOptions();
    } catch (e) {
      return say(message, errorText(e));
    }
    say(message, '');
    const ctl = new AbortController();
    controller = ctl;
    render();
    const run = new LiveRun(parts);
    try {
      const r = await run.run(state, models, text, (info) => {
        checkSize(options, info);
        return options;
      }, ctl.signal);
      await history.add({ prompt: text, options: r.used, images: r.res.images, ms: r.res.ms });
      run.hide();
      const n = r.res.images.length;
      say(message, `Done: ${n === 1 ? '1 image' : `${n} images`} in ${formatMs(r.res.ms)}.`, 'ok');
      ranWith(r.used.seed ?? 0);
    } catch (e) {
      const why = run.explain(e);
      say(message, why.text, why.kind);
      parts.status.textContent = why.status;
    } finally {
      controller = null;
      render();
    }
  }

  function ranWith(used: number): void {
    if (newSeed.checked) seed.value = String((used + 1) % 2 ** 31);
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void generate();
  });
  prompt.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  stopBtn.addEventListener('click', () => controller?.abort());

  function render(): void {
    const running = controller !== null;
    // pressed while the engine starts, Generate waits for it (first touch right after opening the page)
    generateBtn.disabled = (state.busy !== null && state.busy !== 'engine') || running;
    stopBtn.disabled = !running;
    generateBtn.textContent = running ? 'Generating…' : 'Generate';
    form.setAttribute('aria-busy', String(running));
  }
  state.subscribe(render);

  // a loaded model's own settings fill the inputs the user has not set (what the engine will use)
  let shown: ModelInfo | null = null;
  state.subscribe(() => {
    if (!state.model || state.model === shown) return;
    shown = state.model;
    const d = state.model.defaults;
    (sizeField.input as HTMLInputElement).step = String(vaeStride(state.model.config));
    for (const { input, option } of modelSettings) {
      if (option.default.from === 'package' && !touched.has(input)) input.value = String(d[option.default.key]);
    }
  });

  return {
    settings: readOptions,
    ranWith,
  };
}
