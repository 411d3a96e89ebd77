// WebAssembly SIMD (128-bit) kernels of the CPU path, assembled here as module bytes: no
// toolchain, no npm dependency, no eval (instantiating bytes needs CSP 'wasm-unsafe-eval'). The
// module imports its memory (`env.memory`, owned and grown by the JS side, see matmul.ts) and
// exports two functions, all arguments i32, addresses and strides in BYTES:
//
//   gemm(x, xs, w, b, y, ys, m, np, kq, mode, g, gs)
//     The Linear over the panel layout of matmul.ts: output columns in panels of 8, each panel a
//     contiguous (k, 8) block (kq·4 rows of 8 f32, zero-padded), bias padded to np·8 columns. For
//     every panel and every block of 4 rows (m a multiple of 4) the 4×8 outputs live in 8 f32x4
//     accumulators; k advances in steps of 4 (the x values of a row are splat-loaded at constant
//     offsets): acc[r] += splat(x[r, k]) · w[k, 0..8). Then, with v = acc + b:
//       mode 0: y = v      mode 1: y += g ⊙ v (gated residual)      mode 2: y = SiLU(v)
//     wasm has no FMA outside relaxed SIMD (not in Node 20), so it is mul + add.
//
//   silu_add(y, a, b, rows, n4, s)
//     y[r, c] = SiLU(a[r, c] + b[c]) for r < rows, c < 4·n4; y and a with row stride s.
//
// SiLU(v) = v / (1 + e^{−v}) with e^x from a Cody–Waite reduction x = n·ln2 + r, |r| ≤ ln2/2,
// a degree-6 Taylor polynomial for e^r (relative error < 2e-7) and 2^n built in the exponent
// bits; x is clamped to [−88, 88], and SiLU(v) for v < −88 (below 1e-36 in size) is 0.

const I32 = 0x7f;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const str = (s: string) => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

// Instructions.
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const i32c = (v: number) => [0x41, ...sleb(v)];
const I32_ADD = [0x6a];
const I32_SUB = [0x6b];
const I32_MUL = [0x6c];
const I32_LT_U = [0x49];
const I32_NE = [0x47];
const I32_EQ = [0x46];
const LOOP = [0x03, 0x40];
const BLOCK = [0x02, 0x40];
const IF = [0x04, 0x40];
const ELSE = [0x05];
const END = [0x0b];
const brIf = (depth: number) => [0x0d, ...uleb(depth)];
const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
const vload = (offset: number) => simd(0x00, 4, ...uleb(offset)); // align hint 2⁴ (a hint only)
const vsplat32 = (offset: number) => simd(0x09, 2, ...uleb(offset));
const vstore = (offset: number) => simd(0x0b, 4, ...uleb(offset));
const vconstF32 = (v: number) => simd(0x0c, ...new Uint8Array(Float32Array.of(v, v, v, v).buffer));
const vconstI32 = (v: number) => simd(0x0c, ...new Uint8Array(Int32Array.of(v, v, v, v).buffer));
const VZERO = simd(0x0c, ...new Array(16).fill(0));
const F32X4_LT = simd(0x43);
const V128_ANDNOT = simd(0x4f);
const F32X4_NEAREST = simd(0x6a);
const I32X4_SHL = simd(0xab);
const I32X4_ADD = simd(0xae);
const F32X4_NEG = simd(0xe1);
const F32X4_ADD = simd(0xe4);
const F32X4_SUB = simd(0xe5);
const F32X4_MUL = simd(0xe6);
const F32X4_DIV = simd(0xe7);
const F32X4_PMIN = simd(0xea);
const F32X4_PMAX = simd(0xeb);
const I32X4_TRUNC_SAT_F32X4_S = simd(0xf8);

/** local v ← SiLU(local v), using v128 locals t1, t2. */
function silu(v: number, t1: number, t2: number): number[] {
  const out: number[] = [];
  const emit = (...parts: number[][]) => parts.forEach((p) => out.push(...p));
  // x = clamp(−v, −88, 88); n = nearest(x·log2 e); r = x − n·C1 − n·C2 (C1 + C2 = ln 2)
  emit(get(v), F32X4_NEG, vconstF32(-88), F32X4_PMAX, vconstF32(88), F32X4_PMIN, set(t1));
  emit(get(t1), vconstF32(Math.LOG2E), F32X4_MUL, F32X4_NEAREST, set(t2));
  emit(get(t1), get(t2), vconstF32(0.693359375), F32X4_MUL, F32X4_SUB);
  emit(get(t2), vconstF32(-2.12194440e-4), F32X4_MUL, F32X4_SUB, set(t1));
  // e^r = 1 + r(1 + r(1/2 + r(1/6 + r(1/24 + r(1/120 + r/720)))))
  emit(vconstF32(1 / 720), get(t1), F32X4_MUL);
  for (const c of [1 / 120, 1 / 24, 1 / 6, 1 / 2, 1]) emit(vconstF32(c), F32X4_ADD, get(t1), F32X4_MUL);
  emit(vconstF32(1), F32X4_ADD);
  // · 2^n (n + 127 in the exponent bits), then v / (1 + e^x)
  emit(get(t2), I32X4_TRUNC_SAT_F32X4_S, vconstI32(127), I32X4_ADD, i32c(23), I32X4_SHL, F32X4_MUL);
  emit(vconstF32(1), F32X4_ADD, set(t1), get(v), get(t1), F32X4_DIV);
  // v < −88: the clamped e^x would give v/(1 + e^88) instead of |SiLU| < 1e-36 → 0 (NaN stays NaN)
  emit(get(v), vconstF32(-88), F32X4_LT, V128_ANDNOT, set(v));
  return out;
}

