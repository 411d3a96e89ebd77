// `npm run harmon -- generate|ask …` (DESIGN.md §6): runs the real engine in headless Chromium.
//   exit 0: done; 1: the engine, the page or the browser failed; 2: bad arguments; 130/143: signal.
// Errors are one line on stderr, "error: …"; progress goes to stderr (with, once after load, which
// backend runs and why); `ask` prints its answer on stdout. HARMON_DEBUG=1 also forwards the page's
// console errors, Vite's log and stack traces.

import path from 'node:path';
import {
  checkDeterministicInputs,
  parseCommand,
  repoRoot,
  UsageError,
  type AskCommand,
  type GenerateCommand,
} from './args';
import type { ModelInfo } from '../engine/api';
import { deterministicInputsKnown } from './layout';
import type { Session } from './session';
import type { PlannedSource, SourceArgs } from './source';
import type { HostEvent, WireGenerateOptions } from './wire';

const debug = !!process.env.HARMON_DEBUG;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** A path for messages: relative to the working folder when inside it. */
function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/** Closes whatever is open; set once the browser side starts. */
let cleanup: (() => Promise<void>) | undefined;
let interrupted = false;

function onSignal(signal: 'SIGINT' | 'SIGTERM'): void {
  const code = signal === 'SIGINT' ? 130 : 143;
  if (interrupted) process.exit(code);
  interrupted = true;
  log(`interrupted (${signal}); closing the browser`);
  void (cleanup?.() ?? Promise.resolve()).finally(() => process.exit(code));
}

async function openSession(root: string, cmd: GenerateCommand | AskCommand, onEvent: (e: HostEvent) => void): Promise<Session> {
  const { Session } = await import('./session');
  const session = await Session.open({ root, model: cmd.model, backend: cmd.backend, debug, onEvent, log });
  cleanup = () => session.close();
  return session;
}

function describeModel(cmd: GenerateCommand | AskCommand): string {
  return cmd.model.kind === 'dir' ? shown(cmd.model.dir) : cmd.model.url;
}

async function loadModel(session: Session, cmd: GenerateCommand | AskCommand): Promise<ModelInfo> {
  const { backendLine, defaultsLine } = await import('./progress');
  log(`loading ${describeModel(cmd)}`);
  const info = await session.load();
  log(`model ${info.name} (${info.dtype}, ${info.imageSize}px)`);
  log(backendLine(info.backend));
  if (cmd.command === 'generate') log(defaultsLine(info.defaults));
  return info;
}

interface PreparedSource {
  src: SourceArgs;
  planned: PlannedSource;
  wire: Partial<WireGenerateOptions>;
}

/** --image (and --mask), or a --prompts line's "image" (and "mask"): decoded in the page, placed on
 * the canvas as the engine will place it, and handed to the page as raw pixels. A file the page
 * cannot decode, or a source the engine would refuse, is a usage error (exit 2), before the model
 * loads. `key` keeps each source's inputs apart; `where` starts the messages about a line. */
async function prepareSource(session: Session, src: SourceArgs, options: GenerateCommand['options'], key = '', where = ''): Promise<PreparedSource> {
  const { planSource } = await import('./source');
  const refused = (message: string) => new UsageError(`${where}${message}`);
  const decoded = await session.decodeImage(session.addInput(`${key}source-file`, src.image.bytes), `${src.image.name} (${where ? '"image"' : '--image'})`, refused);
  const maskFile = src.mask && await session.decodeImage(session.addInput(`${key}mask-file`, src.mask.bytes), `${src.mask.name} (${where ? '"mask"' : '--mask'})`, refused);
  const image = { ...decoded, rgba: new Uint8ClampedArray(decoded.rgba.buffer, decoded.rgba.byteOffset, decoded.rgba.byteLength) };
  let planned: PlannedSource;
  try {
    planned = planSource(src, options, image, maskFile);
  } catch (e) {
    throw e instanceof UsageError ? new UsageError(`${where}${e.message}`) : e;
  }
  const { width, height, offset, layout, mask } = planned;
  if (planned.maskResizedFrom) {
    log(`${where}mask ${planned.maskResizedFrom.width}×${planned.maskResizedFrom.height} resized to the ${width}×${height} canvas (nearest neighbour)`);
  }
  log(`${where}canvas ${width}×${height} (the ${image.width}×${image.height} image at ${offset.x}, ${offset.y}): ` +
    `${layout.count} of ${layout.gh * layout.gw} tokens to generate`);
  const wire: Partial<WireGenerateOptions> = {
    width, height, offset,
    image: { url: session.addInput(`${key}source.rgba`, decoded.rgba), width: image.width, height: image.height },
  };
  if (mask) wire.mask = { url: session.addInput(`${key}mask.u8`, mask.data as Uint8Array), width: mask.width, height: mask.height };
  return { src, planned, wire };
}

/** The options without those that only mean something with a source image. */
function textOnly(options: GenerateCommand['options']): GenerateCommand['options'] {
  const { strength: _strength, growMask: _growMask, ...rest } = options;
  return rest;
}

