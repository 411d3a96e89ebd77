// Does a package fit this backend? Decided from the manifest alone (every file's size, every graph's
// weight bytes and largest weight), before a byte of the weights is downloaded: a 1.5B package is
// gigabytes, and each limit below would otherwise be met after the download, as an allocation
// failure deep inside onnxruntime-web. Each refusal names the limit and what to choose instead.

import type { Manifest } from './package';

const GiB = 2 ** 30;

/** onnxruntime-web's WebAssembly memory: a wasm32 heap of at most 65536 pages (its build's maximum). */
export const WASM_MEMORY_BYTES = 4 * GiB;
/** protobuf refuses to parse a message over 2 GiB: one .onnx file (its external data aside). */
export const PROTOBUF_BYTES = 2 * GiB;
/**
 * The WASM execution provider's heap after loading, beyond the weights, per byte of the largest
 * graph: measured (`npm run bench -- --preset`, ORT's heap after load minus the graphs' weights)
 * 0.76 for Harmon-0.5B fp32 (4.03 GB heap: 2.94 GB of weights, the LLM's 1.43 GB the largest), 0.5
 * for its q4 (0.79 GB: 0.68 + 0.22 GB), 0.16 for 1.5B q4 (1.86 GB: 1.73 + 0.82 GB) — the graph's
 * bytes copied into the heap while its session is created and the MatMul weights pre-packed, memory
 * the heap keeps (it never shrinks). The 0.5B fp32 heap then stayed at 4.03 GB through a 512² image.
 */
export const WASM_LOAD_FACTOR = 0.8;
/**
 * The WASM execution provider computes an fp16 graph in fp32: the weights' fp32 copies (2 bytes per
 * fp16 byte) sit in the heap next to the fp16 ones. Measured: Harmon-0.5B fp16 (1.47 GB of weights)
 * fails on wasm with std::bad_alloc while its sessions are created, where fp32 (2.94 GB) loads.
 */
export const FP16_ON_WASM_COPY = 2;
export interface FitTarget {
  backend: 'wasm' | 'webgpu';
  /** the largest ArrayBuffer this browser allocates, at least (each file is downloaded into one) */
  maxArrayBufferBytes: number;
  /** webgpu only: the device's limits and features */
  gpu?: { maxBufferSize: number; maxStorageBufferBindingSize: number; f16: boolean };
}

export interface FitProblem {
  /** the limit, as a reader would look it up */
  limit: string;
  /** what in the package meets it, with the numbers */
  detail: string;
  /** what to choose instead */
  instead: string;
}

const size = (n: number) => (n >= GiB ? `${(n / GiB).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(0)} MiB`);

/** Each graph's weight bytes: the manifest's `weights` (converters since the size checks), else its
 * files' bytes (the .onnx and its .data: the weights plus a little structure). */
function graphBytes(m: Manifest): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [g, file] of Object.entries(m.graphs)) {
    out[g] = m.weights?.[g]?.bytes ?? ((m.files[file]?.bytes ?? 0) + (m.files[`${file}.data`]?.bytes ?? 0));
  }
  return out;
}

/** What to choose instead, as a sentence: this model's smaller dtypes that would pass the check
 * (`fits(ratio)`: would the checked bytes times the dtype's ratio to this package's pass?), the other
 * backend, the smaller model. The ratios are the converter's (measured on the released sizes' packages:
 * fp16 halves every weight; q4's graphs are 0.18–0.23 of fp32's, its largest weight, the lm_head, 1/8). */
function instead(m: Manifest, fits: (ratio: { fp32: number; fp16: number; q4: number }) => { fp32?: boolean; fp16: boolean; q4: boolean },
  other?: string): string {
  const toFp32 = m.dtype === 'fp16' ? 2 : 1;
  const ok = fits({ fp32: toFp32, fp16: 0.5 * toFp32, q4: 0.25 * toFp32 });
  const choices = [];
  if (m.dtype === 'fp16' && ok.fp32) choices.push('its fp32 package');
  if (m.dtype === 'fp32' && ok.fp16) choices.push('its fp16 package (half the bytes)');
  if (m.dtype !== 'q4' && ok.q4) choices.push('its q4 package (4-bit LLM and MAR weights: a quarter of the fp32 bytes)');
  if (other) choices.push(other);
  if (m.config.name === '1.5b') choices.push('Harmon-0.5B');
  return choices.join(', or ') || 'a smaller model';
}

