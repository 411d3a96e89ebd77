// Text to image: the prompt, the settings, the image drawn step by step (per-step previews into
// canvases), Stop, timing, PNG download and the history of results. Every finished image is an
// <img> whose alt text is its prompt.

import type { GeneratedImage, GenerateOptions, ModelInfo } from '../engine/api';
import { byId, el, numberFrom, say } from './dom';
import { errorText, formatEta, formatMs, isAbort } from './format';
import { drawRgba, pngName, toPng } from './images';
import { describe, type AppState, type ModelDefaults } from './state';

export interface HistoryItem {
  prompt: string;
  options: GenerateOptions;
  images: GeneratedImage[];
  ms: number;
}

export interface GeneratePanel {
  applyDefaults(info: ModelInfo, d: ModelDefaults): void;
}

/** `askAbout`: hands a finished image to the image chat. */
export function setupGeneratePanel(state: AppState, askAbout: (img: GeneratedImage, label: string) => void): GeneratePanel {
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
  const count = byId<HTMLInputElement>('n');
  const showSteps = byId<HTMLInputElement>('preview');
  const generateBtn = byId<HTMLButtonElement>('generate');
  const stopBtn = byId<HTMLButtonElement>('stop');
  const message = byId('gen-message');
  const live = byId('gen-live');
  const status = byId('gen-status');
  const bar = byId<HTMLProgressElement>('gen-bar');
  const previews = byId('previews');
  const history = byId('history');
  const clearBtn = byId<HTMLButtonElement>('clear-history');
  let controller: AbortController | null = null;
  let resultNo = 0;
  const urls: string[] = [];

  function stride(): number {
    return state.model ? 2 ** (state.model.config.vae.ch_mult.length - 1) : 16;
  }

  function readOptions(): GenerateOptions {
    const stepOf = stride();
    const s = numberFrom(size, 'Size', { integer: true, min: stepOf, max: 2048 });
    if (s % stepOf) throw new Error(`Size must be a multiple of ${stepOf} (got ${s}).`);
    return {
      steps: numberFrom(steps, 'Steps', { integer: true, min: 1, max: 1024 }),
      cfg: numberFrom(cfg, 'CFG', { min: 1, max: 100 }),
      cfgSchedule: schedule.value === 'linear' ? 'linear' : 'constant',
      temperature: numberFrom(temperature, 'Temperature', { min: 0, max: 10 }),
      seed: numberFrom(seed, 'Seed', { integer: true, min: 0, max: 2 ** 31 - 1 }),
      size: s,
      samplingSteps: numberFrom(samplingSteps, 'Sampling steps', { integer: true, min: 2, max: 1000 }),
      n: numberFrom(count, 'Images per prompt', { integer: true, min: 1, max: 16 }),
      preview: showSteps.checked,
    };
  }

  function drawPreviews(images: GeneratedImage[], step: number, total: number): void {
    images.forEach((img, i) => {
      let canvas = previews.children[i] as HTMLCanvasElement | undefined;
      if (!canvas) {
        canvas = el('canvas', { role: 'img', class: 'preview' });
        previews.append(canvas);
      }
      drawRgba(canvas, img);
      canvas.classList.toggle('pixelated', img.width < 256);
      canvas.setAttribute('aria-label', `Preview ${i + 1} of ${images.length}, step ${step + 1} of ${total}`);
      canvas.dataset.step = String(step + 1);
    });
  }

  async function addResult(item: HistoryItem): Promise<void> {
    const no = ++resultNo;
    const o = item.options;
    const n = item.images.length;
    const figures = await Promise.all(item.images.map(async (img, i) => {
      const url = URL.createObjectURL(await toPng(img));
      urls.push(url);
      const image = el('img', { src: url, alt: item.prompt, width: img.width, height: img.height, class: img.width < 256 ? 'pixelated' : undefined });
      const download = el('a', { href: url, download: pngName(item.prompt, o.seed ?? 0, i), class: 'button', text: 'Download PNG',
        'aria-label': `Download image ${i + 1} of result ${no} as PNG` });
      const ask = el('button', { type: 'button', text: 'Ask about this image', 'aria-label': `Ask about image ${i + 1} of result ${no}` });
      ask.addEventListener('click', () => askAbout(img, `image ${i + 1} of result ${no}`));
      return el('figure', {}, image, el('figcaption', {}, `${img.width}×${img.height} `, download, ' ', ask));
    }));
    const meta = `${o.size}×${o.size} · ${o.steps} steps · CFG ${o.cfg} (${o.cfgSchedule}) · temperature ${o.temperature}` +
      ` · ${o.samplingSteps} sampling steps · seed ${o.seed}`;
    const time = n === 1 ? `1 image in ${formatMs(item.ms)}` : `${n} images in ${formatMs(item.ms)} (${formatMs(item.ms / n)} per image)`;
    history.prepend(el('li', { class: 'result', 'data-result': no },
      el('p', { class: 'result-prompt' }, el('span', { class: 'label', text: `#${no} ` }), item.prompt),
      el('p', { class: 'result-meta', text: meta }),
      el('p', { class: 'result-time', text: time }),
      el('div', { class: 'result-images' }, ...figures)));
    clearBtn.hidden = false;
  }

  async function generate(): Promise<void> {
    const text = prompt.value.trim();
    if (!text) {
      say(message, 'Enter a prompt first: describe the image you want.');
      prompt.focus();
      return;
    }
    if (!state.model) return say(message, 'Load a model first (in the Model section).');
    if (state.busy) return say(message, `Wait until the current ${describe(state.busy)} finishes.`);
    let options: GenerateOptions;
    try {
      options = readOptions();
    } catch (e) {
      return say(message, errorText(e));
    }
    say(message, '');
    controller = new AbortController();
    previews.replaceChildren();
    live.hidden = false;
    bar.max = options.steps!;
    bar.value = 0;
    const t0 = performance.now();
    let done = 0;
    const total = options.steps!;
    const tick = () => {
      const elapsed = performance.now() - t0;
      const what = done < total ? `Step ${done + 1} of ${total}` : 'Decoding the image';
      // the first step also runs the prompt through the LLM: the estimate errs long, then settles
      const left = done > 0 && done < total ? ` · ${formatEta(((elapsed / done) * (total - done)) / 1000)}` : '';
      status.textContent = `${what} · ${formatMs(elapsed)}${left}`;
    };
    tick();
    const timer = setInterval(tick, 250);
    try {
      const r = await state.run('generate', (engine) => engine.generate(text, options, {
        signal: controller!.signal,
        onStep: (e) => {
          done = e.step + 1;
          bar.value = done;
          if (e.preview) drawPreviews(e.preview, e.step, e.steps);
          tick();
        },
      }));
      await addResult({ prompt: text, options, images: r.images, ms: r.ms });
      live.hidden = true;
      const n = r.images.length;
      say(message, `Done: ${n === 1 ? '1 image' : `${n} images`} in ${formatMs(r.ms)}.`, 'ok');
      if (newSeed.checked) seed.value = String((options.seed! + 1) % 2 ** 31);
    } catch (e) {
      if (isAbort(e)) say(message, `Stopped after ${done} of ${options.steps} steps.`, 'info');
      else say(message, `Generation failed: ${errorText(e)}`);
      status.textContent = isAbort(e) ? `Stopped at step ${done} of ${options.steps}` : 'Failed';
    } finally {
      clearInterval(timer);
      controller = null;
    }
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
  clearBtn.addEventListener('click', () => {
    for (const u of urls.splice(0)) URL.revokeObjectURL(u);
    history.replaceChildren();
    clearBtn.hidden = true;
  });

  state.subscribe(() => {
    const running = state.busy === 'generate';
    generateBtn.disabled = state.busy !== null;
    stopBtn.disabled = !running;
    generateBtn.textContent = running ? 'Generating…' : 'Generate';
    form.setAttribute('aria-busy', String(running));
  });

  // a loaded model's defaults fill the settings the user has not changed
  const touched = new Set<HTMLElement>();
  for (const input of [steps, cfg, schedule, temperature, size, samplingSteps]) {
    input.addEventListener('input', () => touched.add(input));
  }
  const fill = (input: HTMLInputElement | HTMLSelectElement, v: number | string | undefined) => {
    if (v !== undefined && v !== null && !touched.has(input)) input.value = String(v);
  };

  return {
    applyDefaults(info, d) {
      size.step = String(stride());
      fill(size, d.size ?? info.imageSize);
      fill(steps, d.steps);
      fill(cfg, d.cfg);
      fill(schedule, d.cfg_schedule);
      fill(temperature, d.temperature);
      fill(samplingSteps, d.sampling_steps);
    },
  };
}
