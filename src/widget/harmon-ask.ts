// <harmon-ask question="…">: answers a question about an image, streamed token by token (part
// "answer"), on the page's shared engine. The image is, in this order: the `image` property (RGBA
// pixels or an image Blob), the `src` attribute (an image URL, fetched), or the <harmon-image> whose
// id the `for` attribute names — asked about each time that one finishes an image.

import type { BackendChoice, GeneratedImage, InputImage } from '../engine/api';
import { decodeImageFile } from '../ui/images';
import { ASK_SETTING_ATTRIBUTES, WidgetInputError, askOptions } from './attributes';
import { HarmonElement, part } from './base-element';
import { emit, type HarmonAskDoneDetail } from './events';
import { fetchImage } from './fetch-image';
import type { HarmonImageElement } from './harmon-image';
import { sharedEngine, type JobPhase } from './shared-engine';

export class HarmonAskElement extends HarmonElement {
  static readonly observedAttributes = ['question', 'src', 'for', 'model', 'backend', ...ASK_SETTING_ATTRIBUTES];

  private readonly questionPart: HTMLElement;
  private readonly answerPart: HTMLElement;
  private imageValue: InputImage | Blob | null = null;
  /** the <harmon-image> named by `for` that we listen to */
  private watched: HarmonImageElement | null = null;
  private readonly onTargetDone = () => this.schedule();
  private answerText = '';

  constructor() {
    super();
    this.questionPart = part('p', 'question', 'question');
    this.questionPart.hidden = true;
    this.answerPart = part('p', 'answer', 'answer');
    this.answerPart.setAttribute('aria-live', 'polite');
    this.root.append(this.questionPart, this.answerPart, this.statusPart, this.progressPart, this.errorPart);
  }

  /** The image to ask about, set from script (RGBA pixels or an image Blob); overrides `src` and `for`. */
  get image(): InputImage | Blob | null {
    return this.imageValue;
  }

  set image(v: InputImage | Blob | null) {
    this.imageValue = v;
    this.schedule();
  }

  /** The last complete answer ('' before the first). */
  get answer(): string {
    return this.answerText;
  }

  connectedCallback(): void {
    this.schedule();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.watch(null);
  }

  attributeChangedCallback(_name: string, old: string | null, value: string | null): void {
    if (old !== value) this.schedule();
  }

  protected autoRun(): void {
    this.watch(this.imageValue || this.hasAttribute('src') ? null : this.target());
    if (!(this.getAttribute('question') ?? '').trim()) return;
    if (!this.imageValue && !this.hasAttribute('src') && !this.hasAttribute('for')) return;
    void this.ask().catch(() => {}); // shown in the element and as harmon-error
  }

  /** Asks `question` (default: the question attribute) about the image; resolves with the answer. */
  async ask(question?: string): Promise<string> {
    const signal = this.beginRun();
    const phase: { current: JobPhase | 'input' } = { current: 'input' };
    const q = (question ?? this.getAttribute('question') ?? '').trim();
    try {
      if (!q) throw new WidgetInputError('the question attribute is empty: ask something about the image');
      const options = askOptions((n) => this.getAttribute(n));
      this.questionPart.textContent = q;
      this.questionPart.hidden = false;
      this.setAnswer('');
      const image = await this.resolveImage(signal);
      if (!image) {
        this.showStatus('Waiting for the image…');
        return '';
      }
      const r = await sharedEngine.run(this.modelUrl(), this.backend(), async (engine, model) => {
        this.showStatus('Thinking…');
        this.showProgress(null);
        let tokens = 0;
        let streamed = '';
        let finished = false;
        const res = await engine.ask(image, q, options, {
          signal,
          onToken: (text, id) => {
            // the worker's callbacks come over their own channel: one may land after the answer
            if (finished || signal.aborted) return;
            tokens += 1;
            streamed += text;
            this.answerPart.textContent = streamed;
            emit(this, 'harmon-token', { text, id });
            this.progress({ stage: 'answer', tokens });
          },
        });
        finished = true;
        // one question per conversation: free its KV cache now
        void Promise.resolve(engine.endConversation(res.conversation)).catch(() => {});
        return { ...res, backend: model.info.backend.kind };
      }, this.jobHooks(signal, phase));
      // decoding all tokens at once is exact where token-by-token pieces split a character
      this.setAnswer(r.text);
      this.showStatus(null);
      this.showProgress(undefined);
      const detail: HarmonAskDoneDetail = { question: q, answer: r.text, tokens: r.tokenIds.length, ms: r.ms, backend: r.backend };
      emit(this, 'harmon-done', detail);
      return r.text;
    } catch (e) {
      this.failed(e, signal, phase.current);
      throw e;
    } finally {
      this.endRun(signal);
    }
  }

  /** Without its own `model`, the element asks with the model of the <harmon-image> it follows. */
  override modelUrl(): string {
    const target = this.followed('model');
    return target ? target.modelUrl() : super.modelUrl();
  }

  /** Without its own `backend`, the element asks on the engine of the <harmon-image> it follows
   * (where that image's model is loaded already). */
  override backend(): BackendChoice {
    const target = this.followed('backend');
    return target ? target.backend() : super.backend();
  }

  /** The <harmon-image> this element follows, when it has `attribute` and this element has not. */
  private followed(attribute: string): HarmonImageElement | null {
    if (this.hasAttribute(attribute) || this.imageValue || this.hasAttribute('src')) return null;
    const target = this.target();
    return target?.hasAttribute(attribute) ? target : null;
  }

  private setAnswer(text: string): void {
    this.answerText = text;
    this.answerPart.textContent = text;
  }

  /** The pixels to ask about, or null while the <harmon-image> named by `for` has none yet. */
  private async resolveImage(signal: AbortSignal): Promise<InputImage | null> {
    if (this.imageValue instanceof Blob) return decodeImageFile(this.imageValue, 'the image');
    if (this.imageValue) return this.imageValue;
    const src = this.getAttribute('src')?.trim();
    if (src) return fetchImage(new URL(src, document.baseURI).href, signal);
    const target = this.target();
    if (!target) {
      const id = this.getAttribute('for');
      throw new WidgetInputError(`the for attribute names no <harmon-image> on this page (id “${id}”)`);
    }
    const img: GeneratedImage | null = target.image;
    return img ? { width: img.width, height: img.height, rgba: img.rgba } : null;
  }

  /** The <harmon-image> whose id `for` names, in this element's document or shadow root. */
  private target(): HarmonImageElement | null {
    const id = this.getAttribute('for')?.trim();
    if (!id) return null;
    const root = this.getRootNode() as Document | ShadowRoot;
    const el = root.getElementById?.(id);
    return el && el.localName === 'harmon-image' ? el as HarmonImageElement : null;
  }

  private watch(target: HarmonImageElement | null): void {
    if (this.watched === target) return;
    this.watched?.removeEventListener('harmon-done', this.onTargetDone);
    this.watched = target;
    target?.addEventListener('harmon-done', this.onTargetDone);
  }
}
