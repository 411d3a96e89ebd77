// One run of the CLI's browser side: the server, headless Chromium (Playwright, never a downloaded
// browser) and the host page, with typed calls into window.harmonWire.

import type { Browser, Page } from 'playwright';
import type { AskOptions, AskResult, BackendChoice, ModelInfo } from '../engine/api';
import type { ModelRef } from './args';
import { chromiumArgs, chromiumPath } from './chromium';
import type { RgbaImage } from './output';
import { HOST_PAGE, MODEL_ROUTE, startServer, type HostServer } from './server';
import type { HostEvent, WireGenerateOptions, WireResult } from './wire';

/** An error to report as "error: <message>" with exit status 1 (engine, page, browser). */
export class HarmonError extends Error {
  override name = 'HarmonError';
}

export interface SessionOptions {
  root: string;
  model: ModelRef;
  backend: BackendChoice;
  debug: boolean;
  onEvent: (event: HostEvent) => void;
  /** where debug output goes (stderr) */
  log: (line: string) => void;
}

export interface GenerateOutput {
  images: RgbaImage[];
  latents: Float32Array;
  /** with an image: per image the gh × gw token flags, 1 = generated */
  generated?: Uint8Array[];
  ms: number;
}

const START_TIMEOUT_MS = 180_000;

/** Vite's client (pulled in by Vite's import rewriting) dials a websocket that we do not run (no HMR,
 * so no reload mid-run can happen); its complaints are noise. */
function isViteClientNoise(text: string): boolean {
  return /\[vite\]|WebSocket connection to|WebSocket closed without opened/.test(text);
}

function stripAnsi(s: string): string {
  return s.replace(/\x1b\[[0-9;]*m/g, '');
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim() !== '')?.trim() ?? s;
}

export class Session {
  private constructor(
    private readonly server: HostServer,
    private readonly browser: Browser,
    private readonly page: Page,
    private readonly model: ModelRef,
    private readonly backend: BackendChoice,
    private readonly problems: { pageErrors: string[]; consoleErrors: string[] },
  ) {}

  /** Starts the server and the browser and waits for the host page. Everything opened so far is
   * closed again when a step fails. */
  static async open(opts: SessionOptions): Promise<Session> {
    const server = await startServer({
      root: opts.root,
      modelDir: opts.model.kind === 'dir' ? opts.model.dir : undefined,
      debug: opts.debug,
    });
    let browser: Browser | undefined;
    try {
      const { chromium } = await import('playwright');
      const executablePath = chromiumPath();
      try {
        browser = await chromium.launch({
          executablePath,
          args: chromiumArgs(),
          headless: true,
          // The CLI closes the browser itself (also on Ctrl-C).
          handleSIGINT: false,
          handleSIGTERM: false,
          handleSIGHUP: false,
        });
      } catch (e) {
        throw new HarmonError(`could not start Chromium at ${executablePath} (set CHROMIUM_PATH): ${firstLine((e as Error).message)}`);
      }
      const page = await browser.newPage();
      const problems = { pageErrors: [] as string[], consoleErrors: [] as string[] };
      page.on('pageerror', (e) => {
        if (isViteClientNoise(e.message)) return;
        problems.pageErrors.push(e.message);
        if (opts.debug) opts.log(`[page exception] ${e.stack ?? e.message}`);
      });
      page.on('console', (m) => {
        const type = m.type();
        if (isViteClientNoise(m.text())) return;
        if (type === 'error') problems.consoleErrors.push(m.text());
        if (opts.debug && (type === 'error' || type === 'warning')) opts.log(`[page console.${type}] ${m.text()}`);
      });
      await page.exposeFunction('harmonReport', (e: HostEvent) => opts.onEvent(e));
      const session = new Session(server, browser, page, opts.model, opts.backend, problems);
      await session.start();
      return session;
    } catch (e) {
      await browser?.close().catch(() => {});
      await server.close().catch(() => {});
      throw e;
    }
  }

