// End to end: `npm run --silent harmon -- …` as a user runs it. Argument errors need no browser; the
// rest drive the real engine in headless Chromium.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePng, encodePng } from './output';
import { harmon, root, type Run } from './run-testing';

const TINY = 'models/golden/tiny/package';
/** 80 × 64 RGB: 5 × 4 tokens */
const IMAGE = path.join(root, 'models/golden/tiny/image.png');
const tmp = mkdtempSync(path.join(tmpdir(), 'harmon-e2e-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A failing run: the status, and stderr ends in exactly one "error: …" line, no stack trace. */
function expectError(r: Run, code: number, message: string | RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trimEnd().split('\n');
  const errors = lines.filter((l) => l.startsWith('error:'));
  expect(errors, r.stderr).toHaveLength(1);
  expect(lines.at(-1)).toBe(errors[0]);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  if (typeof message === 'string') expect(errors[0]).toBe(`error: ${message}`);
  else expect(errors[0]).toMatch(message);
  expect(r.stdout).toBe('');
}

describe('argument errors (exit 2, one line, before anything starts)', () => {
  it('empty prompt', async () => {
    expectError(await harmon('generate', '--prompt', '', '--out', path.join(tmp, 'o.png')), 2, 'the prompt is empty');
  });

  it('missing model folder', async () => {
    const r = await harmon('generate', '--model', '/nonexistent/harmon-pkg', '--prompt', 'a cat', '--out', path.join(tmp, 'o.png'));
    expectError(r, 2, 'model folder not found: /nonexistent/harmon-pkg');
  });

  it('invalid --cfg', async () => {
    const r = await harmon('generate', '--model', TINY, '--prompt', 'a cat', '--cfg', '0.5', '--out', path.join(tmp, 'o.png'));
    expectError(r, 2, '--cfg must be a finite number from 1 to 100 (got "0.5")');
  });

  it('bad --backend', async () => {
    const r = await harmon('ask', '--model', TINY, '--image', 'x.png', '--question', 'q', '--backend', 'cuda');
    expectError(r, 2, '--backend must be auto, webgpu or wasm (got "cuda")');
  });

  it('unknown flag', async () => {
    const r = await harmon('ask', '--model', TINY, '--image', 'x.png', '--question', 'q', '--steps', '3');
    expectError(r, 2, 'unknown option --steps for ask (see --help)');
  });

  it('partly known images: --mask without --image, --fast with --sampling-steps, a bad --outpaint', async () => {
    const out = path.join(tmp, 'o.png');
    expectError(await harmon('generate', '--model', TINY, '--prompt', 'a cat', '--mask', 'm.png', '--out', out), 2,
      '--mask needs --image FILE (the source image the mask marks)');
    expectError(await harmon('generate', '--model', TINY, '--prompt', 'a cat', '--fast', '--sampling-steps', '10', '--out', out), 2,
      '--fast sets the sampling steps per MAR step (50 → 5): leave out --sampling-steps (got 10)');
    expectError(await harmon('generate', '--model', TINY, '--prompt', 'a cat', '--image', IMAGE, '--outpaint', '8,0,0,0', '--out', out), 2,
      /^error: --outpaint must be LEFT,TOP,RIGHT,BOTTOM: .*multiples of 16/);
  });

  it('--help', async () => {
    const r = await harmon('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/npm run harmon -- ask/);
  });
});

describe('through the engine in Chromium', () => {
  it('a file that is not an image fails in the page decode (exit 1)', async () => {
    const bad = path.join(tmp, 'x.png');
    writeFileSync(bad, 'this is text, not a PNG\n');
    const r = await harmon('ask', '--model', TINY, '--image', bad, '--question', 'What is in the image?');
    expectError(r, 1, /^error: could not decode the image .*x\.png/);
  }, 300_000);

  it('generate writes a grid PNG and the latents', async () => {
    const out = path.join(tmp, 'g.png');
    const lat = path.join(tmp, 'g.f32');
    const r = await harmon(
      'generate', '--model', TINY, '--prompt', 'a red cube', '--n', '2', '--size', '64', '--steps', '2',
      '--sampling-steps', '2', '--out', out, '--latents', lat,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^step 1\/2$/m);
    expect(r.stderr).toMatch(/^step 2\/2$/m);
    const png = decodePng(readFileSync(out));
    expect([png.width, png.height]).toEqual([128, 64]);
    expect(readFileSync(lat).byteLength).toBe(2 * 16 * 16 * 4);
  }, 600_000);

  it('ask prints the answer, then the token ids (forced onto WebGPU)', async () => {
    const r = await harmon(
      'ask', '--model', TINY, '--image', path.join(root, 'models/golden/tiny/image.png'), '--question', 'What is this?',
      '--max-new-tokens', '4', '--tokens', '--backend', 'webgpu',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^backend webgpu: asked for/m);
    const lines = r.stdout.split('\n');
    const ids = JSON.parse(lines.at(-2)!);
    expect(Array.isArray(ids) && ids.length <= 4 && ids.every(Number.isInteger)).toBe(true);
  }, 600_000);

  it("ask answers as the reference: the package's size and repetition penalty, --repetition-penalty 1 for plain greedy", async () => {
    const u = JSON.parse(readFileSync(path.join(root, 'models/golden/tiny/vectors.json'), 'utf8')).understanding;
    const ask = (...extra: string[]) => harmon('ask', '--model', TINY, '--image', IMAGE, '--question', u.turns[0].question,
      '--max-new-tokens', String(u.max_new_tokens), '--tokens', '--backend', 'wasm', ...extra);
    const ids = (r: { stdout: string }) => JSON.parse(r.stdout.split('\n').at(-2)!);
    const official = await ask('--size', String(u.size));
    expect(official.code, official.stderr).toBe(0);
    expect(ids(official)).toEqual(u.turns[0].greedy_ids);
    const plain = await ask('--repetition-penalty', '1');
    expect(plain.code, plain.stderr).toBe(0);
    expect(ids(plain)).toEqual(u.plain_greedy_turns[0].greedy_ids);
  }, 600_000);

  /** The tiny package with other defaults: 2 MAR steps, cfg 1.5, temperature 0.5, 32², 3 sampling
   * steps (the manifest is not hashed; its files are unchanged). */
  function packageWithDefaults(): string {
    const dir = path.join(tmp, 'tiny-defaults');
    cpSync(path.join(root, TINY), dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    manifest.defaults = { steps: 2, cfg: 1.5, cfg_schedule: 'constant', temperature: 0.5, size: 32 };
    manifest.diffusion.default_sampling_steps = 3;
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    return dir;
  }

  it('with no step/cfg/size flags the engine runs the package defaults (not 64/3/100); --orders/--noise checked against them', async () => {
    const pkg = packageWithDefaults();
    const [N, S] = [4, 3]; // 32² = 2×2 tokens
    const orders = path.join(tmp, 'orders4.json');
    writeFileSync(orders, JSON.stringify([[3, 1, 0, 2]]));
    const noise = path.join(tmp, 'noise-s3.f32');
    writeFileSync(noise, new Uint8Array(N * (S + 1) * 16 * 4));
    const out = path.join(tmp, 'd.png');
    const lat = path.join(tmp, 'd.f32');
    const r = await harmon('generate', '--model', pkg, '--prompt', 'a red cube', '--out', out, '--latents', lat,
      '--orders', orders, '--noise', noise, '--backend', 'wasm');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^backend wasm: asked for/m);
    expect(r.stderr).toMatch(/^package defaults: 2 MAR steps, cfg 1\.5 \(constant\), temperature 0\.5, 32px, 3 sampling steps$/m);
    // the engine's own count of MAR steps, its image size and its latents
    expect(r.stderr.match(/^step \d+\/\d+$/gm)).toEqual(['step 1/2', 'step 2/2']);
    const png = decodePng(readFileSync(out));
    expect([png.width, png.height]).toEqual([32, 32]);
    expect(readFileSync(lat).byteLength).toBe(N * 16 * 4);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(/^generated 1 image in \d+\.\d s$/);
    // noise sized for 100 sampling steps does not fit the package's 3: a usage error before generating
    writeFileSync(noise, new Uint8Array(N * 101 * 16 * 4));
    const bad = await harmon('generate', '--model', pkg, '--prompt', 'a red cube', '--out', out, '--noise', noise, '--backend', 'wasm');
    expectError(bad, 2, /^error: --noise .*noise-s3\.f32: has 25856 bytes; expected n·N·\(S\+1\)·16·4 = 1·4·4·16·4 = 1024$/);
    expect(bad.stderr).not.toMatch(/^step /m);
  }, 600_000);

  it('--prompts: prompt i draws with seed + i', async () => {
    const prompts = path.join(tmp, 'same.jsonl');
    writeFileSync(prompts, '{"prompt": "a red cube"}\n{"prompt": "a red cube"}\n');
    const dir = path.join(tmp, 'geneval');
    const common = ['--model', TINY, '--size', '32', '--steps', '2', '--sampling-steps', '2', '--backend', 'wasm'];
    const r = await harmon('generate', ...common, '--prompts', prompts, '--seed', '5', '--out', dir);
    expect(r.code, r.stderr).toBe(0);
    const one = path.join(tmp, 'seed6.png');
    const r6 = await harmon('generate', ...common, '--prompt', 'a red cube', '--seed', '6', '--out', one);
    expect(r6.code, r6.stderr).toBe(0);
    const [first, second] = [0, 1].map((i) => decodePng(readFileSync(path.join(dir, `0000${i}`, 'samples', '0000.png'))).rgba);
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(false); // same prompt, another seed
    expect(Buffer.from(second).equals(Buffer.from(decodePng(readFileSync(one)).rgba))).toBe(true); // 5 + 1
  }, 600_000);
});

describe('partly known images, any canvas, the fast preset (through the engine)', () => {
  const common = ['--model', TINY, '--prompt', 'a red cube', '--steps', '2', '--backend', 'wasm'];
  const lastLine = (r: Run) => r.stderr.trimEnd().split('\n').at(-1);

  it('inpainting: the mask resized to the canvas, --orders/--noise over u, --keep-pixels keeps the source from 16 px away', async () => {
    // a 40×32 mask, white on [0, 20) × [0, 16): on the 80×64 canvas [0, 40) × [0, 32), tokens 0-2 and 5-7
    const mask = { width: 40, height: 32, rgba: new Uint8Array(40 * 32 * 4) };
    for (let y = 0; y < 32; y++) for (let x = 0; x < 40; x++) mask.rgba.fill(x < 20 && y < 16 ? 255 : 0, (y * 40 + x) * 4, (y * 40 + x) * 4 + 3);
    for (let i = 3; i < mask.rgba.length; i += 4) mask.rgba[i] = 255;
    const maskFile = path.join(tmp, 'mask.png');
    writeFileSync(maskFile, encodePng(mask));
    const orders = path.join(tmp, 'orders-u.json');
    writeFileSync(orders, JSON.stringify([[7, 0, 5, 1, 6, 2]]));
    const noise = path.join(tmp, 'noise-u.f32');
    const values = Float32Array.from({ length: 6 * 3 * 16 }, (_, i) => Math.sin(i)); // u·(S+1)·16, S = 2
    writeFileSync(noise, new Uint8Array(values.buffer));
    const out = path.join(tmp, 'inpaint.png');
    const lat = path.join(tmp, 'inpaint.f32');
    const args = [...common, '--image', IMAGE, '--mask', maskFile, '--sampling-steps', '2', '--keep-pixels', '--out', out];
    const r = await harmon('generate', ...args, '--orders', orders, '--noise', noise, '--latents', lat);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^mask 40×32 resized to the 80×64 canvas \(nearest neighbour\)$/m);
    expect(r.stderr).toMatch(/^canvas 80×64 \(the 80×64 image at 0, 0\): 6 of 20 tokens to generate$/m);
    expect(lastLine(r)).toMatch(/^generated 1 image in \d+\.\d s$/);
    const png = decodePng(readFileSync(out));
    const src = decodePng(readFileSync(IMAGE));
    expect([png.width, png.height]).toEqual([80, 64]);
    let kept = 0;
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 80; x++) {
        if (x < 56 && y < 48) continue; // within 16 px of the masked [0, 40) × [0, 32)
        const i = (y * 80 + x) * 4;
        expect(Array.from(png.rgba.subarray(i, i + 4)), `pixel ${x}, ${y}`).toEqual(Array.from(src.rgba.subarray(i, i + 4)));
        kept++;
      }
    }
    expect(kept).toBe(80 * 64 - 56 * 48);
    expect(readFileSync(lat).byteLength).toBe(20 * 16 * 4); // the whole canvas, gh × gw × 16
    // orders over all N tokens are not the u unknown ones: refused before the model loads
    writeFileSync(orders, JSON.stringify([Array.from({ length: 20 }, (_, i) => i)]));
    const bad = await harmon('generate', ...args, '--orders', orders);
    expectError(bad, 2, /^error: --orders .*orders-u\.json: entry 0 is not a permutation of the 6 unknown tokens/);
    expect(bad.stderr).not.toMatch(/^loading /m);
  }, 600_000);

  it('outpainting with --fast: the canvas is the image plus the margins', async () => {
    const out = path.join(tmp, 'outpaint.png');
    const r = await harmon('generate', ...common, '--image', IMAGE, '--outpaint', '16,0,0,16', '--fast', '--keep-pixels', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^canvas 96×80 \(the 80×64 image at 16, 0\): 10 of 30 tokens to generate$/m);
    expect(lastLine(r)).toMatch(/^generated 1 image in \d+\.\d s$/);
    const png = decodePng(readFileSync(out));
    expect([png.width, png.height]).toEqual([96, 80]);
    // --keep-pixels: the source, placed at (16, 0), exactly from 16 px away from the new margins
    const src = decodePng(readFileSync(IMAGE));
    for (let y = 0; y < 48; y++) {
      for (let x = 32; x < 96; x++) {
        const i = (y * 96 + x) * 4;
        const j = (y * 80 + x - 16) * 4;
        expect(Array.from(png.rgba.subarray(i, i + 4)), `pixel ${x}, ${y}`).toEqual(Array.from(src.rgba.subarray(j, j + 4)));
      }
    }
  }, 600_000);

  it('--width/--height: non-square text-to-image, a grid of two, --orders over N = gh·gw', async () => {
    const out = path.join(tmp, 'wide.png');
    const lat = path.join(tmp, 'wide.f32');
    const orders = path.join(tmp, 'orders-wide.json');
    writeFileSync(orders, JSON.stringify([[7, 6, 5, 4, 3, 2, 1, 0], [0, 1, 2, 3, 4, 5, 6, 7]]));
    const r = await harmon('generate', ...common, '--width', '64', '--height', '32', '--n', '2', '--sampling-steps', '2',
      '--orders', orders, '--out', out, '--latents', lat);
    expect(r.code, r.stderr).toBe(0);
    expect([decodePng(readFileSync(out)).width, decodePng(readFileSync(out)).height]).toEqual([128, 32]);
    expect(readFileSync(lat).byteLength).toBe(2 * 8 * 16 * 4);
    expect(lastLine(r)).toMatch(/^generated 2 images in \d+\.\d s$/);
  }, 600_000);

  it('a --mask that is not an image: exit 2, before the model loads', async () => {
    const notImage = path.join(tmp, 'mask.txt');
    writeFileSync(notImage, 'white means regenerate\n');
    const r = await harmon('generate', ...common, '--image', IMAGE, '--mask', notImage, '--out', path.join(tmp, 'x.png'));
    expectError(r, 2, /^error: could not decode the image .*mask\.txt \(--mask\)/);
    expect(r.stderr).not.toMatch(/^loading /m);
  }, 300_000);

  it('--prompts lines with their own "image" and "mask" (one browser): each edits its image, a plain line stays text-to-image', async () => {
    const dir = path.join(tmp, 'batch');
    cpSync(IMAGE, path.join(dir, 'scene.png'));
    const mask = { width: 80, height: 64, rgba: new Uint8Array(80 * 64 * 4).fill(255) };
    for (let y = 0; y < 64; y++) for (let x = 0; x < 80; x++) if (!(x >= 16 && x < 32 && y < 16)) mask.rgba.fill(0, (y * 80 + x) * 4, (y * 80 + x) * 4 + 3);
    writeFileSync(path.join(dir, 'mask.png'), encodePng(mask));
    const lines = ['{"prompt": "a red cube", "image": "scene.png", "mask": "mask.png", "tag": "x"}', '{"prompt": "a blue ball"}'];
    writeFileSync(path.join(dir, 'p.jsonl'), `${lines.join('\n')}\n`);
    const args = ['generate', '--model', TINY, '--backend', 'wasm', '--steps', '2', '--sampling-steps', '2', '--prompts', path.join(dir, 'p.jsonl'), '--keep-pixels',
      '--strength', '1']; // --strength: for the edit line only (the engine refuses it without an image)
    const r = await harmon(...args, '--out', path.join(dir, 'out'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^line 1: canvas 80×64 \(the 80×64 image at 0, 0\): 1 of 20 tokens to generate$/m);
    const edit = decodePng(readFileSync(path.join(dir, 'out', '00000', 'samples', '0000.png')));
    const plain = decodePng(readFileSync(path.join(dir, 'out', '00001', 'samples', '0000.png')));
    expect(readFileSync(path.join(dir, 'out', '00000', 'metadata.jsonl'), 'utf8')).toBe(`${lines[0]}\n`);
    expect([edit.width, edit.height, plain.width, plain.height]).toEqual([80, 64, 64, 64]);
    const src = decodePng(readFileSync(IMAGE));
    const far = (y: number) => y >= 32; // 16 px or more below the masked token [16, 32) × [0, 16)
    for (let i = 0; i < edit.rgba.length; i += 4) if (far(Math.floor(i / 4 / 80))) expect(edit.rgba[i], `byte ${i}`).toBe(src.rgba[i]);
    // a line whose "image" the page cannot decode: exit 2 before the model loads, naming the line
    writeFileSync(path.join(dir, 'bad.txt'), 'not an image\n');
    writeFileSync(path.join(dir, 'p.jsonl'), `${lines[1]}\n{"prompt": "x", "image": "bad.txt"}\n`);
    const bad = await harmon(...args, '--out', path.join(dir, 'out2'));
    expectError(bad, 2, /^error: line 2: could not decode the image .*bad\.txt \("image"\)/);
    expect(bad.stderr).not.toMatch(/^loading /m);
  }, 600_000);
});
