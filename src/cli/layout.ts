// The token layout of a `harmon generate` run and the deterministic inputs checked against it
// (DESIGN.md §6). --orders lists per image the u generated tokens in the order MAR masks them: a
// permutation of 0…N−1 for text-to-image, of the unknown tokens of a partly known image, or with
// --strength any u distinct unknown ones. --noise holds per image, over those tokens in prediction
// order, S_k + 1 slots of 16 float32, S_k the sampling steps of the MAR step that predicts the token
// (S at every step, or the fast preset's 50 → 5). Both are checked before anything is generated;
// the engine checks them again.

import type { ModelDefaults } from '../engine/api';
import { STRIDE, TOKEN_DIM } from '../engine/limits';
import { headSteps, noiseSlots, predictedCounts } from '../engine/plan';
import type { GenerateCommand } from './args';
import { UsageError } from './errors';


/** Which tokens a generation draws (the engine's Canvas, less its pixels). */
export interface TokenLayout {
  gh: number;
  gw: number;
  /** the tokens that may be generated, ascending (all N for text-to-image) */
  candidates: number[];
  /** u: tokens generated per image */
  count: number;
  /** a variation (--strength): u of the candidates are chosen */
  chosen: boolean;
  /** a partly known image (--image) */
  partial: boolean;
}

/** The package's settings the checks may need, as the engine reports them after load. */
export type LayoutDefaults = Partial<Pick<ModelDefaults, 'size' | 'samplingSteps' | 'steps'>>;

/** Tokens per image of a square canvas: N = (size / 16)². */
export function tokensFor(size: number): number {
  return (size / STRIDE) ** 2;
}

/** Text-to-image on a width × height canvas: every token generated. */
export function textLayout(width: number, height: number): TokenLayout {
  const gh = height / STRIDE;
  const gw = width / STRIDE;
  const N = gh * gw;
  return { gh, gw, candidates: Array.from({ length: N }, (_, i) => i), count: N, chosen: false, partial: false };
}

/** --orders: a JSON array of n arrays of integers (which tokens they must be is checked once the
 * layout is known). */
export function parseOrdersJson(text: string, label: string, n: number): number[][] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--orders ${label}: not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(v)) throw new UsageError(`--orders ${label}: expected a JSON array with one permutation per image`);
  if (v.length !== n) {
    throw new UsageError(`--orders ${label}: has ${v.length} order${v.length === 1 ? '' : 's'}; expected one per image (--n ${n})`);
  }
  v.forEach((o, i) => {
    if (!Array.isArray(o) || !o.every((x) => Number.isInteger(x))) {
      throw new UsageError(`--orders ${label}: entry ${i} is not an array of integers`);
    }
  });
  return v as number[][];
}

/** Each order must list u distinct candidates: all of them (a permutation), or u of them with --strength. */
export function checkOrders(orders: number[][], layout: TokenLayout, label: string): void {
  const N = layout.gh * layout.gw;
  const allowed = new Uint8Array(N);
  for (const i of layout.candidates) allowed[i] = 1;
  const c = layout.candidates.length;
  const u = layout.count;
  orders.forEach((o, i) => {
    const seen = new Uint8Array(N);
    const bad = o.length !== u || o.some((x) => {
      if (!Number.isInteger(x) || x < 0 || x >= N || !allowed[x] || seen[x]) return true;
      seen[x] = 1;
      return false;
    });
    if (!bad) return;
    const grid = `row-major indices of the ${layout.gh}×${layout.gw} token grid`;
    let rule: string;
    if (!layout.partial) rule = `is not a permutation of 0…${N - 1} (N = ${N} tokens)`;
    else if (layout.chosen) rule = `must list ${u} distinct tokens of the ${c} unknown ones (--strength: u = ${u}; ${grid})`;
    else rule = `is not a permutation of the ${c} unknown tokens (those with a masked or uncovered pixel; ${grid})`;
    throw new UsageError(`--orders ${label}: entry ${i} ${rule}`);
  });
}

