// Test helpers for the browser tests: the committed golden vectors (models/golden/tiny) and the
// error metric the whole project uses (max |a − b| / max |b|).

import { parseSafetensors, type SafeTensors } from './safetensors';

export const GOLDEN = '/models/golden/tiny';

export async function goldenVectors(): Promise<{ v: SafeTensors; meta: any }> {
  const [bin, meta] = await Promise.all([
    fetch(`${GOLDEN}/vectors.safetensors`).then((r) => r.arrayBuffer()),
    fetch(`${GOLDEN}/vectors.json`).then((r) => r.json()),
  ]);
  return { v: parseSafetensors(bin), meta };
}

/** The golden understanding picture (80×64, image.png) as the engine takes it: its RGBA bytes. */
export async function goldenPicture(): Promise<{ width: number; height: number; rgba: Uint8ClampedArray }> {
  const bmp = await createImageBitmap(await (await fetch(`${GOLDEN}/image.png`)).blob());
  const ctx = new OffscreenCanvas(bmp.width, bmp.height).getContext('2d')!;
  ctx.drawImage(bmp, 0, 0);
  return { width: bmp.width, height: bmp.height, rgba: ctx.getImageData(0, 0, bmp.width, bmp.height).data };
}

export function vec(v: SafeTensors, name: string): Float32Array | Int32Array {
  const t = v.get(name);
  if (!t) throw new Error(`golden vectors have no ${name}`);
  return t.data as Float32Array | Int32Array;
}

export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < b.length; i++) {
    if (!Number.isFinite(a[i])) return Infinity;
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

/** The token grid of a golden case's settings: width × height, or a square of `size`. */
export function goldenGrid(s: { size?: number; width?: number; height?: number }, stride: number): { gh: number; gw: number } {
  return { gh: (s.height ?? s.size!) / stride, gw: (s.width ?? s.size!) / stride };
}
