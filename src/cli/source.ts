// A partly known image for `harmon generate --image` (DESIGN.md §6; README "Partly known images and
// any canvas"): inpainting (--mask), outpainting (--outpaint), variations (--strength), with
// --keep-pixels pasting the source back. Here: the flags, the canvas they describe (planned with the
// engine's own resolveCanvas/planCanvas, so the CLI knows u before it generates), the mask brought
// to the canvas's size, and the paste-back. The files are decoded in the page (the decoder `ask`
// uses); everything here is pure.

import type { InputImage, MaskImage } from '../engine/api';
import { planCanvas, resolveCanvas } from '../engine/canvas';
import { EngineError } from '../engine/errors';
import { pasteBack } from '../engine/paste-back';
import type { CliGenerateOptions } from './args';
import { UsageError } from './errors';
import { STRIDE } from '../engine/limits';
import { parseIntStrict } from '../engine/options';
import { imageInput, str, type Flags } from './flags';
import type { TokenLayout } from './layout';
import type { RgbaImage } from './output';

/** Pixels added per side by --outpaint. */
export interface Margins {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export interface SourceArgs {
  /** --image: the source, an encoded image file (any format the browser decodes) */
  image: { name: string; bytes: Uint8Array };
  /** --mask: white = regenerate; resized to the canvas with nearest neighbour */
  mask?: { name: string; bytes: Uint8Array };
  outpaint?: Margins;
  /** --keep-pixels: paste the source back outside the regenerated area, feathered over one token */
  keepPixels: boolean;
}

/** The source on its canvas, ready for engine.generate (image, mask, offset, width, height). */
export interface PlannedSource {
  image: InputImage;
  /** canvas-sized, one value per pixel (the mask file's red channel) */
  mask?: MaskImage;
  offset: { x: number; y: number };
  width: number;
  height: number;
  layout: TokenLayout;
  /** the mask file's own size, when it was resized to the canvas */
  maskResizedFrom?: { width: number; height: number };
}

/** Flags that only mean something with --image. */
const NEEDS_IMAGE = ['mask', 'outpaint', 'strength', 'keep-pixels', 'grow-mask'] as const;

/** --outpaint LEFT,TOP,RIGHT,BOTTOM: multiples of 16 ≥ 0, at least one of them positive. */
export function parseOutpaint(raw: string): Margins {
  const parts = raw.split(',').map((p) => parseIntStrict(p));
  if (parts.length !== 4 || parts.some((v) => v === undefined || v < 0 || v % STRIDE !== 0)) {
    throw new UsageError(`--outpaint must be LEFT,TOP,RIGHT,BOTTOM: the pixels added per side, four multiples of ${STRIDE} ≥ 0 (got "${raw}")`);
  }
  const [left, top, right, bottom] = parts as number[];
  if (left + top + right + bottom === 0) throw new UsageError(`--outpaint ${raw} adds nothing: give at least one side a margin`);
  return { left, top, right, bottom };
}

/** The --image flags of `generate`. Undefined without --image. */
export function parseSource(flags: Flags, cwd: string): SourceArgs | undefined {
  const imageName = str(flags, 'image');
  if (imageName === undefined) {
    const stray = NEEDS_IMAGE.find((f) => flags.has(f));
    if (stray) throw new UsageError(`--${stray} needs --image FILE (the source image${stray === 'mask' ? ' the mask marks' : ''})`);
    return undefined;
  }
  const image = { name: imageName, bytes: imageInput(imageName, 'image', cwd) };
  const maskName = str(flags, 'mask');
  const mask = maskName === undefined ? undefined : { name: maskName, bytes: imageInput(maskName, 'mask', cwd) };
  return { image, mask, ...parseSourceFlags(flags) };
}

/** The flags that go with a source, whichever names it (--image, or the "image" of --prompts
 * lines): --outpaint and --keep-pixels (--strength and --grow-mask are engine options, read into
 * the command's options with the others). */
export function parseSourceFlags(flags: Flags): Pick<SourceArgs, 'outpaint' | 'keepPixels'> {
  const outpaintRaw = str(flags, 'outpaint');
  let outpaint: Margins | undefined;
  if (outpaintRaw !== undefined) {
    outpaint = parseOutpaint(outpaintRaw);
    const clash = (['width', 'height', 'size'] as const).find((f) => flags.has(f));
    if (clash) throw new UsageError(`--outpaint makes the canvas the image plus the margins: not with --${clash}`);
  }
  return { outpaint, keepPixels: flags.get('keep-pixels') === true };
}

/** A mask image at the canvas's size by nearest neighbour (pixel centres), one value per pixel: the
 * red channel (a grey mask's value), ≥ 128 = regenerate. */
export function resizeMaskNearest(mask: RgbaImage, width: number, height: number): MaskImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(mask.height - 1, Math.floor(((y + 0.5) * mask.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(mask.width - 1, Math.floor(((x + 0.5) * mask.width) / width));
      data[y * width + x] = mask.rgba[(sy * mask.width + sx) * 4];
    }
  }
  return { width, height, data };
}

/** The engine's canvas checks, as usage errors (a bad --image/--mask/--strength is a bad argument). */
function asUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof EngineError) throw new UsageError(e.message);
    throw e;
  }
}

