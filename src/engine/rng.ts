// Seeded randomness for orders and noise when the caller does not inject them. Not the same stream
// as PyTorch's generator (nothing could be): reproducible within this engine; exact comparisons with
// the reference inject `orders` and `noise` instead (DESIGN.md §6).

/** xoshiro128** seeded through splitmix32: fast, well-distributed 32-bit outputs. */
export class Rng {
  private s = new Uint32Array(4);

  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** uniform in (0, 1) */
  uniform(): number {
    return (this.nextU32() + 0.5) / 4294967296;
  }

  /** a random permutation of 0…n−1 (Fisher–Yates) */
  permutation(n: number): number[] {
    const p = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.nextU32() % (i + 1);
      [p[i], p[j]] = [p[j], p[i]];
    }
    return p;
  }

  /** standard normal samples (Box–Muller) */
  normal(count: number): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i += 2) {
      const r = Math.sqrt(-2 * Math.log(this.uniform()));
      const th = 2 * Math.PI * this.uniform();
      out[i] = r * Math.cos(th);
      if (i + 1 < count) out[i + 1] = r * Math.sin(th);
    }
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** orders (n permutations of N) and noise (n × N × (S+1) × 16) from one seed */
export function seededInputs(seed: number, n: number, tokens: number, samplingSteps: number) {
  const rng = new Rng(seed);
  const orders = Array.from({ length: n }, () => rng.permutation(tokens));
  const noise = rng.normal(n * tokens * (samplingSteps + 1) * 16);
  return { orders, noise };
}
