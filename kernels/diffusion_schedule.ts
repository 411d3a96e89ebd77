// The diffusion head's sampling schedule (MAR's create_diffusion: 1000-step cosine schedule,
// learned-range variance, respaced to S steps) and its timestep embedding features. Tables are
// computed in float64 like the numpy original, then stored as f32 — the precision at which the
// PyTorch sampler reads them.

export const TRAIN_STEPS = 1000;
export const TIME_FREQ_DIM = 256;

/** ᾱ of the 1000-step cosine schedule (betas clipped at 0.999), float64. */
export function cosineAlphasCumprod(T = TRAIN_STEPS): Float64Array {
  const a = (s: number) => Math.cos(((s + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const out = new Float64Array(T);
  let prod = 1;
  for (let i = 0; i < T; i++) {
    prod *= 1 - Math.min(1 - a((i + 1) / T) / a(i / T), 0.999);
    out[i] = prod;
  }
  return out;
}

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * The S kept timesteps t_j = round(j·999/(S−1)) with Python's rounding, as DESIGN.md §2 defines them
 * (and as models/harmon/sampler.py computes them: the same float64 operations in the same order).
 * MAR's own space_timesteps accumulates the stride instead; the two differ for some S (e.g. S = 21,
 * j = 10: 499.5 exactly here → 500, the accumulated sum lands just below → 499), never for S = 100.
 */
export function samplingTimesteps(steps: number, T = TRAIN_STEPS): number[] {
  if (!Number.isInteger(steps) || steps < 2 || steps > T) throw new Error(`sampling steps ${steps} not in 2..${T}`);
  const out: number[] = [];
  for (let j = 0; j < steps; j++) out.push(roundHalfEven((j * (T - 1)) / (steps - 1)));
  return out;
}

export interface DiffusionSchedule {
  steps: number;
  /** Original timestep index seen by the network at sampling step j. */
  timesteps: number[];
  /** Per sampling step j, f32 (float64 results rounded once). */
  betas: Float32Array;
  alphasCumprod: Float32Array;
  sqrtRecip: Float32Array;
  sqrtRecipM1: Float32Array;
  coef1: Float32Array;
  coef2: Float32Array;
  /** log posterior variance, entry 0 replaced by entry 1. */
  minLog: Float32Array;
  /** log β'. */
  maxLog: Float32Array;
}

export function respacedSchedule(steps: number): DiffusionSchedule {
  const ac = cosineAlphasCumprod();
  const timesteps = samplingTimesteps(steps);
  const S = steps;
  const beta = new Float64Array(S);
  const acs = new Float64Array(S);
  let last = 1;
  let prod = 1;
  timesteps.forEach((t, j) => {
    beta[j] = 1 - ac[t] / last;
    last = ac[t];
    prod *= 1 - beta[j];
    acs[j] = prod;
  });
  const prev = (j: number) => (j === 0 ? 1 : acs[j - 1]);
  const postVar = (j: number) => (beta[j] * (1 - prev(j))) / (1 - acs[j]);
  const table = (f: (j: number) => number) => Float32Array.from({ length: S }, (_, j) => f(j));
  return {
    steps,
    timesteps,
    betas: table((j) => beta[j]),
    alphasCumprod: table((j) => acs[j]),
    sqrtRecip: table((j) => Math.sqrt(1 / acs[j])),
    sqrtRecipM1: table((j) => Math.sqrt(1 / acs[j] - 1)),
    coef1: table((j) => (beta[j] * Math.sqrt(prev(j))) / (1 - acs[j])),
    coef2: table((j) => ((1 - prev(j)) * Math.sqrt(1 - beta[j])) / (1 - acs[j])),
    minLog: table((j) => Math.log(postVar(j === 0 ? 1 : j))),
    maxLog: table((j) => Math.log(beta[j])),
  };
}

/**
 * The 256-dim sinusoidal features of timestep t, as torch computes them in f32:
 * freqs = exp(−ln(10000)·i/128) (i = 0..127), args = t·freqs, [cos(args), sin(args)].
 */
export function timestepFeatures(t: number, dim = TIME_FREQ_DIM): Float32Array {
  const f = Math.fround;
  const half = dim / 2;
  const negLogMax = f(-Math.log(10000));
  const out = new Float32Array(dim);
  for (let i = 0; i < half; i++) {
    const freq = f(Math.exp(f(f(negLogMax * i) / half)));
    const arg = f(t * freq);
    out[i] = Math.cos(arg);
    out[half + i] = Math.sin(arg);
  }
  return out;
}