/** Places the decoded source on its canvas and plans which tokens are generated (u), exactly as
 * the engine will (resolveCanvas/planCanvas). Bad input is a UsageError. */
export function planSource(src: SourceArgs, options: CliGenerateOptions, image: InputImage, maskFile?: RgbaImage): PlannedSource {
  const what = `--image ${src.image.name}`;
  let width = options.width;
  let height = options.height;
  let offset = { x: 0, y: 0 };
  if (src.outpaint) {
    const m = src.outpaint;
    width = image.width + m.left + m.right;
    height = image.height + m.top + m.bottom;
    if (width % STRIDE !== 0 || height % STRIDE !== 0) {
      throw new UsageError(`--outpaint: the ${image.width}×${image.height} image plus the margins is ${width}×${height}, ` +
        `not a multiple of ${STRIDE} on each side (give the canvas with --width/--height instead)`);
    }
    offset = { x: m.left, y: m.top };
  } else if (width === undefined && height === undefined && options.size === undefined
    && (image.width % STRIDE !== 0 || image.height % STRIDE !== 0)) {
    throw new UsageError(`${what} is ${image.width}×${image.height}, not a multiple of ${STRIDE} on each side: give the canvas ` +
      'with --width W --height H (the image sits at its top-left corner, cropped or padded)');
  }
  const request = { image, offset, width, height, size: options.size, strength: options.strength, growMask: options.growMask };
  const canvas = asUsage(() => resolveCanvas(request, 0, STRIDE));
  let mask: MaskImage | undefined;
  let maskResizedFrom: PlannedSource['maskResizedFrom'];
  if (maskFile) {
    mask = resizeMaskNearest(maskFile, canvas.width, canvas.height);
    if (maskFile.width !== canvas.width || maskFile.height !== canvas.height) maskResizedFrom = { width: maskFile.width, height: maskFile.height };
  }
  const planned = asUsage(() => planCanvas(resolveCanvas({ ...request, mask }, 0, STRIDE), STRIDE));
  const layout: TokenLayout = {
    gh: planned.gh, gw: planned.gw, candidates: planned.candidates, count: planned.count, chosen: planned.chosen, partial: true,
  };
  return { image, mask, offset, width: canvas.width, height: canvas.height, layout, maskResizedFrom };
}

/** --keep-pixels: each result with the source's pixels outside the regenerated area, blended over
 * one token (pasteBack, the demo's and the widget's function). */
export function keepSourcePixels(images: readonly RgbaImage[], s: PlannedSource, generated?: readonly Uint8Array[]): RgbaImage[] {
  return images.map((im, i) => ({
    width: im.width,
    height: im.height,
    rgba: pasteBack({ result: im, source: s.image, offset: s.offset, mask: s.mask, generated: generated?.[i], stride: STRIDE }),
  }));
}