/** Everything that stops `m` on `t`, first the ones that stop the download itself. */
export function fitProblems(m: Manifest, t: FitTarget): FitProblem[] {
  const problems: FitProblem[] = [];
  const files = Object.entries(m.files);
  for (const [name, f] of files) {
    if (f.kind === 'onnx' && f.bytes >= PROTOBUF_BYTES) {
      problems.push({ limit: "protobuf's 2 GiB per .onnx file", detail: `${name} is ${size(f.bytes)}`,
        instead: 'the same model converted again by `npm run convert` (it keeps weights over 64 MiB in .onnx.data files)' });
    }
  }
  const [bigName, big] = files.reduce((a, b) => (b[1].bytes > a[1].bytes ? b : a), ['', { bytes: 0 }] as [string, { bytes: number }]);
  if (big.bytes > t.maxArrayBufferBytes) {
    problems.push({ limit: "this browser's largest ArrayBuffer", detail: `${bigName} is ${size(big.bytes)}, the browser allocates at most ${size(t.maxArrayBufferBytes)} in one piece`,
      instead: instead(m, (r) => ({ fp16: big.bytes * r.fp16 <= t.maxArrayBufferBytes, q4: big.bytes * r.q4 <= t.maxArrayBufferBytes }),
        'a browser that allocates larger buffers (Chromium: 8 GiB measured)') });
  }
  const graphs = graphBytes(m);
  const total = Object.values(graphs).reduce((a, b) => a + b, 0);
  const [, largest] = Object.entries(graphs).reduce((a, b) => (b[1] > a[1] ? b : a), ['', 0]);
  if (t.backend === 'wasm') {
    // the WASM execution provider keeps every session's weights in the one heap; it computes fp16
    // graphs in fp32, holding fp32 copies of the weights besides the fp16 ones
    const held = (dtype: string) => (dtype === 'fp16' ? 1 + FP16_ON_WASM_COPY : 1);
    const need = held(m.dtype) * (total + WASM_LOAD_FACTOR * largest);
    const plain = need / held(m.dtype);
    if (need > WASM_MEMORY_BYTES) {
      problems.push({ limit: "onnxruntime-web's 4 GiB WebAssembly memory (wasm32)",
        detail: `the graphs' weights are ${size(total)}` + (m.dtype === 'fp16' ? ' in fp16, which the WASM execution provider also holds as fp32' : '') +
          `, and loading them takes ~${size(need)} of the wasm heap`,
        instead: instead(m, (r) => ({ fp32: plain * r.fp32 <= WASM_MEMORY_BYTES, fp16: plain * r.fp16 * held('fp16') <= WASM_MEMORY_BYTES,
          q4: plain * r.q4 <= WASM_MEMORY_BYTES }),
          'the webgpu backend on a GPU (weights in GPU memory)') });
    }
  }
  // (webgpu: onnxruntime-web uploads external weights from their ArrayBuffers straight to GPU
  // buffers: measured, Harmon-1.5B q4's 1.73 GB of weights loaded with the heap at 0.03 GB. Its
  // limits are then the ArrayBuffer above and the buffer sizes below; WebGPU does not say how much
  // memory the GPU has.)
  const gpu = t.gpu;
  if (gpu) {
    if (m.dtype === 'fp16' && !gpu.f16) {
      // fp32 doubles every weight: proposed only where it would pass the checks below and above
      const cap = Math.min(gpu.maxBufferSize, gpu.maxStorageBufferBindingSize);
      const fp32Fits = Object.values(m.weights ?? {}).every((w) => 2 * w.largest.bytes <= cap);
      // (not this package on the wasm backend: it holds fp16 weights twice over there, see above)
      const choices = ['its q4 package', ...(fp32Fits ? ['its fp32 package'] : []),
        ...(m.config.name === '1.5b' ? ['Harmon-0.5B'] : [])];
      problems.push({ limit: "the GPU's shader-f16 feature", detail: 'this package is fp16 and this GPU has no shader-f16',
        instead: choices.join(', or ') });
    }
    // one GPU buffer per initializer
    const cap = Math.min(gpu.maxBufferSize, gpu.maxStorageBufferBindingSize);
    for (const [g, w] of Object.entries(m.weights ?? {})) {
      if (w.largest.bytes > cap) {
        const which = gpu.maxBufferSize <= gpu.maxStorageBufferBindingSize ? 'maxBufferSize' : 'maxStorageBufferBindingSize';
        problems.push({ limit: `this GPU's ${which} (${size(cap)})`, detail: `the ${g} graph's largest weight (${w.largest.name}, [${w.largest.shape.join(', ')}]) is ${size(w.largest.bytes)} in one GPU buffer`,
          instead: instead(m, (r) => ({ fp16: w.largest.bytes * r.fp16 <= cap && gpu.f16, q4: w.largest.bytes * r.q4 / 2 <= cap }), 'the wasm backend') });
      }
    }
  }
  return problems;
}

/** The first problem as one sentence (undefined: it fits). */
export function fitMessage(m: Manifest, t: FitTarget): string | undefined {
  const [p, ...more] = fitProblems(m, t);
  if (!p) return undefined;
  const rest = more.length ? ` (and ${more.length} more: ${more.map((q) => q.limit).join('; ')})` : '';
  return `the ${m.name} ${m.dtype} package cannot run on the ${t.backend} backend here: ${p.limit}: ${p.detail}${rest}. ` +
    `Choose instead: ${p.instead}`;
}

/** The largest ArrayBuffer of `bytes` this browser allocates: `bytes` if it does, else the largest
 * power of two (from 2 GiB down) that it does. The allocation is not touched, so costs no memory. */
export function probeArrayBuffer(bytes: number): number {
  const ok = (n: number) => {
    try {
      return new ArrayBuffer(n).byteLength === n;
    } catch {
      return false;
    }
  };
  if (ok(bytes)) return bytes;
  for (let n = 2 * GiB; n >= 2 ** 20; n /= 2) if (ok(n - 1)) return n - 1;
  return 0;
}
