// One generation shown as it runs, for every panel that generates (Text to image, Edit an image):
// waiting for the engine to start, loading the model first when none is (first touch), then the
// steps with time left and the per-step previews, and what to say when it is stopped or fails.
// Each panel has its own live area (status line, bar, previews) and its own Stop button.

import type { GeneratedImage, GenerateOptions, GenerateResult, ModelDefaults, ModelInfo } from '../engine/api';
import { el } from './dom';
import { errorText, formatEta, formatMs, isAbort } from '../ui/format';
import { drawRgba } from '../ui/images';
import type { ModelPanel } from './models';
import type { AppState } from './state';

/** A setting or an input the loaded model cannot take (shown as is: nothing was generated). */
export class SettingError extends Error {}

/** The elements a live run draws into. */
export interface LiveParts {
  /** shown while running */
  live: HTMLElement;
  status: HTMLElement;
  bar: HTMLProgressElement;
  previews: HTMLElement;
}

export interface LiveResult {
  res: GenerateResult;
  /** the request with the model's defaults filled in (what was generated) */
  used: GenerateOptions & ModelDefaults;
  info: ModelInfo;
}

/** Images smaller than this are shown scaled up with hard pixel edges. */
export const PIXELATED_BELOW = 256;

export class LiveRun {
  /** steps done and in all (0 while the model is still loading) */
  done = 0;
  total = 0;

  constructor(private readonly parts: LiveParts) {}

  /**
   * Generates `prompt` with the options `prepare` makes once the model is known (it may throw a
   * SettingError). Throws on abort (signal) and failure; `explain` says what to tell the user.
   */
  async run(state: AppState, models: Pick<ModelPanel, 'ensureModel'>, prompt: string,
    prepare: (info: ModelInfo) => GenerateOptions, signal: AbortSignal): Promise<LiveResult> {
    const { live, status, bar, previews } = this.parts;
    this.done = 0;
    this.total = 0;
    previews.replaceChildren();
    live.hidden = false;
    bar.removeAttribute('value');
    let t0 = performance.now();
    let finished = false;
    const tick = () => {
      if (!this.total) return; // still loading the model: its progress is shown instead
      const elapsed = performance.now() - t0;
      const what = this.done < this.total ? `Step ${this.done + 1} of ${this.total}` : 'Decoding the image';
      // the first step also runs the prompt through the LLM: the estimate errs long, then settles
      const left = this.done > 0 && this.done < this.total ? ` · ${formatEta(((elapsed / this.done) * (this.total - this.done)) / 1000)}` : '';
      status.textContent = `${what} · ${formatMs(elapsed)}${left}`;
    };
    const timer = setInterval(tick, 250);
    try {
      if (state.starting) {
        status.textContent = 'Waiting for the engine to start…';
        await state.started();
        signal.throwIfAborted();
      }
      status.textContent = state.model ? 'Starting…' : 'Loading the model first…';
      const r = await state.run(state.model ? 'generate' : 'load', async (engine) => {
        const info = await models.ensureModel(engine, {
          signal,
          onView: (v) => {
            status.textContent = `Loading the model: ${v.text}`;
            if (v.fraction === null) bar.removeAttribute('value');
            else bar.value = v.fraction;
          },
        });
        state.phase('generate');
        const options = prepare(info);
        const used = { ...info.defaults, ...options };
        this.total = used.steps;
        bar.max = this.total;
        bar.value = 0;
        t0 = performance.now();
        tick();
        const res = await engine.generate(prompt, options, {
          signal,
          onStep: (e) => {
            // the worker's callbacks come over their own channel: one may land after the result
            if (finished || signal.aborted) return;
            this.done = e.step + 1;
            bar.value = this.done;
            if (e.preview) this.drawPreviews(e.preview, e.step, e.steps);
            tick();
          },
        });
        finished = true;
        return { res, used, info };
      });
      return r;
    } finally {
      clearInterval(timer);
    }
  }

  /** Hides the live area (the result is shown elsewhere now). */
  hide(): void {
    this.parts.live.hidden = true;
  }

  /** What to say about a run that threw: the message (and its kind) and the status line. */
  explain(e: unknown): { text: string; kind: 'error' | 'info'; status: string } {
    const loading = this.total === 0;
    if (isAbort(e)) {
      return loading
        ? { text: 'Stopped before the generation began.', kind: 'info', status: 'Stopped' }
        : { text: `Stopped after ${this.done} of ${this.total} steps.`, kind: 'info', status: `Stopped at step ${this.done} of ${this.total}` };
    }
    const text = e instanceof SettingError || loading ? errorText(e) : `Generation failed: ${errorText(e)}`;
    return { text, kind: 'error', status: 'Failed' };
  }

  private drawPreviews(images: GeneratedImage[], step: number, total: number): void {
    const { previews } = this.parts;
    images.forEach((img, i) => {
      let canvas = previews.children[i] as HTMLCanvasElement | undefined;
      if (!canvas) {
        canvas = el('canvas', { role: 'img', class: 'preview' });
        previews.append(canvas);
      }
      drawRgba(canvas, img);
      canvas.classList.toggle('pixelated', img.width < PIXELATED_BELOW);
      canvas.setAttribute('aria-label', `Preview ${i + 1} of ${images.length}, step ${step + 1} of ${total}`);
      canvas.dataset.step = String(step + 1);
    });
  }
}
