// <harmon-image prompt="…">: text to image on the page's shared engine. It generates when it is
// connected with a prompt, and again when the prompt, the model or a setting changes. The finished
// image is an <img> (part "image") whose alt text is the prompt; with the `preview` attribute the
// image is drawn at every step first (part "preview").
//
// With `src` it edits that image (DESIGN.md §2 "Partly known images"): `mask` (an image, white =
// regenerate) inpaints, `strength` asks for variations (within the mask, if any). The source is
// fitted to the model (its longer side at most `size`, else the package's size; sides multiples of
// the VAE stride), the mask resized to it nearest-neighbour, and the source's pixels pasted back
// outside the regenerated area, blended over one token (pasteBack), unless keep-pixels="false".

import type { GeneratedImage, GenerateOptions, InputImage, ModelInfo } from '../engine/api';
import { MASK_THRESHOLD } from '../engine/canvas';
import { vaeStride } from '../engine/limits';
import { pasteBack } from '../engine/paste-back';
import { drawRgba, fitToGrid, resizeImage, resizeMaskNearest, toPng } from '../ui/images';
import { formatMs } from '../ui/format';
import {
  EDIT_ATTRIBUTES, IMAGE_SETTING_ATTRIBUTES, WidgetInputError, generateOptions, readEditAttributes, readImageSettings,
  type EditAttributes, type ImageSettings,
} from './attributes';
import { HarmonElement, part } from './base-element';
import { emit, type HarmonImageDoneDetail } from './events';
import { fetchImage } from './fetch-image';
import { sharedEngine, type JobPhase } from './shared-engine';

/** Images smaller than this are scaled up with hard pixel edges rather than blurred. */
const PIXELATED_BELOW = 256;

export class HarmonImageElement extends HarmonElement {
  static readonly observedAttributes = ['prompt', 'model', 'backend', ...IMAGE_SETTING_ATTRIBUTES, ...EDIT_ATTRIBUTES];

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
      const backend = this.backend();
      const edit = readEditAttributes((n) => this.getAttribute(n), document.baseURI);
      const options = generateOptions(settings);
      // fetched before the job: a bad image or mask is reported without waiting for the queue
      if (edit.src) this.showStatus('Fetching the image…');
      const source = edit.src ? await fetchSource(edit, signal) : null;
      signal.throwIfAborted();
      this.startedDrawing(settings.preview);
      let request: GenerateOptions = options;
      const t0 = performance.now();
      let finished = false;
      const r = await sharedEngine.run(modelUrl, backend, (engine, model) => {
        this.showStatus('Generating…');
        this.showProgress(0);
        if (source) {
          request = { ...options, ...editOptions(source, settings, model.info) };
          delete request.size; // the canvas is the fitted image's
        }
        return engine.generate(prompt, request, {
          signal,
          onStep: (e) => {
            // the worker's callbacks come over their own channel: one may land after the result
            if (finished || signal.aborted) return;
            const done = e.step + 1;
            this.showStatus(done < e.steps ? `Step ${done} of ${e.steps}…` : 'Decoding the image…');
            this.showProgress(done / e.steps);
            if (e.preview?.[0]) this.drawPreview(e.preview[0], done, e.steps);
            this.progress({ stage: 'generate', step: done, steps: e.steps });
          },
        }).then((res) => {
          finished = true;
          return { res, backend: model.info.backend.kind, info: model.info };
        });
      }, this.jobHooks(signal, phase));
      const drawn = r.res.images[0];
      const image = source && edit.keepPixels && request.image
        ? { width: drawn.width, height: drawn.height, rgba: pasteBack({
          result: drawn, source: request.image, mask: request.mask, generated: r.res.generated?.[0],
          stride: vaeStride(r.info.config),
        }) }
        : drawn;
      const url = URL.createObjectURL(await toPng(image));
      signal.throwIfAborted();
      const detail: HarmonImageDoneDetail = {
        prompt, url, width: image.width, height: image.height, seed: options.seed ?? 0, ms: r.res.ms || performance.now() - t0,
        backend: r.backend,
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

/** The source image and its mask (pixels of the mask image, any size), fetched. */
async function fetchSource(edit: EditAttributes, signal: AbortSignal): Promise<{ image: InputImage; mask: InputImage | null; strength?: number }> {
  const [image, mask] = await Promise.all([
    fetchImage(edit.src!, signal, 'the image'),
    edit.mask ? fetchImage(edit.mask, signal, 'the mask') : Promise.resolve(null),
  ]);
  if (mask && !marksAny(mask.rgba, 4)) throw new WidgetInputError(`the mask ${edit.mask} ${NO_MASK}`);
  return { image, mask, strength: edit.strength };
}

const marksAny = (data: ArrayLike<number>, per: number) => {
  for (let i = 0; i < data.length; i += per) if (data[i] >= MASK_THRESHOLD) return true;
  return false;
};
const NO_MASK = `marks nothing to regenerate: white (red ≥ ${MASK_THRESHOLD}) is regenerated, black kept`;

/** The edit's part of the request, fitted to the model: the canvas is the fitted image's. */
function editOptions(s: { image: InputImage; mask: InputImage | null; strength?: number }, settings: ImageSettings, info: ModelInfo): GenerateOptions {
  const stride = vaeStride(info.config);
  const { width, height } = fitToGrid(s.image.width, s.image.height, settings.size ?? info.defaults.size, stride);
  const o: GenerateOptions = { image: resizeImage(s.image, width, height), width, height };
  if (s.mask) {
    const data = resizeMaskNearest({ width: s.mask.width, height: s.mask.height, data: s.mask.rgba }, width, height);
    if (!marksAny(data, 1)) throw new WidgetInputError(`the mask, resized from ${s.mask.width}×${s.mask.height} to the image's ${width}×${height}, ${NO_MASK}`);
    o.mask = { width, height, data };
  }
  if (s.strength !== undefined) o.strength = s.strength;
  return o;
}
