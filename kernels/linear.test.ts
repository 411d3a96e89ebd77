// The diffusion head's building blocks on their own: every linear variant and both LayerNorm
// modulation variants against the CPU reference.

import { afterAll, describe, expect, it } from 'vitest';
import { storageBuffer } from '../src/gpu/buffers';
import { dispatchPrepared } from '../src/gpu/bind';
import { type LinearEpilogue, prepareLinear } from './linear';
import { prepareLayerNormModulate } from './layernorm_modulate';
import { layerNormModulateRef, linearRef, silu } from './reference/linear';
import { ErrorLog, TOLERANCE, randn, relErr, rng, runPass, testGpu } from './testing';

const log = new ErrorLog('linear + layernorm_modulate');
afterAll(() => log.print());

// [variant, m, in, out]
const LINEAR: [LinearEpilogue | 'gather' | 'mod', number, number, number][] = [
  ['none', 1, 16, 8],
  ['none', 7, 256, 32],
  ['silu', 5, 32, 32],
  ['silu', 9, 8, 24],
  ['gated_residual', 6, 32, 32],
  ['gated_residual', 3, 8, 8],
  ['residual', 6, 64, 32],
  ['residual', 13, 128, 48],
  ['gather', 5, 24, 8],
  ['gather', 10, 8, 32],
  ['mod', 6, 16, 32], // CFG input: rows 3..5 read x rows 0..2
];

describe('linear', () => {
  it.each(LINEAR)('%s, M %i, %i → %i', async (kind, m, inDim, outDim) => {
    const gpu = await testGpu();
    const dev = gpu.device;
    const rand = rng(m * 977 + inDim * 13 + outDim);
    const srcRows = kind === 'gather' ? 13 : kind === 'mod' ? m / 2 : m;
    const x = randn(srcRows * inDim, rand);
    const w = randn(outDim * inDim, rand, 1 / Math.sqrt(inDim));
    const b = randn(outDim, rand, 0.1);
    const idx = Uint32Array.from({ length: m }, () => Math.floor(rand() * srcRows));
    const rowsIn = new Float32Array(m * inDim);
    for (let r = 0; r < m; r++) {
      const src = kind === 'gather' ? idx[r] : r % srcRows;
      rowsIn.set(x.subarray(src * inDim, (src + 1) * inDim), r * inDim);
    }
    const lin = linearRef(rowsIn, m, w, b, inDim, outDim);
    const y0 = randn(m * outDim, rand);
    // Gated residual: gate at column offset 8 of a 3·out-wide mods row.
    const modStride = 3 * outDim;
    const mods = randn(m * modStride, rand);
    const ref = lin.map((v, i) => {
      if (kind === 'silu') return silu(v);
      if (kind === 'gated_residual') return y0[i] + mods[Math.floor(i / outDim) * modStride + 8 + (i % outDim)] * v;
      if (kind === 'residual') return y0[i] + v;
      return v;
    });
    const y = storageBuffer(dev, kind === 'gated_residual' || kind === 'residual' ? y0 : new Float32Array(m * outDim));
    const call = prepareLinear(
      gpu,
      { gather: kind === 'gather', epilogue: kind === 'gather' || kind === 'mod' ? 'none' : kind },
      { m, in: inDim, out: outDim, srcMod: srcRows, modStride, gateOffset: 8 },
      {
        x: storageBuffer(dev, x),
        w: storageBuffer(dev, w),
        bias: storageBuffer(dev, b),
        y,
        idx: storageBuffer(dev, idx),
        mods: storageBuffer(dev, mods),
      },
    );
    const got = await runPass(gpu, (pass) => dispatchPrepared(pass, call), y, m * outDim);
    expect(log.add(relErr(got, ref))).toBeLessThanOrEqual(TOLERANCE);
  });
});

// [affine, m, w]
const NORM: [boolean, number, number][] = [
  [true, 1, 8],
  [true, 6, 32],
  [false, 5, 32],
  [false, 3, 200],
];

describe('layernorm_modulate', () => {
  it.each(NORM)('affine %s, M %i, W %i', async (affine, m, w) => {
    const gpu = await testGpu();
    const dev = gpu.device;
    const rand = rng(m * 31 + w + (affine ? 7 : 0));
    const h = randn(m * w, rand, 2);
    const modStride = 3 * w;
    const mods = randn(m * modStride, rand, 0.5);
    const gamma = randn(w, rand);
    const beta = randn(w, rand, 0.1);
    const [shiftOffset, scaleOffset] = [w, 2 * w];
    const ref = layerNormModulateRef(h, m, w, mods, modStride, shiftOffset, scaleOffset, affine ? gamma : undefined, affine ? beta : undefined);
    const y = storageBuffer(dev, m * w * 4);
    const call = prepareLayerNormModulate(
      gpu,
      { m, w, modStride, shiftOffset, scaleOffset },
      {
        h: storageBuffer(dev, h),
        mods: storageBuffer(dev, mods),
        y,
        ...(affine ? { gamma: storageBuffer(dev, gamma), beta: storageBuffer(dev, beta) } : {}),
      },
    );
    const got = await runPass(gpu, (pass) => dispatchPrepared(pass, call), y, m * w);
    expect(log.add(relErr(got, ref))).toBeLessThanOrEqual(TOLERANCE);
  });
});
