// `harmon generate` flags for partly known images, non-square canvases and the fast preset (DESIGN.md
// §6): parsing, the canvas the CLI plans before it generates (u), the mask resize, --orders/--noise
// over u, and the paste-back of --keep-pixels.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDeterministicInputs, parseCommand, type GenerateCommand } from './args';
import { deterministicInputsKnown, type TokenLayout } from './layout';
import { keepSourcePixels, parseOutpaint, planSource, resizeMaskNearest, type SourceArgs } from './source';
import { usageMessage } from './usage-testing';

let tmp: string;
let cwd: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'harmon-source-'));
  cwd = path.join(tmp, 'work');
  mkdirSync(path.join(cwd, 'pkg'), { recursive: true });
  writeFileSync(path.join(cwd, 'pkg', 'manifest.json'), '{}');
  writeFileSync(path.join(cwd, 'in.png'), 'image bytes');
  writeFileSync(path.join(cwd, 'mask.png'), 'mask bytes');
  writeFileSync(path.join(cwd, 'empty.png'), '');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const gen = (...argv: string[]) =>
  parseCommand(['generate', '--model', 'pkg', '--prompt', 'x', '--out', 'o.png', ...argv], { root: tmp, cwd }) as GenerateCommand;

const err = usageMessage;
const genErr = (...argv: string[]) => err(() => gen(...argv));

function file(name: string, data: string | Uint8Array): string {
  writeFileSync(path.join(cwd, name), data);
  return name;
}

/** An RGBA image whose pixel (x, y) is (x, y, x + y, 255). */
function ramp(width: number, height: number) {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rgba.set([x, y, (x + y) & 255, 255], (y * width + x) * 4);
  return { width, height, rgba };
}

/** A mask file: white inside [x0, x1) × [y0, y1), black elsewhere (RGBA). */
function maskRect(width: number, height: number, x0: number, y0: number, x1: number, y1: number) {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = x >= x0 && x < x1 && y >= y0 && y < y1 ? 255 : 0;
      rgba.set([v, v, v, 255], (y * width + x) * 4);
    }
  }
  return { width, height, rgba };
}

