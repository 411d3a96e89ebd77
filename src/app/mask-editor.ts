// The mask painted over an image: a brush and an eraser, by pointer (mouse, pen, touch: Pointer
// Events; a pen's eraser end erases) and by keyboard (the arrow keys move a brush cursor, Space
// paints; B, E pick the tool; [ and ] change its size). The mask is one flag per image pixel
// (1 = regenerate), drawn as a translucent overlay in a canvas of the image's own size stacked over
// it; the cursor is an element of its own, so the overlay holds the mask and nothing else.

import type { InputImage } from '../engine/api';
import { STRIDE } from '../engine/limits';
import { drawRgba } from '../ui/images';
import { PIXELATED_BELOW } from './live-run';

export type Tool = 'brush' | 'eraser';

export interface MaskEditorParts {
  /** shows the image */
  image: HTMLCanvasElement;
  /** the mask, over the image: takes the pointer and the keyboard (focusable) */
  overlay: HTMLCanvasElement;
  /** the brush outline, positioned over the overlay */
  cursor: HTMLElement;
}

/** Overlay colour of masked pixels (RGBA). */
const MASK_RGBA = [255, 40, 120, 150] as const;
/** Arrow keys move the cursor this far (Shift: one token). */
const KEY_STEP = 4;
const KEY_STEP_BIG = STRIDE;
export const BRUSH_MIN = 2;
export const BRUSH_MAX = 128;

export class MaskEditor {
  tool: Tool = 'brush';
  /** brush diameter in image pixels */
  size = 16;
  width = 0;
  height = 0;
  /** one flag per image pixel, 1 = regenerate */
  mask = new Uint8Array(0);
  /** the keyboard cursor, in image pixels */
  private at = { x: 0, y: 0 };
  private drawing: { id: number; tool: Tool; x: number; y: number } | null = null;
  private spaceDown = false;

  /** `onChange`: the mask changed (after a stroke, a key, clear, invert); `onTool`: B / E / [ / ] changed the tool or size. */
  constructor(private readonly parts: MaskEditorParts, private readonly onChange: () => void, private readonly onTool: () => void) {
    const o = parts.overlay;
    o.addEventListener('pointerdown', (e) => this.pointerDown(e));
    o.addEventListener('pointermove', (e) => this.pointerMove(e));
    for (const type of ['pointerup', 'pointercancel'] as const) o.addEventListener(type, (e) => this.pointerUp(e));
    o.addEventListener('pointerleave', () => {
      if (!this.drawing && document.activeElement !== o) parts.cursor.hidden = true;
    });
    o.addEventListener('keydown', (e) => this.keyDown(e));
    o.addEventListener('keyup', (e) => {
      if (e.key === ' ') this.spaceDown = false;
    });
    o.addEventListener('focus', () => this.showCursor());
    o.addEventListener('blur', () => {
      this.spaceDown = false;
      parts.cursor.hidden = true;
    });
    // the cursor's size in CSS pixels follows the overlay's displayed size
    new ResizeObserver(() => this.placeCursor()).observe(o);
  }

  /** Shows `img`. `keepMask`: the mask stays when the size is the same (else it is cleared). */
  setImage(img: InputImage, keepMask: boolean): void {
    const same = keepMask && img.width === this.width && img.height === this.height;
    drawRgba(this.parts.image, img);
    this.width = img.width;
    this.height = img.height;
    this.parts.overlay.width = img.width;
    this.parts.overlay.height = img.height;
    for (const c of [this.parts.image, this.parts.overlay]) c.classList.toggle('pixelated', img.width < PIXELATED_BELOW);
    if (!same) {
      this.mask = new Uint8Array(img.width * img.height);
      this.at = { x: Math.floor(img.width / 2), y: Math.floor(img.height / 2) };
      this.spaceDown = false;
    }
    this.render();
    this.placeCursor();
  }

  /** Pixels masked. */
  masked(): number {
    let n = 0;
    for (const v of this.mask) n += v;
    return n;
  }

  clear(): void {
    this.mask.fill(0);
    this.changed();
  }

  invert(): void {
    for (let i = 0; i < this.mask.length; i++) this.mask[i] ^= 1;
    this.changed();
  }

  /** Where the keyboard cursor is, in image pixels. */
  cursor(): { x: number; y: number } {
    return { ...this.at };
  }

  private changed(): void {
    this.render();
    this.onChange();
  }

  private render(): void {
    const { width: w, height: h } = this;
    if (!w || !h) return;
    const px = new Uint8ClampedArray(w * h * 4);
    for (let i = 0; i < w * h; i++) if (this.mask[i]) px.set(MASK_RGBA, i * 4);
    this.parts.overlay.getContext('2d')?.putImageData(new ImageData(px, w, h), 0, 0);
  }

