// Edit an image: any image of the history ("Edit") or a picked file, a mask painted over it
// (mask-editor.ts), and three ways to regenerate part of it (edit-request.ts): the masked area
// with a new prompt, a strip added on one side (outpainting), or variations. The edit runs with
// Text to image's settings (steps, CFG, seed, images per prompt, previews), shows its steps like a
// generation (live-run.ts), and its result joins the history with its source. With "Keep pixels
// outside the mask" the source's pixels are pasted back outside the regenerated area, blended over
// one token (pasteBack, shared with the widget and the CLI).
//
// After an edit the editor moves on to its (first) result, the mask kept when the size is the same,
// so edits chain (press Extend twice for 64 px); every earlier image stays in the history.

import type { GeneratedImage, InputImage, ModelInfo } from '../engine/api';
import { STRIDE, vaeStride } from '../engine/limits';
import { pasteBack } from '../engine/paste-back';
import { errorText, formatMs } from '../ui/format';
import { decodeImageFile, fitToGrid, resizeImage, resizeMaskNearest } from '../ui/images';
import { byId, say } from './dom';
import type { GeneratePanel } from './generate';
import type { History, HistoryRef } from './history';
import { editRequest, EditInputError, EXTEND_PX, type EditAction, type EditRequest, type Side } from './edit-request';
import { LiveRun, SettingError } from './live-run';
import { BRUSH_MAX, BRUSH_MIN, MaskEditor, type Tool } from './mask-editor';
import type { ModelPanel } from './models';
import { describe, type AppState } from './state';

export interface EditPanel {
  /** Puts `img` in the editor (from the history), its prompt as the edit prompt. */
  open(img: GeneratedImage | InputImage, ref: HistoryRef): void;
}

/** The editor's image and what it is. `picked`: a file, fitted to the model's size at the first edit. */
interface Source {
  image: InputImage;
  label: string;
  picked: boolean;
}

