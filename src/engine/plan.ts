// The MAR loop's bookkeeping, all computed on the CPU before the loop starts (DESIGN.md §2): mask
// sizes, which tokens each step predicts, the encoder's kept positions, the decoder's gather index,
// the LLM's attention mask and positions, the diffusion head's row selections and the guidance
// scale. Nothing inside the loop needs to come back from the GPU.
//
// The orders say which tokens are generated: per image u tokens in the order MAR masks them (all N
// for text-to-image). Only they start masked; the schedule runs over u; every other token is known,
// seen from step 0 by both CFG rows and never a target of a step.

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
  /** LLM attention bias (B, 1, L, P+L) and position ids (B, L) over the prompt cache */
  attentionBias: Float32Array;
  positionIds: Int32Array;
  /** diffusion head: decoder-output row for each sampled row (M = Mc or 2·Mc) */
  condRows: Uint32Array;
  /** diffusion head: noise row (image·u + slot) for each conditional row (Mc) */
  noiseRows: Uint32Array;
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
  const used = new Array(p.n).fill(0);                            // noise slots consumed per image
  const plans: StepPlan[] = [];
  for (let k = 0; k < p.steps; k++) {
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
    const positionIds = new Int32Array(B * l);
    for (let r = 0; r < B; r++) {
      const img = r % p.n;
      for (let j = 0; j < p.buffer; j++) keep[r * l + j] = j;
      seen[img].forEach((i, j) => (keep[r * l + p.buffer + j] = p.buffer + i));
      for (let j = 0; j < l; j++) gather[r * (p.buffer + N) + keep[r * l + j]] = BigInt(j + 1);
      for (let j = 0; j < l; j++) positionIds[r * l + j] = p.promptValid[r] + j;
    }
    const mc = predicted.reduce((s, x) => s + x.length, 0);
    const condRows = new Uint32Array(guided ? 2 * mc : mc);
    const noiseRows = new Uint32Array(mc);
    const targets = new Uint32Array(guided ? 2 * mc : mc);
    let r = 0;
    predicted.forEach((idx, b) => {
      idx.forEach((i, j) => {
        condRows[r] = b * N + i;
        noiseRows[r] = b * u + used[b] + j;
        targets[r] = b * N + i;
        if (guided) {
          condRows[mc + r] = (p.n + b) * N + i;
          targets[mc + r] = (p.n + b) * N + i;
        }
        r++;
      });
      used[b] += idx.length;
    });
    plans.push({ maskLen: lens[k], cfg: cfgAt(p.cfg, p.cfgSchedule, u, lens[k]), predicted, keep, l, gather,
      attentionBias, positionIds, condRows, noiseRows, targets });
    next.forEach((m, b) => masked[b].set(m));
  }
  return plans;
}
