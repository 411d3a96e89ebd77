// What `harmon generate` writes: PNG files (pngjs), the image grid for --n > 1, latents as
// little-endian float32, and GenEval's folder layout for --prompts (DESIGN.md §6).

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';

/** RGBA pixels, row-major (the shape of the engine's GeneratedImage). */
export interface RgbaImage {
  width: number;
  height: number;
  rgba: Uint8Array | Uint8ClampedArray;
}

/** A roughly square grid for n images: ceil(√n) columns, as many rows as needed. */
export function gridLayout(n: number): { cols: number; rows: number } {
  if (!Number.isInteger(n) || n < 1) throw new Error(`grid of ${n} images`);
  const cols = Math.ceil(Math.sqrt(n));
  return { cols, rows: Math.ceil(n / cols) };
}

/** Places the images side by side, row by row, left to right (image i at column i mod cols, row
 * ⌊i / cols⌋). Cells are as large as the largest image; empty space is opaque black. */
export function composeGrid(images: readonly RgbaImage[]): RgbaImage {
  if (images.length === 0) throw new Error('no images to put in a grid');
  if (images.length === 1) return images[0];
  const { cols, rows } = gridLayout(images.length);
  const cw = Math.max(...images.map((im) => im.width));
  const ch = Math.max(...images.map((im) => im.height));
  const width = cols * cw;
  const height = rows * ch;
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 3; i < rgba.length; i += 4) rgba[i] = 255;
  images.forEach((im, i) => {
    checkImage(im);
    const x0 = (i % cols) * cw;
    const y0 = Math.floor(i / cols) * ch;
    for (let y = 0; y < im.height; y++) {
      const src = im.rgba.subarray(y * im.width * 4, (y + 1) * im.width * 4);
      rgba.set(src, ((y0 + y) * width + x0) * 4);
    }
  });
  return { width, height, rgba };
}

function checkImage(im: RgbaImage): void {
  if (im.rgba.length !== im.width * im.height * 4) {
    throw new Error(`image ${im.width}×${im.height} has ${im.rgba.length} bytes, expected ${im.width * im.height * 4}`);
  }
}

/** PNG bytes of an RGBA image. Opaque images are stored as RGB (what generated images are). */
export function encodePng(im: RgbaImage): Buffer {
  checkImage(im);
  let opaque = true;
  for (let i = 3; i < im.rgba.length; i += 4) {
    if (im.rgba[i] !== 255) {
      opaque = false;
      break;
    }
  }
  const png = new PNG({ width: im.width, height: im.height });
  png.data = Buffer.from(im.rgba.buffer, im.rgba.byteOffset, im.rgba.byteLength);
  return PNG.sync.write(png, { colorType: opaque ? 2 : 6, inputColorType: 6, inputHasAlpha: true });
}

/** RGBA pixels of PNG bytes. */
export function decodePng(bytes: Uint8Array): RgbaImage {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
}

function writeFileMkdir(file: string, data: Uint8Array | string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, data);
}

/** Writes one PNG: the image itself, or the grid when there are several. */
export function writePng(file: string, images: readonly RgbaImage[]): void {
  writeFileMkdir(file, encodePng(composeGrid(images)));
}

/** Little-endian float32 bytes. */
export function float32LeBytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return out;
}

export function writeLatents(file: string, latents: Float32Array): void {
  writeFileMkdir(file, float32LeBytes(latents));
}

/** GenEval's folder for prompt `index` (0-based): DIR/00000. */
export function genEvalPromptDir(dir: string, index: number): string {
  return path.join(dir, String(index).padStart(5, '0'));
}

/** Writes DIR/{index:05}/metadata.jsonl (the input line, unchanged) and samples/{i:04}.png.
 * Returns the files written. */
export function writeGenEvalPrompt(dir: string, index: number, line: string, images: readonly RgbaImage[]): string[] {
  const base = genEvalPromptDir(dir, index);
  const samples = path.join(base, 'samples');
  mkdirSync(samples, { recursive: true });
  const written: string[] = [];
  const meta = path.join(base, 'metadata.jsonl');
  writeFileSync(meta, `${line}\n`);
  written.push(meta);
  images.forEach((im, i) => {
    const file = path.join(samples, `${String(i).padStart(4, '0')}.png`);
    writeFileSync(file, encodePng(im));
    written.push(file);
  });
  return written;
}
