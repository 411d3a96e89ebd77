// readImageHeader against files written by PIL (src/reliability/fixtures/make_fixtures.py): the size
// each format's header announces, read without decoding.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_DECODED_PIXELS, oversizedImage, readImageHeader } from './image-header';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../reliability/fixtures/${name}`, import.meta.url)));

describe('readImageHeader', () => {
  it.each([
    ['one-pixel.png', 'png', 1, 1],
    ['huge-20000.png', 'png', 20000, 20000],
    ['rgb16.png', 'png', 32, 32],
    ['animated.gif', 'gif', 32, 32],
    ['cmyk.jpg', 'jpeg', 32, 32],
    ['wide-lossy.webp', 'webp', 48, 20],
    ['wide-lossless.webp', 'webp', 48, 20],
    ['wide.bmp', 'bmp', 48, 20],
  ])('%s: %s %i×%i', (name, format, width, height) => {
    expect(readImageHeader(fixture(name))).toEqual({ format, width, height });
  });

  it('a JPEG cut before its frame header, text and too few bytes: not recognised', () => {
    const jpg = fixture('cmyk.jpg');
    expect(readImageHeader(jpg.subarray(0, 20))).toBeUndefined();
    expect(readImageHeader(fixture('not-an-image.png'))).toBeUndefined();
    expect(readImageHeader(new Uint8Array([0x89, 0x50]))).toBeUndefined();
  });
});

describe('oversizedImage', () => {
  it('refuses a header over 8192² pixels, saying its size; takes one at the limit and unknown headers', () => {
    expect(oversizedImage(fixture('huge-20000.png'))).toBe(
      'it is 20000×20000 pixels; the largest image taken is 67108864 pixels (8192×8192): scale it down first');
    expect(oversizedImage(fixture('wide.bmp'))).toBeUndefined();
    expect(oversizedImage(fixture('not-an-image.png'))).toBeUndefined();
    const png = fixture('one-pixel.png').slice();
    new DataView(png.buffer).setUint32(16, MAX_DECODED_PIXELS); // 67108864 × 1: exactly the limit
    expect(oversizedImage(png)).toBeUndefined();
    new DataView(png.buffer).setUint32(20, 2);
    expect(oversizedImage(png)).toMatch(/^it is 67108864×2 pixels/);
  });
});
