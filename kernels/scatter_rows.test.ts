import { describe, expect, it } from 'vitest';
import { storageBuffer } from '../src/gpu/buffers';
import { encodeScatterRows } from './scatter_rows';
import { randn, relErr, rng, runPass, testGpu } from './testing';

function reference(src: Float32Array, targets: Uint32Array, dst: Float32Array, mc: number, width: number) {
  const out = dst.slice();
  targets.forEach((row, t) => out.set(src.subarray((t % mc) * width, (t % mc + 1) * width), row * width));
  return out;
}

describe('scatter_rows', () => {
  for (const [rows, mc, cfg, width] of [[16, 3, false, 16], [32, 5, true, 16], [600, 70, true, 16]] as const) {
    it(`rows ${rows}, mc ${mc}, cfg ${cfg}`, async () => {
      const gpu = await testGpu();
      const rand = rng(rows + mc);
      const src = randn(mc * width, rand);
      const dst = randn(rows * width, rand);
      const half = rows / 2;
      // distinct target rows; with CFG the twin of row r sits in the second half of the batch
      const first = Array.from({ length: mc }, (_, r) => (r * 7) % (cfg ? half : rows));
      const targets = new Uint32Array(cfg ? [...first, ...first.map((t) => t + half)] : first);
      expect(new Set(targets).size).toBe(targets.length);
      const dstBuf = storageBuffer(gpu.device, dst);
      const got = await runPass(gpu, (pass) => encodeScatterRows(gpu, pass, {
        src: storageBuffer(gpu.device, src), targets: storageBuffer(gpu.device, targets), dst: dstBuf,
        count: targets.length, mc, width,
      }), dstBuf, rows * width);
      expect(relErr(got, reference(src, targets, dst, mc, width))).toBe(0);
    });
  }
});
