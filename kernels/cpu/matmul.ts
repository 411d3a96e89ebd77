// The blocked f32 Linear of the CPU kernels: y[m, n] = b[n] + Σ_k x[m, k]·W[n, k], W (out, in)
// row-major as PyTorch stores it. Two implementations over one "heap" (a Float32Array holding the
// packed weights and the activations, addressed by float offsets):
//
//   wasm: WebAssembly SIMD (wasm_simd.ts), 4 rows × 8 outputs per block in f32x4 accumulators,
//         weights repacked once into panels of 8 outputs, each a contiguous (k, 8) block;
//   js:   plain JS fallback, 4 rows × 4 outputs per block in local accumulators, k innermost and
//         contiguous in both x and W (weights kept (out, in), padded).
//
// Padding, so that the kernels need no edge cases: rows are processed in blocks of 4 (callers size
// activation buffers for ⌈m/4⌉·4 rows; the extra rows compute harmless values nobody reads), the
// input dimension is padded to a multiple of 4 and the output dimension to a multiple of 8, both
// with zero weights (so zero-filled padding columns of x and y stay consistent). A Linear's output
// may be split into segments (e.g. the stacked adaLN Linear: (3R+2) segments of W), each padded on
// its own, so segment s starts at column s·⌈W/8⌉·8 of y.
//
// Epilogues: mode 0 stores y = acc + b; mode 1 is the gated residual y += g ⊙ (acc + b) with g
// read at the same (row, column) of a second matrix with its own row stride; mode 2 stores
// y = SiLU(acc + b).

import { type SimdKernels, instantiateSimd, simdModule } from './wasm_simd';

export type CpuBackend = 'wasm' | 'js';

/** 0: y = x·Wᵀ + b;  1: y += g ⊙ (x·Wᵀ + b);  2: y = SiLU(x·Wᵀ + b). */
export type LinearMode = 0 | 1 | 2;

export const ceilTo = (n: number, to: number): number => Math.ceil(n / to) * to;

const PAGE_FLOATS = 65536 / 4;

/** Whether the WebAssembly SIMD kernel can run here. */
export function wasmSimdAvailable(): boolean {
  return simdModule() !== null;
}

/**
 * Float storage shared by the kernel and the JS code around it, with a bump allocator. For the
 * wasm backend it is a WebAssembly.Memory (which only grows: re-read `f32` after any `alloc`).
 */
export class CpuHeap {
  readonly backend: CpuBackend;
  private memory?: WebAssembly.Memory;
  private wasm?: SimdKernels;
  f32: Float32Array;
  /** Next free float (always a multiple of 4: 16-byte alignment). */
  top = 0;

  /** `backend` 'auto' (default) takes wasm when available. */
  constructor(backend: CpuBackend | 'auto' = 'auto', initialFloats = PAGE_FLOATS) {
    if (backend !== 'js') {
      const pages = Math.max(1, Math.ceil(initialFloats / PAGE_FLOATS));
      const memory = simdModule() ? new WebAssembly.Memory({ initial: pages }) : undefined;
      const wasm = memory ? instantiateSimd(memory) : null;
      if (memory && wasm) {
        this.memory = memory;
        this.wasm = wasm;
      } else if (backend === 'wasm') {
        throw new Error('cpu kernels: WebAssembly SIMD is not available here');
      }
    }
    this.backend = this.wasm ? 'wasm' : 'js';
    this.f32 = this.memory ? new Float32Array(this.memory.buffer) : new Float32Array(ceilTo(initialFloats, 4));
  }

  /** Makes room for `floats` floats in total. */
  reserve(floats: number): void {
    if (floats <= this.f32.length) return;
    const want = Math.max(floats, Math.ceil(this.f32.length * 1.5));
    if (this.memory) {
      this.memory.grow(Math.ceil((want - this.f32.length) / PAGE_FLOATS));
      this.f32 = new Float32Array(this.memory.buffer);
    } else {
      const next = new Float32Array(ceilTo(want, 4));
      next.set(this.f32);
      this.f32 = next;
    }
  }

