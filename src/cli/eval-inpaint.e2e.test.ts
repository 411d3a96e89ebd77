// `npm run eval -- inpaint --quick` end to end: ShapesInpaint's four cases (two per category) through
// the real engine in headless Chromium — one `generate --prompts` whose lines name their "image" and
// "mask", with --keep-pixels — scored by the detector. It checks the pipeline, not the model's
// quality (no accuracy floor here): every case was inpainted from its own scene and mask, the
// source came back exactly from a token away from the mask, and every image got a verdict.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { evalRun } from './run-testing';
import { decodePng } from './output';

const tmp = mkdtempSync(path.join(tmpdir(), 'harmon-eval-inpaint-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it('ShapesInpaint --quick on the embedded default: four cases inpainted, pixels kept outside, scored', async () => {
  const out = path.join(tmp, 'quick');
  await evalRun('inpaint', '--quick', '--out', out);
  const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
  expect(Object.keys(results.tags)).toEqual(['inpaint_heldout', 'inpaint_seen']);
  expect(results.images).toBe(4);
  expect(results.results).toHaveLength(4);
  for (const r of results.results) {
    expect([typeof r.inside, typeof r.outside, typeof r.correct, typeof r.drift]).toEqual(['boolean', 'boolean', 'boolean', 'number']);
    expect(Array.isArray(r.detections)).toBe(true);
  }
  expect(results.overall).toBeGreaterThanOrEqual(0);
  const cases = readFileSync(path.join(out, 'prompts.jsonl'), 'utf8').trim().split('\n');
  for (const [i, line] of cases.entries()) {
    const c = JSON.parse(line);
    const dir = path.join(out, 'images', String(i).padStart(5, '0'));
    expect(readFileSync(path.join(dir, 'metadata.jsonl'), 'utf8')).toBe(`${line}\n`);
    const img = decodePng(readFileSync(path.join(dir, 'samples', '0000.png')));
    const src = decodePng(readFileSync(path.join(out, c.image)));
    expect([img.width, img.height]).toEqual([src.width, src.height]);
    const [x0, y0, x1, y1] = c.region as number[];
    let kept = 0;
    let changed = 0;
    for (let y = 0; y < img.height; y++) {
      for (let x = 0; x < img.width; x++) {
        const k = (y * img.width + x) * 4;
        const same = [0, 1, 2].every((ch) => img.rgba[k + ch] === src.rgba[k + ch]);
        if (x >= x0 && x < x1 && y >= y0 && y < y1) changed += same ? 0 : 1;
        else if (x < x0 - 16 || x >= x1 + 16 || y < y0 - 16 || y >= y1 + 16) {
          expect(same, `case ${i}, pixel ${x}, ${y}: the source, a token away from the mask`).toBe(true);
          kept++;
        }
      }
    }
    expect(kept).toBeGreaterThan(0);
    expect(changed, `case ${i}: the masked region was regenerated`).toBeGreaterThan(0);
  }
}, 1_200_000);
