// What the e2e tests check of a finished <img>: its decoded size and that it is a picture, not a
// flat fill (quality is the eval's job, not these tests').
import type { Locator } from 'playwright';

/** An <img>'s decoded pixels: size, distinct colours, grey-level standard deviation. */
export function imageStats(img: Locator) {
  return img.evaluate(async (e: HTMLImageElement) => {
    await e.decode();
    const c = new OffscreenCanvas(e.naturalWidth, e.naturalHeight);
    const ctx = c.getContext('2d')!;
    ctx.drawImage(e, 0, 0);
    const px = ctx.getImageData(0, 0, c.width, c.height).data;
    const colours = new Set<number>();
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < px.length; i += 4) {
      colours.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
      const grey = (px[i] + px[i + 1] + px[i + 2]) / 3;
      sum += grey;
      sq += grey * grey;
    }
    const n = px.length / 4;
    return { width: c.width, height: c.height, colours: colours.size, std: Math.sqrt(Math.max(0, sq / n - (sum / n) ** 2)) };
  });
}
