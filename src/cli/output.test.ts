import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  composeGrid,
  decodePng,
  encodePng,
  float32LeBytes,
  genEvalPromptDir,
  gridLayout,
  writeGenEvalPrompt,
  writeLatents,
  writePng,
  type RgbaImage,
} from './output';

const tmp = mkdtempSync(path.join(tmpdir(), 'harmon-out-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A w×h image whose every pixel is (value, x, y, 255). */
function solid(w: number, h: number, value: number): RgbaImage {
  const rgba = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) rgba.set([value, x, y, 255], (y * w + x) * 4);
  }
  return { width: w, height: h, rgba };
}

function px(im: RgbaImage, x: number, y: number): number[] {
  return Array.from(im.rgba.subarray((y * im.width + x) * 4, (y * im.width + x) * 4 + 4));
}

describe('grid', () => {
  it('is roughly square', () => {
    const cases: Array<[number, number, number]> = [
      [1, 1, 1], [2, 2, 1], [3, 2, 2], [4, 2, 2], [5, 3, 2], [6, 3, 2], [7, 3, 3], [9, 3, 3], [10, 4, 3], [16, 4, 4], [17, 5, 4],
    ];
    for (const [n, cols, rows] of cases) expect(gridLayout(n), `n=${n}`).toEqual({ cols, rows });
    expect(() => gridLayout(0)).toThrow();
  });

  it('one image is itself', () => {
    const im = solid(4, 4, 9);
    expect(composeGrid([im])).toBe(im);
  });

  it('places images row by row, left to right; empty cells opaque black', () => {
    const ims = [10, 20, 30].map((v) => solid(4, 3, v));
    const g = composeGrid(ims);
    expect([g.width, g.height]).toEqual([8, 6]);
    expect(px(g, 0, 0)).toEqual([10, 0, 0, 255]);
    expect(px(g, 3, 2)).toEqual([10, 3, 2, 255]);
    expect(px(g, 4, 0)).toEqual([20, 0, 0, 255]);
    expect(px(g, 7, 2)).toEqual([20, 3, 2, 255]);
    expect(px(g, 0, 3)).toEqual([30, 0, 0, 255]);
    expect(px(g, 2, 4)).toEqual([30, 2, 1, 255]);
    expect(px(g, 5, 4)).toEqual([0, 0, 0, 255]);
  });

  it('rejects an image whose bytes do not match its size', () => {
    expect(() => composeGrid([solid(2, 2, 1), { width: 2, height: 2, rgba: new Uint8Array(3) }])).toThrow(/expected 16/);
  });
});

describe('PNG', () => {
  it('round-trips RGBA through pngjs; opaque images are stored as RGB', () => {
    const im = solid(5, 3, 77);
    const bytes = encodePng(im);
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    expect(bytes[25]).toBe(2); // IHDR colour type: RGB
    const back = decodePng(bytes);
    expect([back.width, back.height]).toEqual([5, 3]);
    expect(Array.from(back.rgba)).toEqual(Array.from(im.rgba));
  });

  it('keeps alpha when there is some', () => {
    const im = solid(2, 2, 5);
    im.rgba[3] = 128;
    const bytes = encodePng(im);
    expect(bytes[25]).toBe(6); // RGBA
    expect(Array.from(decodePng(bytes).rgba)).toEqual(Array.from(im.rgba));
  });

  it('writePng writes the grid, making folders', () => {
    const file = path.join(tmp, 'a/b/grid.png');
    writePng(file, [solid(8, 8, 1), solid(8, 8, 2), solid(8, 8, 3), solid(8, 8, 4)]);
    const g = decodePng(readFileSync(file));
    expect([g.width, g.height]).toEqual([16, 16]);
    expect(px(g, 9, 9)).toEqual([4, 1, 1, 255]);
  });
});

describe('latents', () => {
  it('little-endian float32', () => {
    const v = new Float32Array([1, -2.5, 0.2325]);
    const b = float32LeBytes(v);
    expect(Buffer.from(b).readFloatLE(0)).toBe(1);
    expect(Buffer.from(b).readFloatLE(4)).toBe(-2.5);
    expect(Buffer.from(b).readFloatLE(8)).toBe(v[2]);
    const file = path.join(tmp, 'l/lat.f32');
    writeLatents(file, v);
    expect(readFileSync(file).byteLength).toBe(12);
  });
});

describe('GenEval layout', () => {
  it('DIR/00000/metadata.jsonl (the line, unchanged) and samples/0000.png …', () => {
    const dir = path.join(tmp, 'geneval');
    const line = '{"tag": "counting", "include": [{"class": "cat", "count": 2}], "prompt": "a photo of two cats"}';
    const ims = [solid(4, 4, 1), solid(4, 4, 2), solid(4, 4, 3)];
    const written = writeGenEvalPrompt(dir, 0, line, ims);
    writeGenEvalPrompt(dir, 12, '{"prompt":"x"}', [solid(4, 4, 9)]);
    expect(genEvalPromptDir(dir, 12)).toBe(path.join(dir, '00012'));
    expect(readdirSync(dir).sort()).toEqual(['00000', '00012']);
    expect(readFileSync(path.join(dir, '00000/metadata.jsonl'), 'utf8')).toBe(`${line}\n`);
    expect(readdirSync(path.join(dir, '00000/samples')).sort()).toEqual(['0000.png', '0001.png', '0002.png']);
    expect(written.map((f) => path.relative(dir, f))).toEqual([
      '00000/metadata.jsonl', '00000/samples/0000.png', '00000/samples/0001.png', '00000/samples/0002.png',
    ]);
    expect(px(decodePng(readFileSync(path.join(dir, '00000/samples/0002.png'))), 1, 2)).toEqual([3, 1, 2, 255]);
    expect(readdirSync(path.join(dir, '00012/samples'))).toEqual(['0000.png']);
  });
});
