// <harmon-image prompt="…">: text to image on the page's shared engine. It generates when it is
// connected with a prompt, and again when the prompt, the model or a setting changes. The finished
// image is an <img> (part "image") whose alt text is the prompt; with the `preview` attribute the
// image is drawn at every step first (part "preview").

import type { GeneratedImage } from '../engine/api';
import { drawRgba, toPng } from '../app/images';
import { formatMs } from '../app/format';
import { IMAGE_SETTING_ATTRIBUTES, WidgetInputError, generateOptions, readImageSettings } from './attributes';
import { HarmonElement, part } from './base-element';
import { emit, type HarmonImageDoneDetail } from './events';
import { sharedEngine, type JobPhase } from './shared-engine';

/** Images smaller than this are scaled up with hard pixel edges rather than blurred. */
const PIXELATED_BELOW = 256;

export class HarmonImageElement extends HarmonElement {
  static readonly observedAttributes = ['prompt', 'model', ...IMAGE_SETTING_ATTRIBUTES];

  private readonly img: HTMLImageElement;
  private readonly canvas: HTMLCanvasElement;
  private result: { image: GeneratedImage; detail: HarmonImageDoneDetail } | null = null;

  constructor() {
    super();
    const frame = part('div', 'frame', 'frame');
    this.img = part('img', 'image');
    this.img.hidden = true;
    this.img.decoding = 'async';
    this.canvas = part('canvas', 'preview');
    this.canvas.hidden = true;
    this.canvas.setAttribute('role', 'img');
    frame.append(this.canvas, this.img, this.statusPart);
    this.root.append(frame, this.progressPart, this.errorPart);
  }

  /** The last finished image (RGBA), or null. */
  get image(): GeneratedImage | null {
    return this.result?.image ?? null;
  }

  /** What the last `harmon-done` said (its PNG's blob: URL, size, time), or null. */
  get lastResult(): HarmonImageDoneDetail | null {
    return this.result?.detail ?? null;
  }

  get prompt(): string {
    return this.getAttribute('prompt') ?? '';
  }

  set prompt(v: string) {
    this.setAttribute('prompt', v);
  }

  connectedCallback(): void {
    // moved within the page with its image: nothing to redo
    if (!this.result || this.result.detail.prompt !== this.prompt.trim()) this.schedule();
  }

  attributeChangedCallback(_name: string, old: string | null, value: string | null): void {
    if (old !== value) this.schedule();
  }

  protected autoRun(): void {
    if (this.prompt.trim()) void this.generate().catch(() => {}); // shown in the element and as harmon-error
  }

  /** Generates an image for the current attributes; resolves with it, or rejects (also reported as harmon-error). */
  async generate(): Promise<GeneratedImage> {
    const signal = this.beginRun();
    const phase: { current: JobPhase | 'input' } = { current: 'input' };
    const prompt = this.prompt.trim();
    try {
      if (!prompt) throw new WidgetInputError('the prompt attribute is empty: describe the image to generate');
      const settings = readImageSettings((n) => this.getAttribute(n));
      const modelUrl = this.modelUrl();
      this.startedDrawing(settings.preview);
      const t0 = performance.now();
      const r = await sharedEngine.run(modelUrl, (engine, model) => {
        const options = generateOptions(settings, model.defaults, model.info.imageSize);
        this.showStatus('Generating…');
        this.showProgress(0);
        return engine.generate(prompt, options, {
          signal,
          onStep: (e) => {
            const done = e.step + 1;
            this.showStatus(done < e.steps ? `Step ${done} of ${e.steps}…` : 'Decoding the image…');
            this.showProgress(done / e.steps);
            if (e.preview?.[0]) this.drawPreview(e.preview[0], done, e.steps);
            this.progress({ stage: 'generate', step: done, steps: e.steps });
          },
        }).then((res) => ({ res, seed: options.seed ?? 0 }));
      }, this.jobHooks(signal, phase));
      const image = r.res.images[0];
      const url = URL.createObjectURL(await toPng(image));
      signal.throwIfAborted();
      const detail: HarmonImageDoneDetail = {
        prompt, url, width: image.width, height: image.height, seed: r.seed, ms: r.res.ms || performance.now() - t0,
      };
      this.show(image, detail);
      emit(this, 'harmon-done', detail);
      return image;
    } catch (e) {
      this.failed(e, signal, phase.current);
      if (this.result) this.img.hidden = false; // the previous image stays
      this.canvas.hidden = true;
      throw e;
    } finally {
      this.endRun(signal);
    }
  }

  private startedDrawing(preview: boolean): void {
    // the old image leaves: its alt (the old prompt) must not stand for the new one
    this.img.hidden = true;
    this.canvas.hidden = !preview;
    if (preview) {
      const ctx = this.canvas.getContext('2d');
      ctx?.clearRect(0, 0, this.canvas.width, this.canvas.height);
    }
  }

  private drawPreview(img: GeneratedImage, step: number, steps: number): void {
    drawRgba(this.canvas, img);
    this.canvas.classList.toggle('pixelated', img.width < PIXELATED_BELOW);
    this.canvas.setAttribute('aria-label', `Preview, step ${step} of ${steps}`);
    this.canvas.hidden = false;
  }

  private show(image: GeneratedImage, detail: HarmonImageDoneDetail): void {
    if (this.result) URL.revokeObjectURL(this.result.detail.url);
    this.result = { image, detail };
    this.img.src = detail.url;
    this.img.alt = detail.prompt;
    this.img.width = image.width;
    this.img.height = image.height;
    this.img.title = `${detail.prompt} (${image.width}×${image.height}, ${formatMs(detail.ms)})`;
    this.img.classList.toggle('pixelated', image.width < PIXELATED_BELOW);
    this.img.hidden = false;
    this.canvas.hidden = true;
    this.showStatus(null);
    this.showProgress(undefined);
  }
}
