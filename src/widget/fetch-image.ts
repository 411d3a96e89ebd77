// An image URL's pixels, for <harmon-ask src> and <harmon-image src / mask>. Failures are input
// errors that say what to check (CORS, the page's CSP).

import type { InputImage } from '../engine/api';
import { errorText } from '../ui/format';
import { decodeImageFile, ImageInputError } from '../ui/images';

const GENERIC_TYPES = new Set(['application/octet-stream', 'binary/octet-stream', 'application/unknown']);

/** `what` names the image in messages ("the image", "the mask"). */
export async function fetchImage(url: string, signal: AbortSignal, what = 'the image'): Promise<InputImage> {
  const name = decodeURIComponent(new URL(url).pathname.split('/').pop() || url);
  let res: Response;
  try {
    res = await fetch(url, { signal });
  } catch (e) {
    signal.throwIfAborted();
    throw new ImageInputError(`could not fetch ${what} ${url} (${errorText(e)}): its server must allow this page to read it ` +
      '(CORS), and a Content-Security-Policy must list its origin in connect-src');
  }
  if (!res.ok) throw new ImageInputError(`could not fetch ${what} ${url}: HTTP ${res.status}`);
  const blob = await res.blob();
  // many static hosts serve a type they do not know (a .jpg, .gif or .webp) as generic bytes: the
  // bytes then decide, as they do for a picked file without a type
  return decodeImageFile(GENERIC_TYPES.has(blob.type) ? new Blob([blob]) : blob, name);
}