  /** Paints (or erases) a disc of the brush's diameter centred at (x, y), in image pixels. */
  private dab(x: number, y: number, tool: Tool): void {
    const r = this.size / 2;
    const v = tool === 'brush' ? 1 : 0;
    const x0 = Math.max(0, Math.floor(x - r)), x1 = Math.min(this.width - 1, Math.ceil(x + r));
    const y0 = Math.max(0, Math.floor(y - r)), y1 = Math.min(this.height - 1, Math.ceil(y + r));
    for (let py = y0; py <= y1; py++) {
      for (let px = x0; px <= x1; px++) {
        const dx = px + 0.5 - x;
        const dy = py + 0.5 - y;
        if (dx * dx + dy * dy <= r * r) this.mask[py * this.width + px] = v;
      }
    }
    // a brush smaller than a pixel still marks the pixel under it
    const cx = Math.floor(x), cy = Math.floor(y);
    if (cx >= 0 && cy >= 0 && cx < this.width && cy < this.height) this.mask[cy * this.width + cx] = v;
  }

  /** Dabs along a segment, closely enough that a fast stroke leaves no gaps. */
  private line(x0: number, y0: number, x1: number, y1: number, tool: Tool): void {
    const n = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / Math.max(0.5, this.size / 4)));
    for (let i = 1; i <= n; i++) this.dab(x0 + ((x1 - x0) * i) / n, y0 + ((y1 - y0) * i) / n, tool);
  }

  /** A pointer event's position in image pixels. */
  private toImage(e: PointerEvent): { x: number; y: number } {
    const r = this.parts.overlay.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * this.width, y: ((e.clientY - r.top) / r.height) * this.height };
  }

  private pointerDown(e: PointerEvent): void {
    // the primary button, a pen's tip or touch; a pen's eraser end (button 5) erases
    const eraserEnd = e.pointerType === 'pen' && (e.button === 5 || (e.buttons & 32) !== 0);
    if (!this.width || (e.button !== 0 && !eraserEnd)) return;
    e.preventDefault();
    this.parts.overlay.focus({ preventScroll: true });
    this.parts.overlay.setPointerCapture(e.pointerId);
    const p = this.toImage(e);
    const tool = eraserEnd ? 'eraser' : this.tool;
    this.drawing = { id: e.pointerId, tool, ...p };
    this.dab(p.x, p.y, tool);
    this.moveCursor(p.x, p.y);
    this.render();
  }

  private pointerMove(e: PointerEvent): void {
    const p = this.toImage(e);
    this.moveCursor(p.x, p.y);
    const d = this.drawing;
    if (!d || d.id !== e.pointerId) return;
    // coalesced events: a pen or a fast mouse reports more positions than animation frames
    const points = e.getCoalescedEvents?.().map((c) => this.toImage(c)) ?? [];
    for (const q of points.length ? points : [p]) {
      this.line(d.x, d.y, q.x, q.y, d.tool);
      d.x = q.x;
      d.y = q.y;
    }
    this.render();
  }

  private pointerUp(e: PointerEvent): void {
    if (!this.drawing || this.drawing.id !== e.pointerId) return;
    this.drawing = null;
    this.onChange();
  }

  private keyDown(e: KeyboardEvent): void {
    if (!this.width || e.altKey || e.ctrlKey || e.metaKey) return;
    const step = e.shiftKey ? KEY_STEP_BIG : KEY_STEP;
    const move: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (move[e.key]) {
      const [dx, dy] = move[e.key];
      const from = { ...this.at };
      this.moveCursor(from.x + dx, from.y + dy);
      // Space held down paints along the way
      if (this.spaceDown) {
        this.line(from.x + 0.5, from.y + 0.5, this.at.x + 0.5, this.at.y + 0.5, this.tool);
        this.changed();
      }
    } else if (e.key === ' ' || e.key === 'Enter') {
      if (e.key === ' ') {
        if (e.repeat) return e.preventDefault();
        this.spaceDown = true;
      }
      this.dab(this.at.x + 0.5, this.at.y + 0.5, this.tool);
      this.changed();
    } else if (e.key === 'b' || e.key === 'e') {
      this.tool = e.key === 'b' ? 'brush' : 'eraser';
      this.onTool();
    } else if (e.key === '[' || e.key === ']') {
      this.size = Math.min(BRUSH_MAX, Math.max(BRUSH_MIN, this.size + (e.key === ']' ? 2 : -2)));
      this.placeCursor();
      this.onTool();
    } else {
      return;
    }
    e.preventDefault();
  }

  private moveCursor(x: number, y: number): void {
    this.at = { x: Math.min(this.width - 1, Math.max(0, Math.floor(x))), y: Math.min(this.height - 1, Math.max(0, Math.floor(y))) };
    this.showCursor();
  }

  private showCursor(): void {
    if (!this.width) return;
    this.parts.cursor.hidden = false;
    this.placeCursor();
  }

  /** The outline: the brush's diameter around the cursor pixel's centre, in CSS pixels. */
  placeCursor(): void {
    const o = this.parts.overlay;
    if (!this.width || !o.clientWidth) return;
    const scale = o.clientWidth / this.width;
    const d = this.size * scale;
    const s = this.parts.cursor.style;
    s.width = s.height = `${d}px`;
    s.left = `${o.offsetLeft + (this.at.x + 0.5) * scale - d / 2}px`;
    s.top = `${o.offsetTop + (this.at.y + 0.5) * scale - d / 2}px`;
    this.parts.cursor.dataset.tool = this.tool;
  }
}
