// Pixels in and out of a page (the demo, the widget, the CLI's host page): RGBA ↔ canvas, PNG files,
// decoding image files the user picks, drops or pastes, or that a flag names.

import type { GeneratedImage, InputImage } from '../engine/api';
import { HEADER_BYTES, oversizedImage } from './image-header';

/** The largest side handed to the engine; it resizes to the model's size anyway. */
const MAX_SIDE = 2048;

export class ImageInputError extends Error {
  override name = 'ImageInputError';
}

/** Draws RGBA pixels into `canvas` (resizing the canvas to the image). */
export function drawRgba(canvas: HTMLCanvasElement, img: GeneratedImage | InputImage): void {
  canvas.width = img.width;
  canvas.height = img.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  // ImageData needs its own ArrayBuffer-backed array
  ctx.putImageData(new ImageData(new Uint8ClampedArray(img.rgba), img.width, img.height), 0, 0);
}

/** Encodes RGBA pixels as a PNG file. */
export function toPng(img: GeneratedImage): Promise<Blob> {
  const canvas = document.createElement('canvas');
  drawRgba(canvas, img);
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the browser could not encode a PNG'))), 'image/png'));
}

/** A file name for a generated image: harmon-a-red-circle-seed3-1.png. */
export function pngName(prompt: string, seed: number, index: number): string {
  const slug = prompt.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'image';
  return `harmon-${slug}-seed${seed}-${index + 1}.png`;
}

/**
 * Encoded image bytes (PNG, JPEG, WebP, GIF, AVIF, BMP…) → RGBA, scaled down (never up) to at most
 * `maxSide` on the longer side, through the browser's decoder: no colour-space conversion and no
 * premultiplication, so a PNG's pixels arrive as stored. Throws createImageBitmap's error for bytes
 * it cannot decode, an ImageInputError for an image without pixels or one whose header announces more
 * than MAX_DECODED_PIXELS (refused before the browser decodes it into gigabytes). Page or worker
 * (OffscreenCanvas).
 */
export async function decodeRgba(file: Blob, maxSide = Infinity): Promise<InputImage> {
  const oversized = oversizedImage(new Uint8Array(await file.slice(0, HEADER_BYTES).arrayBuffer()));
  if (oversized) throw new ImageInputError(oversized);
  const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  try {
    if (bitmap.width === 0 || bitmap.height === 0) throw new ImageInputError('it has no pixels');
    const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    return drawnRgba(bitmap, width, height);
  } finally {
    bitmap.close();
  }
}

/**
 * Decodes an image file the user gave (at most MAX_SIDE on a side). A file that is not an image, or
 * that the browser cannot decode, fails with an ImageInputError that says which file and why.
 */
export async function decodeImageFile(file: Blob, name = (file as File).name || 'the file'): Promise<InputImage> {
  if (file.type && !file.type.startsWith('image/')) {
    throw new ImageInputError(`“${name}” is not an image (${file.type}). Choose a PNG, JPEG, WebP or GIF file.`);
  }
  if (file.size === 0) throw new ImageInputError(`“${name}” is empty.`);
  try {
    return await decodeRgba(file, MAX_SIDE);
  } catch (e) {
    if (e instanceof ImageInputError) throw new ImageInputError(`“${name}”: ${e.message}.`);
    throw new ImageInputError(`“${name}” could not be read as an image. Choose a PNG, JPEG, WebP or GIF file.`);
  }
}

/** Pixel sides for an image to edit: scaled down (never up) to fit `maxSide`, then each side rounded
 * to a multiple of `stride` (at least one token), as the engine's canvas needs. */
export function fitToGrid(width: number, height: number, maxSide: number, stride: number): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  const side = (v: number) => Math.max(stride, Math.round((v * scale) / stride) * stride);
  return { width: side(width), height: side(height) };
}

/** RGBA pixels drawn at another size with the browser's high-quality scaling (unchanged when the
 * size is the same). Page or worker: OffscreenCanvas. */
export function resizeImage(img: InputImage, width: number, height: number): InputImage {
  if (img.width === width && img.height === height) return img;
  const from = new OffscreenCanvas(img.width, img.height);
  from.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(img.rgba), img.width, img.height), 0, 0);
  return drawnRgba(from, width, height);
}

/** `source` drawn at width × height with the browser's high-quality scaling, read back as RGBA. */
function drawnRgba(source: CanvasImageSource, width: number, height: number): InputImage {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new ImageInputError('this browser has no 2D canvas to read the image with');
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(source, 0, 0, width, height);
  return { width, height, rgba: ctx.getImageData(0, 0, width, height).data };
}

/** A mask (one value or four per pixel) at another size, nearest neighbour (a mask stays black and
 * white); one value per pixel out, the red channel of RGBA. */
export function resizeMaskNearest(mask: { width: number; height: number; data: ArrayLike<number> }, width: number, height: number): Uint8Array {
  const per = mask.data.length / (mask.width * mask.height);
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(mask.height - 1, Math.floor(((y + 0.5) * mask.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(mask.width - 1, Math.floor(((x + 0.5) * mask.width) / width));
      out[y * width + x] = mask.data[(sy * mask.width + sx) * per];
    }
  }
  return out;
}

/** The first image file among dropped or pasted items, or the first file at all (to report it). */
export function pickImageFile(files: FileList | File[] | null | undefined): File | undefined {
  const list = Array.from(files ?? []);
  return list.find((f) => f.type.startsWith('image/')) ?? list[0];
}
