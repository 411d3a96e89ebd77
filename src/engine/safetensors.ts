// Reader for the safetensors format (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, then the raw
// tensor bytes. The package's kernel weights and text embeddings come in this format.
//
// Only the header is parsed eagerly. `data` (the values as f32 / i32 / i64) is decoded on first
// access, so a caller that uploads the raw f16 `bytes` to the GPU never pays for the f32 copy.
// WebGPU and every browser we run on are little-endian, so typed-array views read the bytes as is.

export type FloatDtype = 'F32' | 'F16' | 'BF16';

interface TensorBase {
  shape: number[];
  /** the stored bytes of this tensor (a view into the file) */
  bytes: Uint8Array;
}
export type SafeTensor =
  | (TensorBase & { dtype: FloatDtype; readonly data: Float32Array })
  | (TensorBase & { dtype: 'I32'; readonly data: Int32Array })
  | (TensorBase & { dtype: 'I64'; readonly data: BigInt64Array });

export type SafeTensors = Map<string, SafeTensor>;

const ITEM_BYTES: Record<SafeTensor['dtype'], number> = { F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8 };
// The reference implementation refuses larger headers too; a huge length means a corrupt file.
const MAX_HEADER_BYTES = 100_000_000;

/** Parses a safetensors file. Throws an Error naming the problem when the file is malformed. */
export function parseSafetensors(file: ArrayBuffer | Uint8Array): SafeTensors {
  const buf = file instanceof Uint8Array ? file : new Uint8Array(file);
  if (buf.byteLength < 8) {
    throw new Error(`safetensors: file is ${buf.byteLength} bytes, too short for the 8-byte header length`);
  }
  const headerLen = new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true);
  if (headerLen > BigInt(buf.byteLength - 8)) {
    throw new Error(`safetensors: header length ${headerLen} exceeds the file (${buf.byteLength} bytes)`);
  }
  if (headerLen > BigInt(MAX_HEADER_BYTES)) {
    throw new Error(`safetensors: header length ${headerLen} is over ${MAX_HEADER_BYTES} bytes: not a safetensors file`);
  }
  const dataStart = 8 + Number(headerLen);
  const header = parseHeader(buf.subarray(8, dataStart));
  const data = buf.subarray(dataStart);
  const out: SafeTensors = new Map();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    out.set(name, makeTensor(name, entry, data));
  }
  return out;
}

function parseHeader(bytes: Uint8Array): Record<string, unknown> {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new Error(`safetensors: header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new Error('safetensors: header is not a JSON object');
  }
  return header as Record<string, unknown>;
}

function makeTensor(name: string, entry: unknown, data: Uint8Array): SafeTensor {
  const bad = (why: string) => new Error(`safetensors: tensor ${JSON.stringify(name)}: ${why}`);
  const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(dtype in ITEM_BYTES)) {
    throw bad(`unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(ITEM_BYTES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) throw bad(`shape ${JSON.stringify(shape)} is not a list of sizes`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    throw bad(`data_offsets ${JSON.stringify(offsets)} is not a [begin, end] pair`);
  }
  const [begin, end] = offsets as [number, number];
  if (end > data.byteLength) {
    throw bad(`data_offsets [${begin}, ${end}] lie outside the data section (${data.byteLength} bytes)`);
  }
  const d = dtype as SafeTensor['dtype'];
  const expected = (shape as number[]).reduce((a, b) => a * b, 1) * ITEM_BYTES[d];
  if (end - begin !== expected) {
    throw bad(`holds ${end - begin} bytes but ${d} × [${shape.join(', ')}] needs ${expected}`);
  }
  const bytes = data.subarray(begin, end);
  let decoded: Float32Array | Int32Array | BigInt64Array | undefined;
  return {
    dtype: d,
    shape: shape as number[],
    bytes,
    get data() {
      return (decoded ??= decode(d, bytes));
    },
  } as SafeTensor;
}

function isCount(x: unknown): x is number {
  return Number.isSafeInteger(x) && (x as number) >= 0;
}

function decode(dtype: SafeTensor['dtype'], bytes: Uint8Array): Float32Array | Int32Array | BigInt64Array {
  switch (dtype) {
    case 'F32':
      return aligned(bytes, Float32Array);
    case 'I32':
      return aligned(bytes, Int32Array);
    case 'I64':
      return aligned(bytes, BigInt64Array);
    case 'F16':
      return f16ToF32(aligned(bytes, Uint16Array));
    case 'BF16':
      return bf16ToF32(aligned(bytes, Uint16Array));
  }
}

type TypedCtor<T> = { new (buffer: ArrayBuffer, byteOffset?: number, length?: number): T; BYTES_PER_ELEMENT: number };

/** A view when the bytes sit at a multiple of the element size (typed arrays require it), else a copy. */
function aligned<T>(bytes: Uint8Array, Ctor: TypedCtor<T>): T {
  const n = bytes.byteLength / Ctor.BYTES_PER_ELEMENT;
  if (bytes.byteOffset % Ctor.BYTES_PER_ELEMENT === 0) return new Ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, n);
  return new Ctor(bytes.slice().buffer, 0, n);
}

let f16Table: Uint32Array | undefined;

/** f32 bit patterns of all 65536 half-precision values: conversion becomes one lookup per element. */
function halfTable(): Uint32Array {
  if (f16Table) return f16Table;
  const t = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >> 10) & 0x1f;
    let mant = h & 0x3ff;
    if (exp === 0x1f) {
      t[h] = sign | 0x7f800000 | (mant << 13); // inf / NaN
    } else if (exp !== 0) {
      t[h] = sign | ((exp + 112) << 23) | (mant << 13); // rebias 15 → 127
    } else if (mant === 0) {
      t[h] = sign; // ±0
    } else {
      // subnormal: normalise the mantissa; the value is mant · 2^-24
      let e = 113;
      while ((mant & 0x400) === 0) {
        mant <<= 1;
        e--;
      }
      t[h] = sign | (e << 23) | ((mant & 0x3ff) << 13);
    }
  }
  return (f16Table = t);
}

export function f16ToF32(src: Uint16Array): Float32Array {
  const table = halfTable();
  const out = new Uint32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = table[src[i]];
  return new Float32Array(out.buffer);
}

/** bfloat16 is the top half of an f32. */
export function bf16ToF32(src: Uint16Array): Float32Array {
  const out = new Uint32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] << 16;
  return new Float32Array(out.buffer);
}

/** The f32 values of `name`; throws when it is missing or not a float tensor. */
export function floatTensor(tensors: SafeTensors, name: string): Float32Array {
  const t = tensors.get(name);
  if (!t) throw new Error(`safetensors: no tensor ${JSON.stringify(name)}`);
  if (t.dtype === 'I32' || t.dtype === 'I64') throw new Error(`safetensors: ${name} is ${t.dtype}, not a float tensor`);
  return t.data;
}
