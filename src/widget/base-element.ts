// What <harmon-image> and <harmon-ask> share: an open shadow root with the shared stylesheet, the
// status / progress / error parts, one run at a time per element (a new run aborts the previous one),
// attribute changes coalesced into one run, and the shared engine's queue and loading reported as
// events and text.

import { explainLoadError, errorText, isAbort } from '../ui/format';
import { ImageInputError } from '../ui/images';
import { DownloadMeter } from '../ui/download-meter';
import type { BackendChoice } from '../engine/api';
import { WidgetInputError, backendAttribute, modelUrlFrom } from './attributes';
import { emit, type HarmonErrorDetail, type HarmonProgressDetail } from './events';
import { defaultModelUrl, type JobHooks, type JobPhase } from './shared-engine';
import { widgetSheet } from './styles';

export abstract class HarmonElement extends HTMLElement {
  protected readonly root: ShadowRoot;
  protected readonly statusPart: HTMLElement;
  protected readonly progressPart: HTMLProgressElement;
  protected readonly errorPart: HTMLElement;
  private controller: AbortController | null = null;
  private scheduled = false;

  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    this.root.adoptedStyleSheets = [widgetSheet()];
    this.statusPart = part('p', 'status', 'status');
    this.statusPart.setAttribute('role', 'status');
    this.statusPart.hidden = true;
    this.progressPart = part('progress', 'progress');
    this.progressPart.hidden = true;
    this.errorPart = part('p', 'error', 'error');
    this.errorPart.setAttribute('role', 'alert');
    this.errorPart.hidden = true;
  }

  /** Runs the element's job when its attributes ask for one (called once per batch of changes). */
  protected abstract autoRun(): void;

  disconnectedCallback(): void {
    this.stop();
  }

  /** Cancels the running or queued job of this element, if any. */
  stop(): void {
    this.controller?.abort(new DOMException('cancelled', 'AbortError'));
    this.controller = null;
  }

  /** Several attribute changes in one task make one run, after the element is connected. */
  protected schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      if (this.isConnected) this.autoRun();
    });
  }

  /** Starts a run: the previous one of this element is cancelled; messages are cleared. */
  protected beginRun(): AbortSignal {
    this.stop();
    this.controller = new AbortController();
    this.showError(null);
    return this.controller.signal;
  }

  protected endRun(signal: AbortSignal): void {
    if (this.controller?.signal === signal) this.controller = null;
  }

  /** The package folder URL the element uses: its `model` attribute, else the embedded default. */
  modelUrl(): string {
    return modelUrlFrom((n) => this.getAttribute(n), document.baseURI, defaultModelUrl());
  }

  /** The backend the element asks for: its `backend` attribute, else auto (shared-engine.ts: one engine per backend). */
  backend(): BackendChoice {
    return backendAttribute((n) => this.getAttribute(n));
  }

  protected showStatus(text: string | null): void {
    this.statusPart.textContent = text ?? '';
    this.statusPart.hidden = !text;
  }

  /** `fraction` 0…1, null for an indeterminate bar, undefined to hide it. */
  protected showProgress(fraction: number | null | undefined): void {
    this.progressPart.hidden = fraction === undefined;
    if (fraction === null || fraction === undefined) this.progressPart.removeAttribute('value');
    else this.progressPart.value = fraction;
  }

  protected showError(message: string | null): void {
    this.errorPart.textContent = message ?? '';
    this.errorPart.hidden = !message;
  }

  protected progress(detail: HarmonProgressDetail): void {
    emit(this, 'harmon-progress', detail);
  }

  /** Hooks for the shared engine: queue, engine start and model loading shown and reported. */
  protected jobHooks(signal: AbortSignal, phase: { current: JobPhase | 'input' }): JobHooks {
    let meter: DownloadMeter | null = null;
    return {
      signal,
      onQueued: (ahead) => {
        this.showStatus(ahead === 1 ? 'Waiting for another widget on this page…' : `Waiting for ${ahead} other jobs on this page…`);
        this.showProgress(null);
        this.progress({ stage: 'queued', ahead });
      },
      onPhase: (p) => {
        phase.current = p;
        if (p === 'engine') {
          this.showStatus('Starting the engine…');
          this.showProgress(null);
          this.progress({ stage: 'engine' });
        } else if (p === 'load') {
          this.showStatus('Loading the model…');
          this.showProgress(null);
        }
      },
      onLoad: (p, summary) => {
        // the worker's callbacks come over their own channel: one may land after the load
        if (phase.current !== 'load' || signal.aborted) return;
        meter ??= new DownloadMeter(summary?.bytes);
        const v = meter.update(p, performance.now());
        this.showStatus(v.text);
        this.showProgress(v.fraction);
        this.progress({ stage: 'load', fraction: v.fraction, text: v.text, progress: p });
      },
    };
  }

  /**
   * Shows and reports a failed run (an abort is no failure: nothing is said). `phase` is where the
   * job was: the engine start, the model load, or the work itself.
   */
  protected failed(e: unknown, signal: AbortSignal, phase: JobPhase | 'input'): void {
    this.showProgress(undefined);
    if (signal.aborted || isAbort(e)) {
      this.showStatus(null);
      return;
    }
    const stage: HarmonErrorDetail['stage'] = e instanceof WidgetInputError || e instanceof ImageInputError ? 'input'
      : phase === 'input' ? 'input' : phase;
    const message = stage === 'load' ? `Could not load the model: ${explainLoadError(e, this.modelUrlOrNull() ?? undefined)}`
      : stage === 'engine' ? `The engine could not start: ${errorText(e)}`
        : stage === 'input' ? `${this.localName}: ${errorText(e)}`
          : errorText(e);
    this.showStatus(null);
    this.showError(message);
    emit(this, 'harmon-error', { message, stage });
  }

  private modelUrlOrNull(): string | null {
    try {
      return this.modelUrl();
    } catch {
      return null;
    }
  }
}

/** A shadow-DOM element exposed as a CSS part (and given a class of the same name for the sheet). */
export function part<K extends keyof HTMLElementTagNameMap>(tag: K, name: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.setAttribute('part', name);
  if (cls) e.className = cls;
  return e;
}