describe('flags', () => {
  it('--width/--height (a non-square canvas) and --fast', () => {
    const c = gen('--width', '128', '--height', '64', '--fast');
    expect(c.options).toEqual({ n: 1, seed: 0, width: 128, height: 64, preset: 'fast' });
    expect(c.source).toBeUndefined();
    expect(gen('--width', '32').options).toEqual({ n: 1, seed: 0, width: 32 });
    for (const [flag, v] of [['--width', '100'], ['--height', '0'], ['--width', '-16'], ['--height', 'tall']]) {
      expect(genErr(flag, v)).toBe(`${flag} must be a positive multiple of 16 (got "${v}")`);
    }
    expect(genErr('--fast=1')).toBe('--fast takes no value');
    expect(genErr('--fast', '--sampling-steps', '10')).toBe(
      '--fast sets the sampling steps per MAR step (50 → 5): leave out --sampling-steps (got 10)');
  });

  it('--image with --mask, --strength, --grow-mask, --keep-pixels, --outpaint', () => {
    const c = gen('--image', 'in.png', '--mask', 'mask.png', '--strength', '0.25', '--grow-mask', '--keep-pixels');
    expect(Buffer.from(c.source!.image.bytes).toString()).toBe('image bytes');
    expect(c.source!.image.name).toBe('in.png');
    expect(Buffer.from(c.source!.mask!.bytes).toString()).toBe('mask bytes');
    expect(c.source!.keepPixels).toBe(true);
    expect(c.source!.outpaint).toBeUndefined();
    expect(c.options).toEqual({ n: 1, seed: 0, strength: 0.25, growMask: true });
    const o = gen('--image', 'in.png', '--outpaint', '16,0,32,48');
    expect(o.source).toMatchObject({ outpaint: { left: 16, top: 0, right: 32, bottom: 48 }, keepPixels: false });
    expect(o.options).toEqual({ n: 1, seed: 0 });
    expect(gen('--image', 'in.png', '--strength', '1').options.strength).toBe(1);
    expect(gen('--image', 'in.png', '--width', '96', '--height', '64').options).toMatchObject({ width: 96, height: 64 });
  });

  it('flags that need --image', () => {
    expect(genErr('--mask', 'mask.png')).toBe('--mask needs --image FILE (the source image the mask marks)');
    for (const f of [['--outpaint', '16,0,0,0'], ['--strength', '0.5'], ['--keep-pixels'], ['--grow-mask']]) {
      expect(genErr(...f)).toBe(`${f[0]} needs --image FILE (the source image)`);
    }
  });

  it('bad values and files', () => {
    for (const v of ['0', '-0.5', '1.01', 'half', '']) {
      expect(genErr('--image', 'in.png', '--strength', v)).toBe(`--strength must be a number in (0, 1] (got "${v}")`);
    }
    expect(genErr('--image', 'nope.png')).toBe('--image nope.png: file not found');
    expect(genErr('--image', 'empty.png')).toBe('--image empty.png: the file is empty');
    expect(genErr('--image', 'in.png', '--mask', 'nope.png')).toBe('--mask nope.png: file not found');
    expect(genErr('--image', 'in.png', '--mask', 'empty.png')).toBe('--mask empty.png: the file is empty');
    for (const v of ['16,0,0', '15,0,0,0', '-16,0,0,0', 'a,b,c,d', '16,0,0,0,0', '16.0,0,0,0']) {
      expect(genErr('--image', 'in.png', '--outpaint', v)).toBe(
        `--outpaint must be LEFT,TOP,RIGHT,BOTTOM: the pixels added per side, four multiples of 16 ≥ 0 (got "${v}")`);
    }
    expect(genErr('--image', 'in.png', '--outpaint', '0,0,0,0')).toBe('--outpaint 0,0,0,0 adds nothing: give at least one side a margin');
    expect(genErr('--image', 'in.png', '--outpaint', '16,0,0,0', '--width', '96')).toBe(
      '--outpaint makes the canvas the image plus the margins: not with --width');
    expect(parseOutpaint(' 0, 16 ,0,0')).toEqual({ left: 0, top: 16, right: 0, bottom: 0 });
  });

  it('--orders/--noise with --image wait for the decoded image (u is not known before)', () => {
    const f = file('o16.json', JSON.stringify([Array.from({ length: 16 }, (_, i) => i)]));
    const c = gen('--image', 'in.png', '--size', '64', '--orders', f);
    expect(c.pendingDeterministicCheck).toBe(true);
    expect(deterministicInputsKnown(c)).toBe(false);
  });
});

