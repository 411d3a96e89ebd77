import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { floatTensor, parseSafetensors } from './safetensors';

const GOLDEN = new URL('../../models/golden/tiny/', import.meta.url);
const kernelsFile = () => new Uint8Array(readFileSync(new URL('package/kernels.safetensors', GOLDEN)));

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** A safetensors file from entries; the header is space-padded so the data starts at 8·k + `shift`. */
function build(entries: Entry[], shift = 0, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + e.bytes.byteLength] };
    offset += e.bytes.byteLength;
  }
  const text = JSON.stringify(header);
  const json = new TextEncoder().encode(text + ' '.repeat((64 + shift - ((8 + text.length) % 8)) % 8));
  const out = new Uint8Array(8 + json.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let at = 8 + json.byteLength;
  for (const e of entries) {
    out.set(e.bytes, at);
    at += e.bytes.byteLength;
  }
  return out;
}

const u16 = (...v: number[]) => new Uint8Array(new Uint16Array(v).buffer);
const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);

describe('parseSafetensors on the golden package', () => {
  it('reads kernels.safetensors (values from Python safetensors)', () => {
    const file = kernelsFile();
    const t = parseSafetensors(file);
    expect(t.size).toBe(37);
    const fake = t.get('mar.fake_latent')!;
    expect(fake.dtype).toBe('F32');
    expect(fake.shape).toEqual([1, 64]);
    const data = floatTensor(t, 'mar.fake_latent');
    expect(data.length).toBe(64);
    expect(Array.from(data.subarray(0, 3))).toEqual([0.5015820860862732, 0.31481054425239563, -0.3182505667209625]);
    expect(data.reduce((a, b) => a + b, 0)).toBeCloseTo(1.6999586820602417, 5);
    for (const v of t.values()) expect(v.data.length).toBe(v.shape.reduce((a, b) => a * b, 1));
  });

  it('gives F32 data as a view of the file when aligned', () => {
    const file = kernelsFile();
    const t = parseSafetensors(file.buffer);
    // the writer pads the header to 8 bytes, so every f32 tensor is aligned
    expect(floatTensor(t, 'mar.fake_latent').buffer).toBe(file.buffer);
  });

  it('reads I32 tensors of the golden vectors', () => {
    const v = parseSafetensors(readFileSync(new URL('vectors.safetensors', GOLDEN)));
    const ids = v.get('no_cfg/prompt_ids')!;
    expect(ids.dtype).toBe('I32');
    expect(ids.shape).toEqual([1, 28]);
    expect(Array.from(ids.data as Int32Array).slice(0, 5)).toEqual([1, 87, 85, 276, 201]);
  });

  it('rejects a truncated file, naming the tensor', () => {
    const file = kernelsFile();
    expect(() => parseSafetensors(file.subarray(0, file.byteLength - 100))).toThrow(/lie outside the data section/);
    expect(() => parseSafetensors(file.subarray(0, 4))).toThrow(/too short/);
    expect(() => parseSafetensors(file.subarray(0, 100))).toThrow(/header length \d+ exceeds the file/);
  });
});

describe('parseSafetensors on hand-built files', () => {
  it('converts F16 to f32 exactly (normal, max, subnormal, zero, inf, NaN)', () => {
    const halves = u16(0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x03ff, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x3555);
    const t = parseSafetensors(build([{ name: 'h', dtype: 'F16', shape: [11], bytes: halves }]));
    const d = floatTensor(t, 'h');
    expect(Array.from(d.subarray(0, 9))).toEqual([1, -2, 0.5, 65504, 2 ** -24, 1023 * 2 ** -24, -0, Infinity, -Infinity]);
    expect(Object.is(d[6], -0)).toBe(true);
    expect(Number.isNaN(d[9])).toBe(true);
    expect(d[10]).toBe(0x155 * 2 ** -10 * 2 ** -2 + 0.25); // 0.333251953125
    expect(t.get('h')!.bytes).toEqual(halves);
  });

  it('converts BF16 to f32', () => {
    const t = parseSafetensors(build([{ name: 'b', dtype: 'BF16', shape: [2, 2], bytes: u16(0x3f80, 0xc020, 0x0000, 0x7f80) }]));
    expect(Array.from(floatTensor(t, 'b'))).toEqual([1, -2.5, 0, Infinity]);
  });

  it('copies misaligned F32 and reads I32 / I64, ignoring __metadata__', () => {
    const file = build([
      { name: 'x', dtype: 'F32', shape: [3], bytes: f32(1.5, -3, 1e-30) },
      { name: 'i', dtype: 'I32', shape: [2], bytes: new Uint8Array(new Int32Array([-7, 2 ** 31 - 1]).buffer) },
      { name: 'l', dtype: 'I64', shape: [1], bytes: new Uint8Array(new BigInt64Array([-(2n ** 40n)]).buffer) },
    ], 1, { format: 'pt' });
    const t = parseSafetensors(file);
    expect([...t.keys()]).toEqual(['x', 'i', 'l']);
    const x = floatTensor(t, 'x');
    expect(x.buffer).not.toBe(file.buffer);
    expect(Array.from(x)).toEqual([1.5, -3, Math.fround(1e-30)]);
    expect(Array.from(t.get('i')!.data as Int32Array)).toEqual([-7, 2 ** 31 - 1]);
    expect(Array.from(t.get('l')!.data as BigInt64Array)).toEqual([-(2n ** 40n)]);
    expect(() => floatTensor(t, 'i')).toThrow(/not a float tensor/);
    expect(() => floatTensor(t, 'nope')).toThrow(/no tensor "nope"/);
  });

  it('accepts an empty tensor', () => {
    const t = parseSafetensors(build([{ name: 'e', dtype: 'F32', shape: [0, 4], bytes: new Uint8Array(0) }]));
    expect(floatTensor(t, 'e').length).toBe(0);
  });

  it('names what is wrong with a malformed file', () => {
    const header = (json: string) => {
      const j = new TextEncoder().encode(json);
      const out = new Uint8Array(8 + j.byteLength + 8);
      new DataView(out.buffer).setBigUint64(0, BigInt(j.byteLength), true);
      out.set(j, 8);
      return out;
    };
    expect(() => parseSafetensors(header('{"a": '))).toThrow(/header is not valid JSON/);
    expect(() => parseSafetensors(header('[1]'))).toThrow(/not a JSON object/);
    expect(() => parseSafetensors(header('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}')))
      .toThrow(/tensor "a": data_offsets \[0, 16\] lie outside the data section \(8 bytes\)/);
    expect(() => parseSafetensors(header('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}')))
      .toThrow(/tensor "a": holds 8 bytes but F32 × \[3\] needs 12/);
    expect(() => parseSafetensors(header('{"a":{"dtype":"U4","shape":[1],"data_offsets":[0,1]}}')))
      .toThrow(/unsupported dtype "U4"/);
    expect(() => parseSafetensors(header('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}')))
      .toThrow(/shape \[-1\] is not a list of sizes/);
    expect(() => parseSafetensors(header('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}')))
      .toThrow(/data_offsets \[4,0\] is not a \[begin, end\] pair/);
  });
});