async function runGenerate(root: string, cmd: GenerateCommand): Promise<void> {
  const { Progress } = await import('./progress');
  const { writeGenEvalPrompt, writeLatents, writePng } = await import('./output');
  const { HarmonError } = await import('./session');
  const { keepSourcePixels } = await import('./source');
  const progress = new Progress(log, Date.now, debug);
  const session = await openSession(root, cmd, (e) => progress.handle(e));
  try {
    const shared = cmd.source && await prepareSource(session, cmd.source, cmd.options);
    // --prompts lines with their own "image": every one decoded and planned before the model loads
    const perLine = new Map<number, PreparedSource>();
    for (const [i, entry] of cmd.prompts.entries()) {
      if (entry.source) perLine.set(i, await prepareSource(session, entry.source, cmd.options, `line-${entry.lineNumber}-`, `line ${entry.lineNumber}: `));
    }
    const layout = shared?.planned.layout;
    // --orders / --noise without the flags that fix u and S (or with --image): checked as soon as
    // they can be, against the source canvas and the engine's defaults, before anything is generated
    // (a usage error, exit 2).
    if (cmd.pendingDeterministicCheck && deterministicInputsKnown(cmd, undefined, layout)) checkDeterministicInputs(cmd, undefined, layout);
    const info = await loadModel(session, cmd);
    if (cmd.pendingDeterministicCheck) checkDeterministicInputs(cmd, info.defaults, layout);
    const noiseUrl = cmd.noise ? session.addInput('noise.f32', cmd.noise) : undefined;
    const n = cmd.options.n;
    const total = cmd.prompts.length;
    for (const [i, entry] of cmd.prompts.entries()) {
      if (cmd.genEval) {
        const short = entry.prompt.length > 80 ? `${entry.prompt.slice(0, 77)}…` : entry.prompt;
        log(`prompt ${i + 1}/${total}: ${short}`);
      }
      progress.reset();
      // prompt i uses seed + i (as the reference's eval does): every prompt an independent draw
      const seed = cmd.options.seed + i;
      const source = perLine.get(i) ?? shared;
      // a text-to-image line of a --prompts file whose other lines edit images: no source options
      const options = source ? cmd.options : textOnly(cmd.options);
      const r = await session.generate(entry.prompt, { ...options, ...source?.wire, seed, orders: cmd.orders, noiseUrl });
      if (r.images.length !== n) throw new HarmonError(`the engine returned ${r.images.length} images, expected ${n}`);
      const { width, height } = r.images[0];
      const want = n * (width / 16) * (height / 16) * 16;
      if (r.latents.length !== want) {
        throw new HarmonError(`the engine returned ${r.latents.length} latent values, expected n·gh·gw·16 = ${want}`);
      }
      // --keep-pixels: the source's pixels back outside the regenerated area, feathered over a token
      const images = source?.src.keepPixels ? keepSourcePixels(r.images, source.planned, r.generated) : r.images;
      if (cmd.genEval) {
        writeGenEvalPrompt(cmd.out, i, entry.line, images);
      } else {
        writePng(cmd.out, images);
        log(`wrote ${shown(cmd.out)}`);
        if (cmd.latents) {
          writeLatents(cmd.latents, r.latents);
          log(`wrote ${shown(cmd.latents)}`);
        }
      }
      // engine time (measured in the page around engine.generate), browser start excluded
      log(`generated ${n} image${n === 1 ? '' : 's'} in ${(r.ms / 1000).toFixed(1)} s`);
    }
    if (cmd.genEval) log(`wrote ${total} prompt folder${total === 1 ? '' : 's'} under ${shown(cmd.out)}`);
  } finally {
    await session.close();
  }
}

async function runAsk(root: string, cmd: AskCommand): Promise<void> {
  const { Progress } = await import('./progress');
  const progress = new Progress(log, Date.now, debug);
  const session = await openSession(root, cmd, (e) => progress.handle(e));
  try {
    // Decode every image first: a bad image fails before the model loads.
    const urls: string[] = [];
    for (const [i, item] of cmd.items.entries()) {
      urls.push(session.addInput(`image-${i}`, item.image));
      await session.checkImage(urls[i], item.imageName);
    }
    await loadModel(session, cmd);
    const options = cmd.options;
    for (const [i, item] of cmd.items.entries()) {
      const r = await session.ask(urls[i], item.imageName, item.question, options);
      if (cmd.batch) {
        const line = { ...(JSON.parse(item.line!) as Record<string, unknown>), prediction: r.text };
        process.stdout.write(`${JSON.stringify(line)}\n`);
        log(`question ${i + 1}/${cmd.items.length} answered in ${(r.ms / 1000).toFixed(1)} s`);
      } else {
        process.stdout.write(`${r.text}\n`);
        if (cmd.tokens) process.stdout.write(`${JSON.stringify(r.tokenIds)}\n`);
        log(`answered in ${(r.ms / 1000).toFixed(1)} s`);
      }
    }
  } finally {
    await session.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  const root = repoRoot();
  try {
    const cmd = parseCommand(argv, { root });
    if (cmd.command === 'help') {
      process.stdout.write(`${cmd.text}\n`);
      return 0;
    }
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    if (cmd.command === 'generate') await runGenerate(root, cmd);
    else await runAsk(root, cmd);
    return 0;
  } catch (e) {
    if (interrupted) return 130;
    if (e instanceof UsageError) {
      log(`error: ${oneLine(e.message)}`);
      return 2;
    }
    const err = e as Error;
    if (debug) log(err?.stack ?? String(e));
    log(`error: ${oneLine(err?.message || String(e))}`);
    return 1;
  } finally {
    await cleanup?.().catch(() => {});
  }
}

const code = await main(process.argv.slice(2));
// Vite and Playwright may keep handles open; everything is closed by now.
process.exit(code);