  /** Float offset of `floats` fresh floats (16-byte aligned; contents undefined unless `zero`). */
  alloc(floats: number, zero = false): number {
    const at = this.top;
    this.top = ceilTo(at + floats, 4);
    this.reserve(this.top);
    if (zero) this.f32.fill(0, at, at + floats);
    return at;
  }

  /** y[r, c] = SiLU(a[r, c] + b[c]) for r < rows, c < n (n a multiple of 4); row stride s. */
  siluAdd(y: number, a: number, b: number, rows: number, n: number, s: number): void {
    if (this.wasm) {
      this.wasm.silu_add(4 * y, 4 * a, 4 * b, rows, n / 4, 4 * s);
      return;
    }
    const f = this.f32;
    for (let r = 0; r < rows; r++) {
      const yo = y + r * s;
      const ao = a + r * s;
      for (let c = 0; c < n; c++) {
        const v = f[ao + c] + f[b + c];
        f[yo + c] = v / (1 + Math.exp(-v));
      }
    }
  }

  /** Runs one packed Linear (see `linear`). */
  gemm(l: PackedLinear, x: number, xs: number, y: number, ys: number, m4: number, mode: LinearMode, g: number, gs: number): void {
    if (this.wasm) {
      this.wasm.gemm(4 * x, 4 * xs, 4 * l.w, 4 * l.b, 4 * y, 4 * ys, m4, l.np / 8, l.kp / 4, mode, 4 * g, 4 * gs);
    } else {
      gemmJs(this.f32, l.w, l.b, l.kp, l.np, x, xs, y, ys, m4, mode, g, gs);
    }
  }
}

/** A Linear packed into a heap. Offsets and sizes in floats. */
export interface PackedLinear {
  /** Weights (backend layout) and padded bias (np). */
  w: number;
  b: number;
  inDim: number;
  outDim: number;
  /** Input dimension padded to a multiple of 4: x rows must hold kp floats (zeros past inDim). */
  kp: number;
  /** Padded output width (a multiple of 8): y rows receive np floats. */
  np: number;
  /** Output rows per segment and the padded width of a segment. */
  segment: number;
  segmentPadded: number;
}

/**
 * Packs weight (outDim, inDim) and bias (outDim) into `heap`. With `segment` < outDim the outputs
 * are split into segments of that many rows, each padded to a multiple of 8 columns of y.
 */
export function packLinear(
  heap: CpuHeap,
  weight: Float32Array,
  bias: Float32Array,
  inDim: number,
  outDim: number,
  segment = outDim,
): PackedLinear {
  if (weight.length !== inDim * outDim) throw new Error(`packLinear: weight has ${weight.length} floats, not ${outDim}×${inDim}`);
  if (bias.length !== outDim) throw new Error(`packLinear: bias has ${bias.length} floats, not ${outDim}`);
  if (outDim % segment !== 0) throw new Error(`packLinear: ${outDim} outputs are not whole segments of ${segment}`);
  const kp = ceilTo(inDim, 4);
  const segmentPadded = ceilTo(segment, 8);
  const np = (outDim / segment) * segmentPadded;
  const w = heap.alloc(np * kp, true);
  const b = heap.alloc(np, true);
  const h = heap.f32;
  for (let o = 0; o < outDim; o++) {
    const col = Math.floor(o / segment) * segmentPadded + (o % segment);
    h[b + col] = bias[o];
    if (heap.backend === 'wasm') {
      // panel p = col / 8: floats [p·kp·8, (p+1)·kp·8), row k at k·8, column col % 8
      const base = w + Math.floor(col / 8) * kp * 8 + (col % 8);
      for (let k = 0; k < inDim; k++) h[base + k * 8] = weight[o * inDim + k];
    } else {
      h.set(weight.subarray(o * inDim, (o + 1) * inDim), w + col * kp);
    }
  }
  return { w, b, inDim, outDim, kp, np, segment, segmentPadded };
}

