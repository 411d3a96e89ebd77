// The MAR loop's bookkeeping, all computed on the CPU before the loop starts (DESIGN.md §2): mask
// sizes, which tokens each step predicts, the encoder's kept positions, the decoder's gather index,
// the LLM's attention mask and positions, the diffusion head's row selections and the guidance
// scale. Nothing inside the loop needs to come back from the GPU.
//
// The orders say which tokens are generated: per image u tokens in the order MAR masks them (all N
// for text-to-image). Only they start masked; the schedule runs over u; every other token is known,
// seen from step 0 by both CFG rows and never a target of a step.
//
// The diffusion head runs S_k sampling steps at MAR step k: S everywhere, or with the fast preset
// the annealed 50 → 5 (fastSamplingSteps). The noise is one stream per image: its tokens in
// prediction order, each with S_k + 1 slots of 16 floats (DESIGN.md §6). The kernels read it as rows
// of one stride per call, so packNoise regroups it by step before the loop.

export interface StepPlan {
  /** tokens still masked after this step */
  maskLen: number;
  /** guidance scale of this step (a float32 value, as the official code computes it) */
  cfg: number;
  /** per image: token indices predicted at this step, ascending */
  predicted: number[][];
  /** kept positions of the buffer+N sequence, per row (B, L): buffers then seen tokens ascending */
  keep: Uint32Array;
  /** L = buffer + seen tokens */
  l: number;
  /** decoder gather index per row (B, buffer+N): 0 = mask token, j+1 = encoder row j */
  gather: BigInt64Array;
  /** LLM attention bias (B, 1, L, P+L) over the prompt cache (the positions: text2image's loopRope) */
  attentionBias: Float32Array;
  /** diffusion head: decoder-output row for each sampled row (M = Mc or 2·Mc) */
  condRows: Uint32Array;
  /** diffusion head: sampling steps S_k of this step */
  samplingSteps: number;
  /** diffusion head: per conditional row (Mc) its row in packNoise's output, rows of (S_k+1)·16 */
  noiseRows: Uint32Array;
  /** per conditional row the float offset of its S_k + 1 slots in the request's noise (§6 layout) */
  noiseOffsets: Uint32Array;
  /** token rows (B·N) that receive conditional sample r: rows r (cond) and Mc + r (uncond) */
  targets: Uint32Array;
}

export interface PlanInput {
  n: number;              // images
  tokens: number;         // N = gh·gw
  buffer: number;         // buffer slots
  steps: number;          // K
  cfg: number;
  cfgSchedule: 'constant' | 'linear';
  orders: number[][];     // per image the u generated tokens, in masking order
  promptValid: number[];  // valid prompt length per row (B rows)
  promptLen: number;      // P (padded)
  samplingSteps: number[]; // S_k per MAR step (K entries)
}

export type Preset = 'default' | 'fast';
const FAST_FIRST = 50;
const FAST_LAST = 5;

/** The fast preset's head-step annealing (DiSA, arXiv 2505.20297, `disa_50_5`): S_k = 5 +
 * floor((K−1−k)/(K−1)·45) at MAR step k of K, 50 for K = 1. Integer arithmetic, so no rounding of
 * the fraction can move a floor (the reference computes it the same way). */
export function fastSamplingSteps(steps: number): number[] {
  if (steps === 1) return [FAST_FIRST];
  const span = FAST_FIRST - FAST_LAST;
  return Array.from({ length: steps }, (_, k) => FAST_LAST + Math.floor(((steps - 1 - k) * span) / (steps - 1)));
}

/** S_k of every MAR step: `samplingSteps` at each, or the fast preset's annealing. */
export function headSteps(preset: Preset, steps: number, samplingSteps: number): number[] {
  return preset === 'fast' ? fastSamplingSteps(steps) : new Array(steps).fill(samplingSteps);
}

/** Tokens each step predicts (the same for every image): masked before it and not after it; the
 * last step predicts every token still masked. */