function body(nI32: number, nV128: number, code: number[]): number[] {
  return [...uleb(2), ...uleb(nI32), I32, ...uleb(nV128), V128, ...code, ...END];
}

function gemmBody(): number[] {
  const [X, XS, W, B, Y, YS, M, NP, KQ, MODE, G, GS] = Array.from({ length: 12 }, (_, i) => i);
  const NI32 = 13;
  const [P, R, X0, X1, X2, X3, WP, KK, XROW, YROW, GROW, ADDR, GADDR] = Array.from({ length: NI32 }, (_, i) => 12 + i);
  const V0 = 12 + NI32;
  const [W0, W1, S, B0, B1, T1, T2] = Array.from({ length: 7 }, (_, i) => V0 + i);
  const ACC = (r: number, c: number) => V0 + 7 + 2 * r + c;
  const NV128 = 7 + 8;
  const XR = [X0, X1, X2, X3];
  const b: number[] = [];
  const emit = (...parts: number[][]) => parts.forEach((p) => b.push(...p));
  const rowAddr = (base: number, stride: number, r: number, to: number) => emit(get(base), get(stride), i32c(r), I32_MUL, I32_ADD, set(to));

  emit(get(NP), set(P));
  emit(LOOP); // panels
  emit(get(X), set(XROW), get(Y), set(YROW), get(G), set(GROW), i32c(0), set(R));
  emit(LOOP); // blocks of 4 rows
  emit(get(XROW), set(X0));
  for (let r = 1; r < 4; r++) emit(get(XR[r - 1]), get(XS), I32_ADD, set(XR[r]));
  emit(get(W), set(WP), get(KQ), set(KK));
  for (let r = 0; r < 4; r++) for (let c = 0; c < 2; c++) emit(VZERO, set(ACC(r, c)));
  emit(LOOP); // k, 4 at a time
  for (let u = 0; u < 4; u++) {
    emit(get(WP), vload(u * 32), set(W0), get(WP), vload(u * 32 + 16), set(W1));
    for (let r = 0; r < 4; r++) {
      emit(get(XR[r]), vsplat32(u * 4), set(S));
      for (let c = 0; c < 2; c++) emit(get(ACC(r, c)), get(S), get(c === 0 ? W0 : W1), F32X4_MUL, F32X4_ADD, set(ACC(r, c)));
    }
  }
  for (let r = 0; r < 4; r++) emit(get(XR[r]), i32c(16), I32_ADD, set(XR[r]));
  emit(get(WP), i32c(128), I32_ADD, set(WP));
  emit(get(KK), i32c(1), I32_SUB, set(KK), get(KK), brIf(0));
  emit(END);
  // epilogue: v = acc + b, then by mode
  emit(get(B), vload(0), set(B0), get(B), vload(16), set(B1));
  for (let r = 0; r < 4; r++) for (let c = 0; c < 2; c++) emit(get(ACC(r, c)), get(c === 0 ? B0 : B1), F32X4_ADD, set(ACC(r, c)));
  emit(get(MODE), i32c(1), I32_EQ, IF);
  for (let r = 0; r < 4; r++) {
    rowAddr(YROW, YS, r, ADDR);
    rowAddr(GROW, GS, r, GADDR);
    for (let c = 0; c < 2; c++) {
      emit(get(ADDR), get(ADDR), vload(16 * c), get(GADDR), vload(16 * c), get(ACC(r, c)), F32X4_MUL, F32X4_ADD, vstore(16 * c));
    }
  }
  emit(ELSE);
  emit(get(MODE), i32c(2), I32_EQ, IF);
  for (let r = 0; r < 4; r++) for (let c = 0; c < 2; c++) emit(silu(ACC(r, c), T1, T2));
  emit(END);
  for (let r = 0; r < 4; r++) {
    rowAddr(YROW, YS, r, ADDR);
    for (let c = 0; c < 2; c++) emit(get(ADDR), get(ACC(r, c)), vstore(16 * c));
  }
  emit(END);
  // next row block
  for (const [p, s] of [[XROW, XS], [YROW, YS], [GROW, GS]]) emit(get(p), get(s), i32c(4), I32_MUL, I32_ADD, set(p));
  emit(get(R), i32c(4), I32_ADD, set(R), get(R), get(M), I32_LT_U, brIf(0));
  emit(END);
  // next panel: w += kq·128 bytes; b, y, g += 32 bytes
  emit(get(W), get(KQ), i32c(128), I32_MUL, I32_ADD, set(W));
  for (const p of [B, Y, G]) emit(get(p), i32c(32), I32_ADD, set(p));
  emit(get(P), i32c(1), I32_SUB, set(P), get(P), i32c(0), I32_NE, brIf(0));
  emit(END);
  return body(NI32, NV128, b);
}