/** --noise must hold n × (noise slots per image) × 16 little-endian float32 values; `sampling` is S_k
 * per MAR step ([S] for the default preset, whose size does not depend on K). */
export function checkNoise(byteLength: number, n: number, layout: TokenLayout, sampling: number[], fast: boolean, label: string): void {
  const u = layout.count;
  const slots = noiseSlots(u, sampling);
  const want = n * slots * TOKEN_DIM * 4;
  if (byteLength === want) return;
  const head = `--noise ${label}: has ${byteLength} bytes; expected`;
  if (fast) {
    const c = predictedCounts(u, sampling.length);
    throw new UsageError(`${head} n·Σ_k c_k·(S_k+1)·16·4 = ${n}·${slots}·16·4 = ${want} (the fast preset: c_k = ${c.join(', ')} ` +
      `tokens at S_k = ${sampling.join(', ')} over ${u} generated tokens)`);
  }
  const S = sampling[0];
  if (!layout.partial) throw new UsageError(`${head} n·N·(S+1)·16·4 = ${n}·${u}·${S + 1}·16·4 = ${want}`);
  throw new UsageError(`${head} n·u·(S+1)·16·4 = ${n}·${u}·${S + 1}·16·4 = ${want} (u = ${u} generated tokens of the ${layout.gh}×${layout.gw} grid)`);
}

/** The layout and S_k per step for the checks, or what is still missing. */
function resolveInputs(cmd: GenerateCommand, defaults: LayoutDefaults | undefined, source: TokenLayout | undefined):
  { layout: TokenLayout; sampling?: number[] } | { missing: string } {
  const o = cmd.options;
  let layout = source;
  if (cmd.source && !layout) return { missing: 'the source image' };
  if (!layout) {
    const width = o.width ?? o.size ?? defaults?.size;
    const height = o.height ?? o.size ?? defaults?.size;
    if (width === undefined || height === undefined) return { missing: 'the image size' };
    if (width % STRIDE !== 0 || height % STRIDE !== 0) throw new UsageError(`the model's image size ${width}×${height} is not a multiple of ${STRIDE}`);
    layout = textLayout(width, height);
  }
  if (!cmd.noise) return { layout };
  if (o.preset === 'fast') {
    const K = o.steps ?? defaults?.steps;
    return K === undefined ? { missing: 'the MAR steps' } : { layout, sampling: headSteps('fast', K, 0) };
  }
  const S = o.samplingSteps ?? defaults?.samplingSteps;
  return S === undefined ? { missing: 'the sampling steps' } : { layout, sampling: [S] };
}

/** True when --orders / --noise can be checked now: with the flags, the package's defaults
 * (after load) and, for --image, the planned source canvas. */
export function deterministicInputsKnown(cmd: GenerateCommand, defaults?: LayoutDefaults, source?: TokenLayout): boolean {
  return !('missing' in resolveInputs(cmd, defaults, source));
}

/** Checks --orders / --noise against the tokens generated (u) and S_k: from the flags, else from the
 * package's defaults as the engine reports them after load (ModelInfo.defaults; the engine runs the
 * same values); for --image against the source canvas (planned by source.ts). */
export function checkDeterministicInputs(cmd: GenerateCommand, defaults?: LayoutDefaults, source?: TokenLayout): void {
  const r = resolveInputs(cmd, defaults, source);
  if ('missing' in r) {
    if (r.missing === 'the source image') throw new Error('--orders/--noise: the source canvas is not planned yet');
    const fast = cmd.options.preset === 'fast' ? ' (with --fast: --steps)' : '';
    throw new UsageError(`--orders/--noise need the image size and sampling steps: the engine reported no package defaults; pass --size and --sampling-steps${fast}`);
  }
  if (cmd.orders) checkOrders(cmd.orders, r.layout, cmd.inputLabels.orders ?? 'file');
  if (cmd.noise) checkNoise(cmd.noise.byteLength, cmd.options.n, r.layout, r.sampling!, cmd.options.preset === 'fast', cmd.inputLabels.noise ?? 'file');
  cmd.pendingDeterministicCheck = false;
}
