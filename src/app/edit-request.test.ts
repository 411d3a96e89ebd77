// The demo's edit requests (inpainting, outpainting, variations) and the picked-image fitting.
import { describe, expect, it } from 'vitest';
import { editRequest, EXTEND_PX } from './edit-request';
import { fitToGrid, resizeMaskNearest } from '../ui/images';

const image = { width: 32, height: 16, rgba: new Uint8ClampedArray(32 * 16 * 4) };
const mask = new Uint8Array(32 * 16);
mask[3 * 32 + 5] = 1; // pixel (5, 3)

describe('editRequest', () => {
  it('inpaints the painted pixels on the image\'s own canvas, and refuses an empty mask', () => {
    const r = editRequest(image, mask, { kind: 'inpaint' });
    expect(r.what).toBe('Inpainting');
    expect(r.options).toMatchObject({ image, width: 32, height: 16 });
    expect(r.options.mask!.data.length).toBe(32 * 16);
    expect([...r.options.mask!.data].filter((v) => v === 255)).toHaveLength(1);
    expect(r.options.mask!.data[3 * 32 + 5]).toBe(255);
    expect(() => editRequest(image, new Uint8Array(32 * 16), { kind: 'inpaint' })).toThrow(/Paint over the area/);
    expect(() => editRequest(image, null, { kind: 'inpaint' })).toThrow(/Paint over the area/);
  });

  it('extends one side by EXTEND_PX, the image placed so that the new strip is uncovered', () => {
    expect(EXTEND_PX % 16).toBe(0);
    const left = editRequest(image, null, { kind: 'extend', side: 'left' });
    expect(left.options).toEqual({ image, width: 32 + EXTEND_PX, height: 16, offset: { x: EXTEND_PX, y: 0 } });
    expect(left.what).toBe(`Outpainting: ${EXTEND_PX} px on the left`);
    expect(editRequest(image, null, { kind: 'extend', side: 'bottom' }).options).toEqual({ image, width: 32, height: 16 + EXTEND_PX, offset: { x: 0, y: 0 } });
    // a painted mask moves with the image onto the larger canvas
    const top = editRequest(image, mask, { kind: 'extend', side: 'top' });
    expect(top.options.mask!.width).toBe(32);
    expect(top.options.mask!.height).toBe(16 + EXTEND_PX);
    expect(top.options.mask!.data[(3 + EXTEND_PX) * 32 + 5]).toBe(255);
    expect(top.what).toMatch(/and the masked area$/);
  });

  it('asks for variations of the whole image, or within the mask', () => {
    expect(editRequest(image, null, { kind: 'variations', strength: 0.25 })).toEqual({
      options: { image, width: 32, height: 16, strength: 0.25 }, what: 'Variation, strength 0.25',
    });
    expect(editRequest(image, mask, { kind: 'variations', strength: 1 }).options.mask).toBeDefined();
    expect(() => editRequest(image, null, { kind: 'variations', strength: 0 })).toThrow(/strength/);
  });
});

describe('fitting a picked image', () => {
  it('scales down (never up) to the longer side, each side a multiple of the stride', () => {
    expect(fitToGrid(40, 30, 64, 16)).toEqual({ width: 48, height: 32 });
    expect(fitToGrid(1000, 500, 256, 16)).toEqual({ width: 256, height: 128 });
    expect(fitToGrid(64, 64, 256, 16)).toEqual({ width: 64, height: 64 });
    expect(fitToGrid(5, 3, 256, 16)).toEqual({ width: 16, height: 16 });
  });

  it('resizes a mask nearest-neighbour (grey or RGBA in, one value per pixel out)', () => {
    const m = { width: 2, height: 2, data: new Uint8Array([255, 0, 0, 255]) };
    expect([...resizeMaskNearest(m, 4, 4)]).toEqual([255, 255, 0, 0, 255, 255, 0, 0, 0, 0, 255, 255, 0, 0, 255, 255]);
    const rgba = { width: 1, height: 2, data: new Uint8Array([200, 0, 0, 255, 10, 255, 255, 255]) };
    expect([...resizeMaskNearest(rgba, 1, 4)]).toEqual([200, 200, 10, 10]);
  });
});