function siluAddBody(): number[] {
  const [Y, A, B, ROWS, N4, S] = Array.from({ length: 6 }, (_, i) => i);
  const [R, C, YP, AP, BP] = Array.from({ length: 5 }, (_, i) => 6 + i);
  const [V, T1, T2] = [11, 12, 13];
  const b: number[] = [];
  const emit = (...parts: number[][]) => parts.forEach((p) => b.push(...p));
  emit(i32c(0), set(R));
  emit(BLOCK, get(ROWS), i32c(0), I32_EQ, brIf(0), get(N4), i32c(0), I32_EQ, brIf(0));
  emit(LOOP); // rows
  emit(get(Y), get(R), get(S), I32_MUL, I32_ADD, set(YP));
  emit(get(A), get(R), get(S), I32_MUL, I32_ADD, set(AP));
  emit(get(B), set(BP), get(N4), set(C));
  emit(LOOP); // columns, 4 at a time
  emit(get(AP), vload(0), get(BP), vload(0), F32X4_ADD, set(V));
  emit(silu(V, T1, T2));
  emit(get(YP), get(V), vstore(0));
  for (const p of [YP, AP, BP]) emit(get(p), i32c(16), I32_ADD, set(p));
  emit(get(C), i32c(1), I32_SUB, set(C), get(C), brIf(0));
  emit(END);
  emit(get(R), i32c(1), I32_ADD, set(R), get(R), get(ROWS), I32_LT_U, brIf(0));
  emit(END, END);
  return body(5, 3, b);
}

/** The module bytes (about 2 KB). */
export function simdModuleBytes(): Uint8Array<ArrayBuffer> {
  const fn = (n: number) => [0x60, ...uleb(n), ...new Array(n).fill(I32), ...uleb(0)];
  const type = section(1, [...uleb(2), ...fn(12), ...fn(6)]);
  const imports = section(2, [...uleb(1), ...str('env'), ...str('memory'), 0x02, 0x00, ...uleb(1)]);
  const funcs = section(3, [...uleb(2), ...uleb(0), ...uleb(1)]);
  const exports = section(7, [...uleb(2), ...str('gemm'), 0x00, ...uleb(0), ...str('silu_add'), 0x00, ...uleb(1)]);
  const bodies = [gemmBody(), siluAddBody()];
  const code = section(10, [...uleb(bodies.length), ...bodies.flatMap((bd) => [...uleb(bd.length), ...bd])]);
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...type, ...imports, ...funcs, ...exports, ...code]);
}

export interface SimdKernels {
  gemm(x: number, xs: number, w: number, b: number, y: number, ys: number, m: number, np: number, kq: number, mode: number, g: number, gs: number): void;
  silu_add(y: number, a: number, b: number, rows: number, n4: number, s: number): void;
}

let compiled: WebAssembly.Module | null | undefined;

/**
 * The compiled module, or null where WebAssembly or its SIMD proposal is missing (or compiling is
 * forbidden, e.g. a CSP without 'wasm-unsafe-eval'). Compiled once per realm, synchronously: the
 * module is far below the size at which browsers refuse synchronous compiles on the main thread.
 */
export function simdModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  try {
    if (typeof WebAssembly === 'object') {
      const bytes = simdModuleBytes();
      if (WebAssembly.validate(bytes)) compiled = new WebAssembly.Module(bytes);
    }
  } catch {
    compiled = null;
  }
  return compiled;
}

/** The kernels over `memory`, or null (see simdModule). */
export function instantiateSimd(memory: WebAssembly.Memory): SimdKernels | null {
  const mod = simdModule();
  if (!mod) return null;
  try {
    return new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as SimdKernels;
  } catch {
    return null;
  }
}
