// An encoded image's width and height from its first bytes (PNG, GIF, JPEG, WebP, BMP), read before
// the browser decodes it: a file whose header announces 20,000 × 20,000 pixels would otherwise be
// decoded into 1.6 GB of RGBA before anything could refuse it.

export interface ImageHeader {
  format: 'png' | 'gif' | 'jpeg' | 'webp' | 'bmp';
  width: number;
  height: number;
}

/** The dimensions the header announces, or undefined for a format (or a header) not recognised here. */
export function readImageHeader(b: Uint8Array): ImageHeader | undefined {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const ascii = (at: number, s: string) => b.length >= at + s.length && [...s].every((c, i) => b[at + i] === c.charCodeAt(0));
  if (b.length >= 24 && b[0] === 0x89 && ascii(1, 'PNG') && ascii(12, 'IHDR')) {
    return { format: 'png', width: v.getUint32(16), height: v.getUint32(20) };
  }
  if (b.length >= 10 && (ascii(0, 'GIF87a') || ascii(0, 'GIF89a'))) {
    return { format: 'gif', width: v.getUint16(6, true), height: v.getUint16(8, true) };
  }
  if (b.length >= 26 && ascii(0, 'BM')) {
    return { format: 'bmp', width: Math.abs(v.getInt32(18, true)), height: Math.abs(v.getInt32(22, true)) };
  }
  if (b.length >= 30 && ascii(0, 'RIFF') && ascii(8, 'WEBP')) return webp(b, v);
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) return jpeg(b, v);
  return undefined;
}

function webp(b: Uint8Array, v: DataView): ImageHeader | undefined {
  const kind = String.fromCharCode(b[12], b[13], b[14], b[15]);
  if (kind === 'VP8X') return { format: 'webp', width: 1 + (v.getUint32(24, true) & 0xffffff), height: 1 + (v.getUint32(27, true) & 0xffffff) };
  if (kind === 'VP8L') {
    const bits = v.getUint32(21, true);
    return { format: 'webp', width: 1 + (bits & 0x3fff), height: 1 + ((bits >> 14) & 0x3fff) };
  }
  if (kind === 'VP8 ') return { format: 'webp', width: v.getUint16(26, true) & 0x3fff, height: v.getUint16(28, true) & 0x3fff };
  return undefined;
}

/** Walks the JPEG markers to the first start-of-frame (SOF0–SOF15 but DHT, JPG and DAC). */
function jpeg(b: Uint8Array, v: DataView): ImageHeader | undefined {
  let at = 2;
  while (at + 9 <= b.length) {
    if (b[at] !== 0xff) return undefined;
    const marker = b[at + 1];
    if (marker === 0xff) { at++; continue; }
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { format: 'jpeg', height: v.getUint16(at + 5), width: v.getUint16(at + 7) };
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { at += 2; continue; }
    at += 2 + v.getUint16(at + 2);
  }
  return undefined;
}

/** The most pixels an image may announce before it is decoded (8192², 256 MiB of RGBA). */
export const MAX_DECODED_PIXELS = 8192 * 8192;
/** JPEG's frame header may follow EXIF and colour profiles: this much covers all but pathological files. */
export const HEADER_BYTES = 256 * 1024;

/** Why the file whose first bytes are `head` is not decoded (too many pixels), or undefined. The
 * caller names the file: "“big.png”: it is …" (decodeImageFile), "could not decode the image big.png: it is …" (the CLI). */
export function oversizedImage(head: Uint8Array): string | undefined {
  const h = readImageHeader(head);
  if (!h || h.width * h.height <= MAX_DECODED_PIXELS) return undefined;
  return `it is ${h.width}×${h.height} pixels; the largest image taken is ${MAX_DECODED_PIXELS} pixels (8192×8192): scale it down first`;
}