/**
 * y (m4, np) at row stride ys ← x (m4, kp) at row stride xs through `l` (mode 0), or
 * y += g ⊙ (x·Wᵀ + b) (mode 1, g at row stride gs), or y = SiLU(x·Wᵀ + b) (mode 2).
 * m4 must be a positive multiple of 4.
 */
export function linear(
  heap: CpuHeap,
  l: PackedLinear,
  x: number,
  xs: number,
  y: number,
  ys: number,
  m4: number,
  mode: LinearMode = 0,
  g = 0,
  gs = 0,
): void {
  heap.gemm(l, x, xs, y, ys, m4, mode, g, gs);
}

const silu = (v: number) => v / (1 + Math.exp(-v));

/** The JS kernel: W (np, kp) row-major in the heap; 4 rows × 4 outputs per block. */
function gemmJs(
  h: Float32Array, w: number, b: number, kp: number, np: number,
  x: number, xs: number, y: number, ys: number, m4: number, mode: number, g: number, gs: number,
): void {
  for (let o = 0; o < np; o += 4) {
    const w0 = w + o * kp;
    const w1 = w0 + kp;
    const w2 = w1 + kp;
    const w3 = w2 + kp;
    const b0 = h[b + o];
    const b1 = h[b + o + 1];
    const b2 = h[b + o + 2];
    const b3 = h[b + o + 3];
    for (let r = 0; r < m4; r += 4) {
      const x0 = x + r * xs;
      const x1 = x0 + xs;
      const x2 = x1 + xs;
      const x3 = x2 + xs;
      let a00 = b0, a01 = b1, a02 = b2, a03 = b3;
      let a10 = b0, a11 = b1, a12 = b2, a13 = b3;
      let a20 = b0, a21 = b1, a22 = b2, a23 = b3;
      let a30 = b0, a31 = b1, a32 = b2, a33 = b3;
      for (let k = 0; k < kp; k++) {
        const v0 = h[x0 + k];
        const v1 = h[x1 + k];
        const v2 = h[x2 + k];
        const v3 = h[x3 + k];
        let c = h[w0 + k];
        a00 += v0 * c; a10 += v1 * c; a20 += v2 * c; a30 += v3 * c;
        c = h[w1 + k];
        a01 += v0 * c; a11 += v1 * c; a21 += v2 * c; a31 += v3 * c;
        c = h[w2 + k];
        a02 += v0 * c; a12 += v1 * c; a22 += v2 * c; a32 += v3 * c;
        c = h[w3 + k];
        a03 += v0 * c; a13 += v1 * c; a23 += v2 * c; a33 += v3 * c;
      }
      let q = y + r * ys + o;
      if (mode === 2) {
        a00 = silu(a00); a01 = silu(a01); a02 = silu(a02); a03 = silu(a03);
        a10 = silu(a10); a11 = silu(a11); a12 = silu(a12); a13 = silu(a13);
        a20 = silu(a20); a21 = silu(a21); a22 = silu(a22); a23 = silu(a23);
        a30 = silu(a30); a31 = silu(a31); a32 = silu(a32); a33 = silu(a33);
      }
      if (mode !== 1) {
        h[q] = a00; h[q + 1] = a01; h[q + 2] = a02; h[q + 3] = a03; q += ys;
        h[q] = a10; h[q + 1] = a11; h[q + 2] = a12; h[q + 3] = a13; q += ys;
        h[q] = a20; h[q + 1] = a21; h[q + 2] = a22; h[q + 3] = a23; q += ys;
        h[q] = a30; h[q + 1] = a31; h[q + 2] = a32; h[q + 3] = a33;
      } else {
        let e = g + r * gs + o;
        h[q] += h[e] * a00; h[q + 1] += h[e + 1] * a01; h[q + 2] += h[e + 2] * a02; h[q + 3] += h[e + 3] * a03; q += ys; e += gs;
        h[q] += h[e] * a10; h[q + 1] += h[e + 1] * a11; h[q + 2] += h[e + 2] * a12; h[q + 3] += h[e + 3] * a13; q += ys; e += gs;
        h[q] += h[e] * a20; h[q + 1] += h[e + 1] * a21; h[q + 2] += h[e + 2] * a22; h[q + 3] += h[e + 3] * a23; q += ys; e += gs;
        h[q] += h[e] * a30; h[q + 1] += h[e + 1] * a31; h[q + 2] += h[e + 2] * a32; h[q + 3] += h[e + 3] * a33;
      }
    }
  }
}