export function predictedCounts(n: number, steps: number): number[] {
  let masked = n;
  return maskLengths(n, steps).map((ml, k) => {
    const c = k === steps - 1 ? masked : masked - ml;
    masked = ml;
    return c;
  });
}

/** Noise slots (16 floats each) per image: Σ over the u generated tokens of S_k + 1, k the step
 * that predicts the token; u·(S+1) at one S. */
export function noiseSlots(u: number, samplingSteps: number[]): number {
  return predictedCounts(u, samplingSteps.length).reduce((s, c, k) => s + c * (samplingSteps[k] + 1), 0);
}

/** The noise regrouped for the kernels: step by step, the step's rows of (S_k+1)·16 floats in the
 * order of its conditional rows, each step's block starting at a multiple of its own stride. */
export function packNoise(noise: Float32Array, plans: StepPlan[]): Float32Array {
  let total = 0;
  for (const p of plans) if (p.noiseRows.length) total = (p.noiseRows[p.noiseRows.length - 1] + 1) * (p.samplingSteps + 1) * 16;
  const out = new Float32Array(Math.max(total, 16));
  for (const p of plans) {
    const stride = (p.samplingSteps + 1) * 16;
    p.noiseOffsets.forEach((src, i) => out.set(noise.subarray(src, src + stride), p.noiseRows[i] * stride));
  }
  return out;
}

/** floor(N·cos(π/2·(k+1)/K)) clamped to [1, masked − 1]: tokens left masked after each step. */
export function maskLengths(n: number, steps: number): number[] {
  const out: number[] = [];
  let masked = n;
  for (let k = 0; k < steps; k++) {
    let ml = Math.floor(n * Math.cos((Math.PI / 2) * ((k + 1) / steps)));
    ml = Math.max(1, Math.min(masked - 1, ml));
    out.push(ml);
    masked = ml;
  }
  return out;
}

/** Guidance scale of a step; `n` is the number of generated tokens (N, or u). */
export function cfgAt(cfg: number, schedule: 'constant' | 'linear', n: number, maskLen: number): number {
  const f = Math.fround;
  if (schedule === 'linear') return f(f(1) + f(f(f(cfg - 1) * f(f(n) - f(maskLen))) / f(n)));
  return f(cfg);
}

/** Orders (n × u): per image u distinct token indices of 0…tokens−1, the same u for every image. */
export function checkOrders(orders: number[][], n: number, tokens: number): void {
  if (!Array.isArray(orders) || orders.length !== n) throw new Error(`orders: expected ${n} list(s), got ${Array.isArray(orders) ? orders.length : typeof orders}`);
  const u = Array.isArray(orders[0]) ? orders[0].length : 0;
  orders.forEach((o, b) => {
    const seen = new Uint8Array(tokens);
    if (!Array.isArray(o) || o.length !== u || u < 1 || o.some((v) => !Number.isInteger(v) || v < 0 || v >= tokens || seen[v]++))
      throw new Error(`orders[${b}] must list ${u || 'at least 1'} distinct token indices of 0…${tokens - 1}`);
  });
}

/** The token buffer before the loop (B × N × 16): per row the known latents (N × 16) of the canvas,
 * zero at the tokens its image generates. */
export function initialTokens(known: Float32Array, orders: number[][], batch: number, tokens: number): Float32Array {
  const out = new Float32Array(batch * tokens * 16);
  for (let r = 0; r < batch; r++) {
    out.set(known.subarray(0, tokens * 16), r * tokens * 16);
    for (const i of orders[r % orders.length]) out.fill(0, (r * tokens + i) * 16, (r * tokens + i + 1) * 16);
  }
  return out;
}

export const MASKED = -3.4028234663852886e38; // float32 minimum, as the reference's mask

/**
 * Additive attention bias (B, 1, T, C+T) for T new tokens after C cached ones per row: a query sees
 * the first valid[r] cached positions (the rest is padding) and the new tokens up to itself.
 */