describe('the canvas planned before generating', () => {
  const src = (extra: Partial<SourceArgs> = {}): SourceArgs => ({ image: { name: 'in.png', bytes: new Uint8Array(1) }, keepPixels: false, ...extra });

  it('inpainting: the mask is resized to the canvas (nearest), u = the tokens with a masked pixel', () => {
    const image = ramp(80, 64); // 5 × 4 tokens
    const p = planSource(src({ mask: { name: 'm', bytes: new Uint8Array(1) } }), { n: 1, seed: 0 }, image, maskRect(40, 32, 0, 0, 20, 16));
    expect([p.width, p.height, p.offset]).toEqual([80, 64, { x: 0, y: 0 }]);
    expect(p.maskResizedFrom).toEqual({ width: 40, height: 32 });
    expect(p.mask!.data.length).toBe(80 * 64);
    // the mask's white block [0, 20) × [0, 16) covers [0, 40) × [0, 32) of the canvas: tokens 0-2 of rows 0-1
    expect(p.layout).toEqual({ gh: 4, gw: 5, candidates: [0, 1, 2, 5, 6, 7], count: 6, chosen: false, partial: true });
    const same = planSource(src(), { n: 1, seed: 0, strength: 0.5 }, image, maskRect(80, 64, 0, 0, 1, 1));
    expect(same.maskResizedFrom).toBeUndefined();
    expect(same.layout).toMatchObject({ candidates: [0], count: 1, chosen: true });
    const grown = planSource(src(), { n: 1, seed: 0, growMask: true }, image, maskRect(80, 64, 0, 0, 1, 1));
    expect(grown.layout.candidates).toEqual([0, 1, 5, 6]);
  });

  it('outpainting: canvas = image + margins, the image at (LEFT, TOP); variations of the whole image', () => {
    const p = planSource(src({ outpaint: { left: 16, top: 0, right: 32, bottom: 16 } }), { n: 1, seed: 0 }, ramp(64, 48));
    expect([p.width, p.height, p.offset]).toEqual([112, 64, { x: 16, y: 0 }]);
    expect(p.layout.gh * p.layout.gw).toBe(28);
    expect(p.layout.count).toBe(28 - 12); // the 4 × 3 tokens of the image are known
    const v = planSource(src(), { n: 1, seed: 0, strength: 0.25 }, ramp(64, 64));
    expect(v.layout).toMatchObject({ count: 4, chosen: true });
    expect(v.layout.candidates).toHaveLength(16);
    const wide = planSource(src(), { n: 1, seed: 0, width: 96, height: 64 }, ramp(64, 64));
    expect([wide.width, wide.height, wide.layout.count]).toEqual([96, 64, 8]);
  });

  it('refuses what the engine would refuse, as usage errors', () => {
    const plan = (s: SourceArgs, o: object, image = ramp(64, 64), mask?: ReturnType<typeof maskRect>) =>
      err(() => planSource(s, { n: 1, seed: 0, ...o }, image, mask));
    expect(plan(src(), {}, ramp(70, 64))).toBe(
      '--image in.png is 70×64, not a multiple of 16 on each side: give the canvas with --width W --height H (the image sits at its top-left corner, cropped or padded)');
    expect(plan(src({ outpaint: { left: 16, top: 0, right: 0, bottom: 0 } }), {}, ramp(70, 64))).toBe(
      '--outpaint: the 70×64 image plus the margins is 86×64, not a multiple of 16 on each side (give the canvas with --width/--height instead)');
    expect(plan(src(), {})).toBe('nothing to generate: give a mask, a strength or a canvas larger than the image');
    expect(plan(src(), {}, ramp(64, 64), maskRect(64, 64, 0, 0, 0, 0))).toBe('the mask marks no pixel to regenerate (white, a value ≥ 128)');
  });

  it('resizeMaskNearest: pixel centres, the red channel', () => {
    const m = { width: 2, height: 1, rgba: new Uint8Array([255, 0, 0, 255, 10, 255, 255, 255]) };
    expect(Array.from(resizeMaskNearest(m, 4, 2).data)).toEqual([255, 255, 10, 10, 255, 255, 10, 10]);
    const big = maskRect(4, 4, 2, 0, 4, 4);
    expect(Array.from(resizeMaskNearest(big, 2, 2).data)).toEqual([0, 255, 0, 255]);
  });
});

