// Text to image: the prompt, the settings, the image drawn step by step (live-run.ts), Stop, and
// the result into the history (history.ts). The settings are shared with Edit an image (edit.ts).
//
// The settings the user has not set are left out of the request: the engine gives them the loaded
// package's own values (ModelInfo.defaults), which the inputs show once a model is loaded. Generate
// with no model loaded first loads the selected one (first touch), inside the same job.

import type { GenerateOptions, ModelInfo } from '../engine/api';
import { byId, numberFrom, say } from './dom';
import { errorText, formatMs } from '../ui/format';
import type { History } from './history';
import { LiveRun, SettingError } from './live-run';
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
  const steps = byId<HTMLInputElement>('steps');
  const cfg = byId<HTMLInputElement>('cfg');
  const schedule = byId<HTMLSelectElement>('cfg-schedule');
  const temperature = byId<HTMLInputElement>('temperature');
  const seed = byId<HTMLInputElement>('seed');
  const newSeed = byId<HTMLInputElement>('seed-advance');
  const size = byId<HTMLInputElement>('size');
  const samplingSteps = byId<HTMLInputElement>('sampling-steps');
  const fast = byId<HTMLInputElement>('fast');
  const count = byId<HTMLInputElement>('n');
  const showSteps = byId<HTMLInputElement>('preview');
  const generateBtn = byId<HTMLButtonElement>('generate');
  const stopBtn = byId<HTMLButtonElement>('stop');
  const message = byId('gen-message');
  const parts = { live: byId('gen-live'), status: byId('gen-status'), bar: byId<HTMLProgressElement>('gen-bar'), previews: byId('previews') };
  let controller: AbortController | null = null;

  // the model's settings the user changed; the others are left to the model (an emptied one too)
  const modelSettings = [steps, cfg, schedule, temperature, size, samplingSteps];
  const touched = new Set<HTMLElement>();
  for (const input of modelSettings) {
    input.addEventListener('input', () => {
      if (input.value.trim() === '') touched.delete(input);
      else touched.add(input);
    });
  }

  // while Fast is on, the sampling-steps field does not apply: show that rather than ignore it
  fast.addEventListener('change', () => { samplingSteps.disabled = fast.checked; });
  samplingSteps.disabled = fast.checked;

  const set = (input: HTMLInputElement, what: string, rule: Parameters<typeof numberFrom>[2]) =>
    touched.has(input) ? numberFrom(input, what, rule) : undefined;

  /** The request: what the user set; throws a readable error for a bad value. */
  function readOptions(): GenerateOptions {
    const o: GenerateOptions = {
      steps: set(steps, 'Steps', { integer: true, min: 1, max: 1024 }),
      cfg: set(cfg, 'CFG', { min: 1, max: 100 }),
      cfgSchedule: touched.has(schedule) ? (schedule.value === 'linear' ? 'linear' : 'constant') : undefined,
      temperature: set(temperature, 'Temperature', { min: 0, max: 10 }),
      size: set(size, 'Size', { integer: true, min: 16, max: 2048 }),
      // the fast preset chooses the sampling steps per MAR step (the engine refuses both together)
      samplingSteps: fast.checked ? undefined : set(samplingSteps, 'Sampling steps', { integer: true, min: 2, max: 1000 }),
      preset: fast.checked ? 'fast' : undefined,
      seed: numberFrom(seed, 'Seed', { integer: true, min: 0, max: 2 ** 31 - 1 }),
      n: numberFrom(count, 'Images per prompt', { integer: true, min: 1, max: 16 }),
      preview: showSteps.checked,
    };
    for (const k of Object.keys(o) as (keyof GenerateOptions)[]) if (o[k] === undefined) delete o[k];
    return o;
  }

  /** The image side must be a multiple of the model's VAE stride. */
  function checkSize(o: GenerateOptions, info: ModelInfo): void {
    const stride = 2 ** (info.config.vae.ch_mult.length - 1);
    if (o.size !== undefined && o.size % stride) throw new SettingError(`Size must be a multiple of ${stride} (got ${o.size}).`);
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
    const fill = (input: HTMLInputElement | HTMLSelectElement, v: number | string) => {
      if (!touched.has(input)) input.value = String(v);
    };
    size.step = String(2 ** (state.model.config.vae.ch_mult.length - 1));
    fill(size, d.size);
    fill(steps, d.steps);
    fill(cfg, d.cfg);
    fill(schedule, d.cfgSchedule);
    fill(temperature, d.temperature);
    fill(samplingSteps, d.samplingSteps);
  });

  return {
    settings: readOptions,
    ranWith,
  };
}
