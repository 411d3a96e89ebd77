import { afterAll, describe, expect, it } from 'vitest';
import { storageBuffer } from '../src/gpu/buffers';
import { encodeResizePosEmbed } from './resize_pos_embed';
import { resizePosEmbedRef } from './reference/resize_pos_embed';
import { ErrorLog, TOLERANCE, randn, relErr, rng, runPass, testGpu } from './testing';

const log = new ErrorLog('resize_pos_embed');
afterAll(() => log.print());

// [buffer, gh0, gw0, gh, gw, d]
const CASES: [number, number, number, number, number, number][] = [
  [4, 4, 4, 8, 8, 5], // upscale ×2, with buffer rows
  [0, 16, 16, 32, 32, 3], // the diffusion_pos_embed case (no buffer), 16×16 → 32×32
  [3, 16, 16, 32, 32, 4], // encoder/decoder tables, 16×16 → 32×32
  [2, 8, 8, 3, 5, 6], // downscale, non-square target
  [3, 4, 4, 5, 6, 8], // the golden outpainting canvas: 4×4 → 5×6 (up on both axes, unequal)
  [3, 16, 16, 16, 24, 7], // one axis only: 16×16 → 16×24
  [5, 6, 6, 6, 6, 7], // identity: must reproduce the table exactly
  [0, 4, 4, 4, 4, 8], // identity, no buffer
];

describe('resize_pos_embed', () => {
  it.each(CASES)('buffer %i, %ix%i → %ix%i, D %i', async (buffer, gh0, gw0, gh, gw, d) => {
    const gpu = await testGpu();
    const table = randn((buffer + gh0 * gw0) * d, rng(gh0 * 131 + gh * 7 + d));
    const ref = resizePosEmbedRef(table, buffer, gh0, gw0, gh, gw, d);
    const src = storageBuffer(gpu.device, table);
    const dst = storageBuffer(gpu.device, ref.byteLength);
    const out = await runPass(
      gpu,
      (pass) => encodeResizePosEmbed(gpu, pass, { src, dst, buffer, gh0, gw0, gh, gw, d }),
      dst,
      ref.length,
    );
    expect(log.add(relErr(out, ref))).toBeLessThanOrEqual(TOLERANCE);
    expect(out.subarray(0, buffer * d)).toEqual(table.subarray(0, buffer * d));
    if (gh === gh0 && gw === gw0) expect(out).toEqual(table);
  });
});