/**
 * One-off convenience: y (rows, outDim) = x (rows, inDim) · Wᵀ + b with the blocked kernel. Packs
 * the weights on every call (use packLinear + linear to keep them).
 */
export function linearCpu(
  x: Float32Array,
  rows: number,
  weight: Float32Array,
  bias: Float32Array,
  inDim: number,
  outDim: number,
  opts: { backend?: CpuBackend | 'auto'; out?: Float32Array } = {},
): Float32Array {
  if (x.length < rows * inDim) throw new Error(`linearCpu: x has ${x.length} floats, need ${rows}×${inDim}`);
  const heap = new CpuHeap(opts.backend ?? 'auto');
  const l = packLinear(heap, weight, bias, inDim, outDim);
  const m4 = ceilTo(Math.max(rows, 1), 4);
  const xo = heap.alloc(m4 * l.kp, true);
  const yo = heap.alloc(m4 * l.np);
  const h = heap.f32;
  for (let r = 0; r < rows; r++) h.set(x.subarray(r * inDim, (r + 1) * inDim), xo + r * l.kp);
  linear(heap, l, xo, l.kp, yo, l.np, m4);
  const out = opts.out ?? new Float32Array(rows * outDim);
  const f = heap.f32;
  for (let r = 0; r < rows; r++) out.set(f.subarray(yo + r * l.np, yo + r * l.np + outDim), r * outDim);
  return out;
}

export interface GemmPeak {
  backend: CpuBackend;
  gflops: number;
  /** ms per m×n×k Linear. */
  ms: number;
}

/**
 * Times the blocked Linear on (m, k) × (n, k)ᵀ (m a multiple of 4 and n of 8 measure the kernel
 * itself) for about `budgetMs` after a warm-up (best batch): the "peak" the head's throughput is compared to.
 */
export function gemmPeakCpu(m: number, n: number, k: number, opts: { backend?: CpuBackend | 'auto'; budgetMs?: number } = {}): GemmPeak {
  const heap = new CpuHeap(opts.backend ?? 'auto');
  const weight = new Float32Array(n * k).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const l = packLinear(heap, weight, new Float32Array(n), k, n);
  const m4 = ceilTo(m, 4);
  const xo = heap.alloc(m4 * l.kp, true);
  const yo = heap.alloc(m4 * l.np);
  heap.f32.fill(0.25, xo, xo + m4 * l.kp);
  const run = () => linear(heap, l, xo, l.kp, yo, l.np, m4);
  const budget = opts.budgetMs ?? 300;
  let t0 = performance.now();
  while (performance.now() - t0 < budget / 4) run();
  // Best batch of 8: on a shared machine contention only ever adds time.
  let ms = Infinity;
  t0 = performance.now();
  do {
    const t = performance.now();
    for (let i = 0; i < 8; i++) run();
    ms = Math.min(ms, (performance.now() - t) / 8);
  } while (performance.now() - t0 < budget);
  return { backend: heap.backend, ms, gflops: (2 * m * n * k) / ms / 1e6 };
}