  private async start(): Promise<void> {
    const url = `${this.server.origin}${HOST_PAGE}`;
    // A page whose module graph failed (or met a late dependency re-optimization) gets one reload.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        if (attempt === 0) await this.page.goto(url, { timeout: START_TIMEOUT_MS, waitUntil: 'load' });
        else await this.page.reload({ timeout: START_TIMEOUT_MS, waitUntil: 'load' });
        await this.page.waitForFunction(() => 'harmonWire' in window, undefined, { timeout: 5_000, polling: 100 });
        return;
      } catch (e) {
        if (attempt === 1) {
          // The most telling first: an exception in the page, Vite's transform error, a console error.
          const why = [...this.problems.pageErrors, ...this.server.errors, ...this.problems.consoleErrors];
          const detail = firstLine(stripAnsi(why[0] ?? (e as Error).message));
          throw new HarmonError(`the host page did not start: ${detail}`);
        }
      }
    }
  }

  /** The page's URL for the model: /__model/ for a local folder, else the URL itself. */
  get modelUrl(): string {
    return this.model.kind === 'dir' ? MODEL_ROUTE : this.model.url;
  }

  addInput(name: string, bytes: Uint8Array): string {
    return this.server.addInput(name, bytes);
  }

  /** `refused`: the error for a call the page answered with a message (default a HarmonError). */
  private async call<T>(fn: () => Promise<WireResult<T>>, refused: (message: string) => Error = (m) => new HarmonError(m)): Promise<T> {
    let r: WireResult<T>;
    try {
      r = await fn();
    } catch (e) {
      const msg = firstLine((e as Error).message).replace(/^page\.evaluate:\s*/, '');
      if (/crashed/i.test(msg)) throw new HarmonError(`the browser page crashed (out of memory?): ${msg}`);
      throw new HarmonError(msg);
    }
    if (!r.ok) throw refused(r.error);
    return r.value;
  }

  private static bytes(base64: string): Uint8Array {
    const b = Buffer.from(base64, 'base64');
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }

  load(): Promise<ModelInfo> {
    return this.call(() => this.page.evaluate(([u, b]) => window.harmonWire.load(u, b), [this.modelUrl, this.backend] as const));
  }

  checkImage(url: string, name: string): Promise<{ width: number; height: number }> {
    return this.call(() => this.page.evaluate(([u, n]) => window.harmonWire.checkImage(u, n), [url, name] as const));
  }

  /** Decodes an image file in the page (the decoder `ask` uses) and returns its RGBA pixels; a file
   * the page cannot decode fails with `refused(message)`. */
  async decodeImage(url: string, name: string, refused?: (message: string) => Error): Promise<RgbaImage & { rgba: Uint8Array }> {
    const im = await this.call(() => this.page.evaluate(([u, n]) => window.harmonWire.decodeImage(u, n), [url, name] as const), refused);
    const rgba = Session.bytes(im.rgba);
    if (rgba.byteLength !== im.width * im.height * 4) throw new HarmonError(`the page sent ${rgba.byteLength} bytes for a ${im.width}×${im.height} image`);
    return { width: im.width, height: im.height, rgba };
  }

  async generate(prompt: string, options: WireGenerateOptions): Promise<GenerateOutput> {
    const r = await this.call(() =>
      this.page.evaluate(([p, o]) => window.harmonWire.generate(p, o), [prompt, options] as const),
    );
    const images = r.images.map((im) => ({ width: im.width, height: im.height, rgba: Session.bytes(im.rgba) }));
    const lb = Buffer.from(r.latents, 'base64');
    if (lb.byteLength !== r.latentCount * 4) throw new HarmonError(`the page sent ${lb.byteLength} latent bytes for ${r.latentCount} values`);
    const latents = new Float32Array(r.latentCount);
    const view = new DataView(lb.buffer, lb.byteOffset, lb.byteLength);
    for (let i = 0; i < latents.length; i++) latents[i] = view.getFloat32(i * 4, true);
    return { images, latents, generated: r.generated?.map((g) => Session.bytes(g)), ms: r.ms };
  }

  ask(imageUrl: string, name: string, question: string, options: AskOptions): Promise<AskResult> {
    return this.call(() =>
      this.page.evaluate(([u, n, q, o]) => window.harmonWire.ask(u, n, q, o), [imageUrl, name, question, options] as const),
    );
  }

  private closing?: Promise<void>;

  /** Closes the browser, then the server. Safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.browser.close().catch(() => {});
      await this.server.close().catch(() => {});
    })();
    return this.closing;
  }
}
