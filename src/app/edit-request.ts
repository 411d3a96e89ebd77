// What an edit of the demo asks the engine for (DESIGN.md §2 "Partly known images"), from the
// editor's image, its painted mask and the button pressed. Pure: unit-tested in Node.
//
// - Regenerate masked area: inpainting, { image, mask }.
// - Extend <side>: outpainting by EXTEND_PX on that side, { image, width, height, offset } (the new
//   strip is what the image does not cover; a painted mask is regenerated too).
// - Variations: { image, strength } (with a painted mask: within it).

import type { GenerateOptions, InputImage, MaskImage } from '../engine/api';
import { STRIDE } from '../engine/limits';
import { generateOption, optionRule, optionValid } from '../engine/options';

/** Pixels one press of an Extend button adds: two token rows or columns. One token gives the model
 * little room to draw anything; two are still quick on the CPU. */
export const EXTEND_PX = 2 * STRIDE;

export type Side = 'left' | 'top' | 'right' | 'bottom';

export type EditAction =
  | { kind: 'inpaint' }
  | { kind: 'extend'; side: Side }
  | { kind: 'variations'; strength: number };

/** A request the editor cannot make as it stands (shown as is). */
export class EditInputError extends Error {}

/** The partly-known-image part of the request, and what to call it in the history. */
export interface EditRequest {
  options: Required<Pick<GenerateOptions, 'image' | 'width' | 'height'>> & Pick<GenerateOptions, 'mask' | 'offset' | 'strength'>;
  what: string;
}

/** `mask`: one flag per pixel of `image` (1 = regenerate), or null when nothing is painted. */
export function editRequest(image: InputImage, mask: Uint8Array | null, action: EditAction): EditRequest {
  const { width, height } = image;
  const painted = mask && mask.some((v) => v) ? mask : null;
  const canvasMask = (w: number, h: number, x: number, y: number): MaskImage | undefined => {
    if (!painted) return undefined;
    const data = new Uint8Array(w * h);
    for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) if (painted[r * width + c]) data[(r + y) * w + c + x] = 255;
    return { width: w, height: h, data };
  };
  switch (action.kind) {
    case 'inpaint':
      if (!painted) throw new EditInputError('Paint over the area to regenerate first (or use Extend or Variations).');
      return { options: { image, width, height, mask: canvasMask(width, height, 0, 0) }, what: 'Inpainting' };
    case 'extend': {
      const grow = EXTEND_PX;
      const w = action.side === 'left' || action.side === 'right' ? width + grow : width;
      const h = action.side === 'top' || action.side === 'bottom' ? height + grow : height;
      const x = action.side === 'left' ? grow : 0;
      const y = action.side === 'top' ? grow : 0;
      const mask = canvasMask(w, h, x, y);
      return {
        options: { image, width: w, height: h, offset: { x, y }, ...(mask ? { mask } : {}) },
        what: `Outpainting: ${grow} px on the ${action.side}${painted ? ' and the masked area' : ''}`,
      };
    }
    case 'variations': {
      const s = action.strength;
      const rule = generateOption('strength');
      if (!optionValid(rule, s)) throw new EditInputError(`The variation strength must be ${optionRule(rule)} (got ${s}).`);
      const mask = canvasMask(width, height, 0, 0);
      return {
        options: { image, width, height, strength: s, ...(mask ? { mask } : {}) },
        what: `Variation, strength ${s.toFixed(2)}${painted ? ' within the mask' : ''}`,
      };
    }
  }
}