export function attentionBiasFor(valid: number[], cached: number, t: number): Float32Array {
  const total = cached + t;
  const out = new Float32Array(valid.length * t * total).fill(MASKED);
  valid.forEach((v, r) => {
    for (let i = 0; i < t; i++) {
      const row = (r * t + i) * total;
      out.fill(0, row, row + v);
      out.fill(0, row + cached, row + cached + i + 1);
    }
  });
  return out;
}

export function planSteps(p: PlanInput): StepPlan[] {
  checkOrders(p.orders, p.n, p.tokens);
  const guided = p.cfg !== 1;
  const B = guided ? 2 * p.n : p.n;
  const N = p.tokens;
  const u = p.orders[0].length;
  const lens = maskLengths(u, p.steps);
  const masked = p.orders.map((o) => {                         // per image (uncond rows share it)
    const m = new Uint8Array(N);
    for (const i of o) m[i] = 1;
    return m;
  });
  if (p.samplingSteps.length !== p.steps) throw new Error(`samplingSteps: expected ${p.steps} entries, got ${p.samplingSteps.length}`);
  const perImage = noiseSlots(u, p.samplingSteps) * 16;           // floats of one image's stream
  let used = 0;                                                    // floats consumed per image
  let packed = 0;                                                  // floats of packNoise's output so far
  const plans: StepPlan[] = [];
  for (let k = 0; k < p.steps; k++) {
    const S = p.samplingSteps[k];
    const stride = (S + 1) * 16;
    const last = k === p.steps - 1;
    const next = p.orders.map((o) => {
      const m = new Uint8Array(N);
      if (!last) for (const i of o.slice(0, lens[k])) m[i] = 1;
      return m;
    });
    const predicted = masked.map((m, b) => {
      const out: number[] = [];
      for (let i = 0; i < N; i++) if (m[i] && !next[b][i]) out.push(i);
      return out;
    });
    const seen = masked.map((m) => {
      const out: number[] = [];
      for (let i = 0; i < N; i++) if (!m[i]) out.push(i);
      return out;
    });
    const l = p.buffer + seen[0].length;
    const keep = new Uint32Array(B * l);
    const gather = new BigInt64Array(B * (p.buffer + N));
    const attentionBias = attentionBiasFor(p.promptValid.slice(0, B), p.promptLen, l);
    for (let r = 0; r < B; r++) {
      const img = r % p.n;
      for (let j = 0; j < p.buffer; j++) keep[r * l + j] = j;
      seen[img].forEach((i, j) => (keep[r * l + p.buffer + j] = p.buffer + i));
      for (let j = 0; j < l; j++) gather[r * (p.buffer + N) + keep[r * l + j]] = BigInt(j + 1);
    }
    const mc = predicted.reduce((s, x) => s + x.length, 0);
    const condRows = new Uint32Array(guided ? 2 * mc : mc);
    const noiseRows = new Uint32Array(mc);
    const noiseOffsets = new Uint32Array(mc);
    const targets = new Uint32Array(guided ? 2 * mc : mc);
    const row0 = Math.ceil(packed / stride);
    let r = 0;
    predicted.forEach((idx, b) => {
      idx.forEach((i, j) => {
        condRows[r] = b * N + i;
        noiseRows[r] = row0 + r;
        noiseOffsets[r] = b * perImage + used + j * stride;
        targets[r] = b * N + i;
        if (guided) {
          condRows[mc + r] = (p.n + b) * N + i;
          targets[mc + r] = (p.n + b) * N + i;
        }
        r++;
      });
    });
    used += predicted[0].length * stride;
    if (mc) packed = (row0 + mc) * stride;
    plans.push({ maskLen: lens[k], cfg: cfgAt(p.cfg, p.cfgSchedule, u, lens[k]), predicted, keep, l, gather,
      attentionBias, condRows, samplingSteps: S, noiseRows, noiseOffsets, targets });
    next.forEach((m, b) => masked[b].set(m));
  }
  return plans;
}