export function setupEditPanel(state: AppState, models: Pick<ModelPanel, 'ensureModel'>, gen: GeneratePanel, history: History): EditPanel {
  const panel = byId('edit');
  const fileInput = byId<HTMLInputElement>('edit-file');
  const work = byId('edit-work');
  const sourceLabel = byId('edit-source');
  const maskStatus = byId('mask-status');
  const toolInputs = [byId<HTMLInputElement>('tool-brush'), byId<HTMLInputElement>('tool-eraser')];
  const sizeInput = byId<HTMLInputElement>('brush-size');
  const sizeOut = byId<HTMLOutputElement>('brush-size-value');
  const clearBtn = byId<HTMLButtonElement>('mask-clear');
  const invertBtn = byId<HTMLButtonElement>('mask-invert');
  const prompt = byId<HTMLTextAreaElement>('edit-prompt');
  const keep = byId<HTMLInputElement>('keep-pixels');
  const regenerateBtn = byId<HTMLButtonElement>('edit-regenerate');
  const extendBtns = [...panel.querySelectorAll<HTMLButtonElement>('button[data-extend]')];
  const strength = byId<HTMLInputElement>('strength');
  const strengthOut = byId<HTMLOutputElement>('strength-value');
  const variationsBtn = byId<HTMLButtonElement>('edit-variations');
  const stopBtn = byId<HTMLButtonElement>('edit-stop');
  const message = byId('edit-message');
  const parts = { live: byId('edit-live'), status: byId('edit-status'), bar: byId<HTMLProgressElement>('edit-bar'), previews: byId('edit-previews') };
  let source: Source | null = null;
  let controller: AbortController | null = null;
  let moved = false;

  const editor = new MaskEditor(
    { image: byId<HTMLCanvasElement>('edit-canvas'), overlay: byId<HTMLCanvasElement>('mask-canvas'), cursor: byId('mask-cursor') },
    () => {
      moved = false;
      showMask();
    },
    () => showTool(),
  );
  sizeInput.min = String(BRUSH_MIN);
  sizeInput.max = String(BRUSH_MAX);
  byId('extend-px').textContent = String(EXTEND_PX);

  /** The mask status line: how much is masked, in pixels and tokens (what the engine regenerates). */
  function showMask(): void {
    if (!source) return;
    const { width: w, height: h } = editor;
    const n = editor.masked();
    // a token (the VAE stride's square) is redrawn when any pixel of it is masked
    const t = state.model ? vaeStride(state.model.config) : STRIDE;
    const gw = Math.ceil(w / t);
    const tokens = new Set<number>();
    for (let i = 0; i < editor.mask.length; i++) if (editor.mask[i]) tokens.add(Math.floor(Math.floor(i / w) / t) * gw + Math.floor((i % w) / t));
    const at = moved ? `Brush at ${editor.cursor().x}, ${editor.cursor().y}. ` : '';
    maskStatus.textContent = n === 0 ? `${at}Nothing masked yet: paint over what to regenerate.`
      : `${at}Masked: ${Math.round((100 * n) / (w * h))}% of the image (${tokens.size} of ${gw * Math.ceil(h / t)} tokens to regenerate).`;
  }

  function showTool(): void {
    for (const t of toolInputs) t.checked = t.value === editor.tool;
    sizeInput.value = String(editor.size);
    sizeOut.textContent = `${editor.size} px`;
  }

  /** `keepMask`: after an edit, on its result (same size: the same area can be redrawn again). */
  function use(next: Source, keepMask = false): void {
    source = next;
    editor.setImage(next.image, keepMask);
    sourceLabel.textContent = `Editing ${next.label} (${next.image.width}×${next.image.height}).`;
    work.hidden = false;
    showMask();
    render();
  }

  function open(img: InputImage, ref: HistoryRef): void {
    if (controller) return say(message, 'Wait for the edit to finish (or stop it) before changing the image.');
    use({ image: { width: img.width, height: img.height, rgba: img.rgba }, label: ref.label, picked: false });
    prompt.value = ref.prompt;
    say(message, '');
    panel.scrollIntoView({ block: 'start', behavior: 'smooth' });
    byId('mask-canvas').focus({ preventScroll: true });
  }

  /** A picked image fitted to the model: sides multiples of the VAE stride, longer side at most
   * the size the model draws (Size, else its own); the mask follows, nearest neighbour. */
  function fitPicked(s: Source, info: ModelInfo, side: number): { image: InputImage; mask: Uint8Array } {
    const stride = vaeStride(info.config);
    const { width, height } = fitToGrid(s.image.width, s.image.height, side, stride);
    if (width === s.image.width && height === s.image.height) return { image: s.image, mask: editor.mask };
    const mask = resizeMaskNearest({ width: s.image.width, height: s.image.height, data: editor.mask }, width, height);
    return { image: resizeImage(s.image, width, height), mask };
  }

  async function run(action: EditAction): Promise<void> {
    const s = source;
    if (!s) return;
    const text = prompt.value.trim();
    if (!text) {
      prompt.focus();
      return say(message, 'Enter an edit prompt first: what the regenerated part should show.');
    }
    if (state.busy && state.busy !== 'engine') return say(message, `Wait until the current ${describe(state.busy)} finishes.`);
    let settings;
    try {
      settings = gen.settings();
      editRequest(s.image, editor.mask, action); // refuses now, before any model load
    } catch (e) {
      return say(message, errorText(e));
    }
    // the canvas is the image's (and what Extend adds); Size only bounds a picked file
    const fitSide = settings.size;
    delete settings.size;
    say(message, '');
    const ctl = new AbortController();
    controller = ctl;
    render();
    const live = new LiveRun(parts);
    const made: { req?: EditRequest } = {};
    try {
      const r = await live.run(state, models, text, (info) => {
        const fitted = s.picked ? fitPicked(s, info, fitSide ?? info.defaults.size) : { image: s.image, mask: editor.mask };
        try {
          made.req = editRequest(fitted.image, fitted.mask, action);
        } catch (e) {
          throw new SettingError(errorText(e)); // the fitted mask lost every painted pixel
        }
        return { ...settings, ...made.req.options };
      }, ctl.signal);
      const req = made.req!;
      const { options } = req;
      const stride = vaeStride(r.info.config);
      const images = keep.checked
        ? r.res.images.map((img, i) => ({
          width: img.width, height: img.height,
          rgba: pasteBack({ result: img, source: options.image, offset: options.offset, mask: options.mask, generated: r.res.generated?.[i], stride }),
        }))
        : r.res.images;
      await history.add({ prompt: text, options: r.used, images, ms: r.res.ms, edit: { what: req.what, source: { image: options.image, label: s.label } } });
      live.hide();
      const n = images.length;
      say(message, `Done: ${req.what.toLowerCase()}, ${n === 1 ? '1 image' : `${n} images`} in ${formatMs(r.res.ms)}.`, 'ok');
      gen.ranWith(r.used.seed ?? 0);
      if (source === s) use({ image: images[0], label: `the result of “${text}”`, picked: false }, true);
    } catch (e) {
      const why = e instanceof EditInputError ? { text: e.message, kind: 'error' as const, status: 'Failed' } : live.explain(e);
      say(message, why.text, why.kind);
      parts.status.textContent = why.status;
    } finally {
      controller = null;
      render();
    }
  }

  function render(): void {
    const running = controller !== null;
    const blocked = (state.busy !== null && state.busy !== 'engine') || running || !source;
    for (const b of [regenerateBtn, variationsBtn, ...extendBtns]) b.disabled = blocked;
    stopBtn.disabled = !running;
    fileInput.disabled = running;
    panel.setAttribute('aria-busy', String(running));
  }
  state.subscribe(render);

  fileInput.addEventListener('change', async () => {
    const file = fileInput.files?.[0];
    fileInput.value = '';
    if (!file) return;
    try {
      const image = await decodeImageFile(file);
      use({ image, label: `“${file.name}”`, picked: true });
      say(message, '');
    } catch (e) {
      say(message, errorText(e));
    }
  });
  for (const t of toolInputs) {
    t.addEventListener('change', () => {
      if (t.checked) editor.tool = t.value as Tool;
      editor.placeCursor();
    });
  }
  sizeInput.addEventListener('input', () => {
    editor.size = Number(sizeInput.value);
    sizeOut.textContent = `${editor.size} px`;
    editor.placeCursor();
  });
  byId('mask-canvas').addEventListener('keydown', (e) => {
    if (e.key.startsWith('Arrow')) {
      moved = true;
      showMask();
    }
  });
  clearBtn.addEventListener('click', () => editor.clear());
  invertBtn.addEventListener('click', () => editor.invert());
  strength.addEventListener('input', () => (strengthOut.textContent = Number(strength.value).toFixed(2)));
  regenerateBtn.addEventListener('click', () => void run({ kind: 'inpaint' }));
  for (const b of extendBtns) b.addEventListener('click', () => void run({ kind: 'extend', side: b.dataset.extend as Side }));
  variationsBtn.addEventListener('click', () => void run({ kind: 'variations', strength: Number(strength.value) }));
  stopBtn.addEventListener('click', () => controller?.abort());
  showTool();
  strengthOut.textContent = Number(strength.value).toFixed(2);

  return { open };
}