describe('--orders/--noise over u', () => {
  const layout: TokenLayout = { gh: 4, gw: 5, candidates: [0, 1, 2, 5, 6, 7], count: 6, chosen: false, partial: true };
  const withImage = (...argv: string[]) => gen('--image', 'in.png', '--mask', 'mask.png', ...argv);

  it('orders: a permutation of the unknown tokens; with --strength u distinct ones', () => {
    const ok = file('ou.json', JSON.stringify([[7, 0, 5, 1, 6, 2]]));
    const c = withImage('--orders', ok);
    checkDeterministicInputs(c, undefined, layout);
    expect(c.pendingDeterministicCheck).toBe(false);
    const bad = file('ob.json', JSON.stringify([[0, 1, 2, 3, 4, 5]]));
    expect(err(() => checkDeterministicInputs(withImage('--orders', bad), undefined, layout))).toBe(
      '--orders ob.json: entry 0 is not a permutation of the 6 unknown tokens (those with a masked or uncovered pixel; row-major indices of the 4×5 token grid)');
    const chosen = { ...layout, count: 2, chosen: true };
    checkDeterministicInputs(withImage('--orders', file('o2.json', '[[6, 1]]')), undefined, chosen);
    expect(err(() => checkDeterministicInputs(withImage('--orders', file('o3.json', '[[6, 1, 2]]')), undefined, chosen))).toBe(
      '--orders o3.json: entry 0 must list 2 distinct tokens of the 6 unknown ones (--strength: u = 2; row-major indices of the 4×5 token grid)');
  });

  it('noise: n·u·(S+1)·16 float32, S from the flags or the defaults', () => {
    const good = file('nu.f32', new Uint8Array(2 * 6 * 3 * 16 * 4));
    const c = withImage('--n', '2', '--sampling-steps', '2', '--noise', good);
    expect(c.pendingDeterministicCheck).toBe(true);
    expect(deterministicInputsKnown(c, undefined, layout)).toBe(true);
    checkDeterministicInputs(c, undefined, layout);
    const d = withImage('--n', '2', '--noise', good);
    expect(deterministicInputsKnown(d, undefined, layout)).toBe(false); // S: the package's
    expect(err(() => checkDeterministicInputs(d, { samplingSteps: 3 }, layout))).toBe(
      `--noise nu.f32: has ${2 * 6 * 3 * 64} bytes; expected n·u·(S+1)·16·4 = 2·6·4·16·4 = ${2 * 6 * 4 * 64} (u = 6 generated tokens of the 4×5 grid)`);
  });

  it('non-square text-to-image: N = gh·gw, checked at parse time', () => {
    const f = file('o8.json', JSON.stringify([[7, 6, 5, 4, 3, 2, 1, 0]]));
    expect(gen('--width', '64', '--height', '32', '--orders', f).pendingDeterministicCheck).toBe(false);
    expect(genErr('--width', '64', '--height', '64', '--orders', f)).toBe('--orders o8.json: entry 0 is not a permutation of 0…15 (N = 16 tokens)');
    // --width alone: the height is the package's size
    const c = gen('--width', '64', '--orders', f);
    expect(c.pendingDeterministicCheck).toBe(true);
    checkDeterministicInputs(c, { size: 32 });
  });

  it('--fast: Σ_k c_k·(S_k+1) slots, K from --steps or the defaults', () => {
    // DESIGN.md §6: K = 4 over 16 tokens: c = 2, 3, 5, 6 at S_k = 50, 35, 20, 5 → 351 slots
    const f = file('nf.f32', new Uint8Array(351 * 16 * 4));
    expect(gen('--fast', '--size', '64', '--steps', '4', '--noise', f).pendingDeterministicCheck).toBe(false);
    const c = gen('--fast', '--size', '64', '--noise', f);
    expect(c.pendingDeterministicCheck).toBe(true);
    checkDeterministicInputs(c, { steps: 4, samplingSteps: 100 }); // S is not the fast preset's
    expect(genErr('--fast', '--size', '64', '--steps', '2', '--noise', f)).toBe(
      `--noise nf.f32: has ${351 * 64} bytes; expected n·Σ_k c_k·(S_k+1)·16·4 = 1·${5 * 51 + 11 * 6}·16·4 = ${(5 * 51 + 11 * 6) * 64} ` +
      '(the fast preset: c_k = 5, 11 tokens at S_k = 50, 5 over 16 generated tokens)');
    // and over u for a partly known image
    const layout: TokenLayout = { gh: 4, gw: 4, candidates: [0, 1, 2, 3], count: 4, chosen: false, partial: true };
    const p = gen('--image', 'in.png', '--fast', '--steps', '1', '--noise', file('n4.f32', new Uint8Array(4 * 51 * 64)));
    checkDeterministicInputs(p, undefined, layout);
  });
});

describe('--keep-pixels', () => {
  it('the source exactly from one token away from the mask, the result inside it', () => {
    const source = ramp(64, 64);
    const p = planSource({ image: { name: 'in.png', bytes: new Uint8Array(1) }, keepPixels: true }, { n: 1, seed: 0 }, source,
      maskRect(64, 64, 16, 16, 32, 32));
    const result = { width: 64, height: 64, rgba: new Uint8Array(64 * 64 * 4).fill(200) };
    const generated = new Uint8Array(16);
    generated[5] = 1;
    const [out] = keepSourcePixels([result], p, [generated]);
    expect([out.width, out.height]).toEqual([64, 64]);
    const at = (x: number, y: number) => Array.from(out.rgba.subarray((y * 64 + x) * 4, (y * 64 + x) * 4 + 4));
    expect(at(20, 20)).toEqual([200, 200, 200, 200]); // masked: the result
    expect(at(48, 20)).toEqual([48, 20, 68, 255]); // 17 px from the mask: the source
    expect(at(0, 0)).toEqual([0, 0, 0, 255]);
  });
});
