// The fp16 and q4 paths through the real engine (WASM backend, headless Chromium, `npm run harmon`):
// the golden tiny model's weights exported as fp16 and q4 packages (models/harmon/dtype_packages.py,
// into a temporary folder; each export checks its graphs against the reference), then a generation
// with the golden case's injected orders and noise and a golden question, compared with the fp32
// reference's latents and answer (models/golden/tiny).
//
// Tolerances (relative error of the final latents, max |a − b| / max |b|): fp16 ≤ 1e-2 (measured
// 3.5e-3); q4 ≤ 0.5 (measured 0.14: 4-bit blocks of 32 random weights carry ~10% error per matrix,
// which the 5 MAR steps compound; a wrong block layout or lost scales is uncorrelated, error ≥ 1).
// fp16 answers with the reference's ids; q4's answer is only required to be streamed and well-formed.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSafetensors } from '../engine/safetensors';
import { relErr } from '../engine/testing_golden';
import { harmon, root, runCommand } from './run-testing';

const GOLDEN = path.join(root, 'models/golden/tiny');
const tmp = mkdtempSync(path.join(tmpdir(), 'harmon-dtypes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const BOUND = { fp16: 1e-2, q4: 0.5 } as const;

describe('fp16 and q4 packages through the engine (wasm)', () => {
  const meta = JSON.parse(readFileSync(path.join(GOLDEN, 'vectors.json'), 'utf8'));
  const v = parseSafetensors(new Uint8Array(readFileSync(path.join(GOLDEN, 'vectors.safetensors'))).buffer);
  const c = meta.cases.cfg_constant;
  const s = c.settings;
  const N = (s.size / 16) ** 2;
  const orders = path.join(tmp, 'orders.json');
  const noise = path.join(tmp, 'noise.f32');
  const want = (v.get('cfg_constant/latents')!.data as Float32Array).slice(0, N * 16);

  beforeAll(async () => {
    const r = await runCommand('scripts/py', ['-m', 'harmon.dtype_packages', tmp, '--dtypes', 'fp16,q4']);
    expect(r.code, r.stderr).toBe(0);
    // image 0 of the golden case (its second prompt's rows are independent of it)
    writeFileSync(orders, JSON.stringify([Array.from((v.get('cfg_constant/orders')!.data as Int32Array).slice(0, N))]));
    const nz = (v.get('cfg_constant/noise')!.data as Float32Array).slice(0, N * (s.sampling_steps + 1) * 16);
    writeFileSync(noise, new Uint8Array(nz.buffer, nz.byteOffset, nz.byteLength));
  }, 600_000);

  it.each(['fp16', 'q4'] as const)('%s: draws the reference latents within its bound and answers', async (dtype) => {
    const pkg = path.join(tmp, dtype);
    const lat = path.join(tmp, `${dtype}.f32`);
    const g = await harmon('generate', '--model', pkg, '--prompt', c.prompts[0], '--size', String(s.size), '--steps', String(s.steps),
      '--cfg', String(s.cfg), '--cfg-schedule', s.cfg_schedule, '--temperature', String(s.temperature),
      '--sampling-steps', String(s.sampling_steps), '--orders', orders, '--noise', noise,
      '--out', path.join(tmp, `${dtype}.png`), '--latents', lat, '--backend', 'wasm');
    expect(g.code, g.stderr).toBe(0);
    expect(g.stderr).toMatch(new RegExp(`^model tiny \\(${dtype},`, 'm'));
    const b = readFileSync(lat);
    const err = relErr(new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4), want);
    console.log(`${dtype}: latents relative error vs the fp32 reference ${err.toExponential(2)} (bound ${BOUND[dtype]})`);
    expect(err).toBeLessThanOrEqual(BOUND[dtype]);

    const u = meta.understanding;
    const a = await harmon('ask', '--model', pkg, '--image', path.join(GOLDEN, 'image.png'), '--question', u.turns[0].question,
      '--max-new-tokens', String(u.max_new_tokens), '--tokens', '--backend', 'wasm');
    expect(a.code, a.stderr).toBe(0);
    const ids = JSON.parse(a.stdout.split('\n').at(-2)!) as number[];
    if (dtype === 'fp16') expect(ids).toEqual(u.turns[0].greedy_ids);
    else expect(ids.length > 0 && ids.length <= u.max_new_tokens && ids.every((i) => Number.isInteger(i) && i >= 0 && i < 512)).toBe(true);
  }, 600_000);
});
