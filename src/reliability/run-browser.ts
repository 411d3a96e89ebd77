// Runs the corpus (corpus.ts) on the surfaces that live in a page: the engine in-process, the engine
// behind its worker (EngineClient), and the two image decoders (the demo's and widget's, the CLI
// page's). Used by reliability.browser.test.ts; no assertions here, only outcomes.

import { decodeImageFile } from '../ui/images';
import { decodeImage as cliDecodeImage } from '../cli/host';
import type { EngineApi, InputImage, PackageSource } from '../engine/api';
import { CACHE_NAME } from '../engine/cache';
import { type AskCase, type CaseResult, type GenerateCase, type ImageCase, judge, type PackageCase } from './corpus';
import { type BuiltPackage, changedPackage, sha256 } from './packages';

export type { BuiltPackage };

export const GOLDEN_PACKAGE = '/models/golden/tiny/package/';
/** where package cases are written for the page to fetch (git-ignored; relative to this folder) */
export const SERVED = '.packages';
const SERVED_URL = `/src/reliability/${SERVED}/`;
/** the cheapest valid requests of the golden model: one MAR step, two diffusion steps, one token */
export const CHEAP = { steps: 1, samplingSteps: 2 } as const;

/** A 64×64 RGBA picture (the golden model's size): a gradient with a square. */
export function testImage(): InputImage {
  const S = 64;
  const rgba = new Uint8ClampedArray(S * S * 4);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const inside = x >= 16 && x < 48 && y >= 16 && y < 48;
      rgba.set(inside ? [220, 30, 30, 255] : [x * 4, y * 4, 128, 255], (y * S + x) * 4);
    }
  }
  return { width: S, height: S, rgba };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function outcome(run: () => Promise<unknown>): Promise<{ ok: true } | { error: string }> {
  try {
    await run();
    return { ok: true };
  } catch (e) {
    return { error: message(e) };
  }
}

/** The valid request every refused case is followed by: the engine must still answer it. */
export async function stillUsable(engine: EngineApi): Promise<boolean> {
  try {
    const r = await engine.generate('a red circle', CHEAP);
    return r.images.length === 1 && r.images[0].rgba.length === 64 * 64 * 4;
  } catch {
    return false;
  }
}

export function runGenerate(engine: EngineApi, c: GenerateCase) {
  return outcome(() => engine.generate(c.prompt as string, { ...CHEAP, ...c.options }));
}

export function runAsk(engine: EngineApi, c: AskCase) {
  return outcome(async () => {
    const r = await engine.ask((c.image ?? testImage()) as InputImage, c.question as string, { maxNewTokens: 2, ...c.options });
    await engine.endConversation(r.conversation);
  });
}

/** A fixture decoded by one of the decoders; with `ok`, also its size checked and asked about. */
export async function runImage(engine: EngineApi, c: ImageCase, surface: 'decoder' | 'cli-decoder'): Promise<CaseResult> {
  const bytes = new Uint8Array(await (await fetch(`/src/reliability/fixtures/${c.file}`)).arrayBuffer());
  let img: InputImage | undefined;
  const decoded = await outcome(async () => {
    // the demo's file picker hands over a File without a reliable type; the widget a fetched Blob
    img = surface === 'decoder' ? await decodeImageFile(new Blob([bytes]), c.file) : await cliDecodeImage(bytes, c.file);
  });
  const r = judge(c, decoded);
  if (!r.pass || !img) return r;
  if (c.size && (img.width !== c.size[0] || img.height !== c.size[1])) {
    return { ...r, pass: false, got: `decoded as ${img.width}×${img.height}, expected ${c.size.join('×')}` };
  }
  const asked = await outcome(async () => {
    const a = await engine.ask(img!, 'what is in the image?', { maxNewTokens: 2 });
    await engine.endConversation(a.conversation);
  });
  return 'ok' in asked ? r : { ...r, pass: false, got: `decoded, but asking failed: ${asked.error}` };
}

// ---- packages ----

let golden: { manifest: any; files: Map<string, Uint8Array> } | undefined;

async function goldenPackage() {
  if (golden) return golden;
  const manifest = await (await fetch(`${GOLDEN_PACKAGE}manifest.json`)).json();
  const files = new Map<string, Uint8Array>();
  for (const name of Object.keys(manifest.files)) {
    files.set(name, new Uint8Array(await (await fetch(GOLDEN_PACKAGE + name)).arrayBuffer()));
  }
  golden = { manifest, files };
  return golden;
}

/** The golden package with the case's change, or undefined for a `url` case. */
export async function buildPackage(c: PackageCase): Promise<BuiltPackage | undefined> {
  return c.change.type === 'url' ? undefined : changedPackage(c, await goldenPackage());
}

/** The URL a package case is loaded from: the case's own, or where `write` put the built package. */
export function packageUrl(c: PackageCase): string {
  return c.change.type === 'url' ? c.change.url : `${SERVED_URL}${c.id}/`;
}

/** A picked folder holding the built package (the demo's "local folder" path). */
export function packageFiles(p: BuiltPackage): PackageSource {
  const files = new Map<string, Blob>([['pkg/manifest.json', new Blob([p.manifest])]]);
  for (const [name, bytes] of p.files) files.set(`pkg/${name}`, new Blob([bytes as Uint8Array<ArrayBuffer>]));
  return { files };
}

/** Loads the case's package (the engine has the golden model loaded; a failed load must keep it). */
export async function runPackage(engine: EngineApi, c: PackageCase, source: PackageSource): Promise<CaseResult> {
  return judge(c, await outcome(() => engine.load(source)));
}

/** Entries of the offline cache under `baseUrl` whose bytes do not match the manifest that was
 * served there: what failed verification must never be kept. (Files that verified stay cached
 * even when the model then fails to build: they are the package's bytes.) */
export async function badCacheEntries(baseUrl: string, built: BuiltPackage | undefined): Promise<string[]> {
  const cache = await caches.open(CACHE_NAME);
  const bad: string[] = [];
  let listed: Record<string, { sha256: string }> = {};
  try {
    listed = JSON.parse(built?.manifest ?? '{}').files ?? {};
  } catch {
    // a manifest that is not JSON lists nothing: any entry under its URL is bad
  }
  for (const req of await cache.keys()) {
    if (!req.url.startsWith(baseUrl) || req.url === `${baseUrl}manifest.json`) continue;
    const name = req.url.slice(baseUrl.length);
    const res = await cache.match(req);
    const body = new Uint8Array(await res!.arrayBuffer());
    if (!listed[name] || (await sha256(body)) !== listed[name].sha256) bad.push(name);
  }
  return bad;
}
