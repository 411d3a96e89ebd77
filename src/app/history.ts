// The history of results (newest first), shared by Text to image and Edit an image. Every finished
// image is an <img> whose alt text is its prompt, with PNG download, "Ask about this image" and
// "Edit". An edit's result names what it was made from and shows the source small (decorative:
// alt="", the caption says what it is, so no second image answers to the prompt).

import type { GeneratedImage, GenerateOptions, InputImage, ModelDefaults } from '../engine/api';
import { byId, el } from './dom';
import { formatMs } from '../ui/format';
import { pngName, toPng } from '../ui/images';
import { PIXELATED_BELOW } from './live-run';

/** What an edit started from: its pixels and what to call it ("#2, image 1", a file's name). */
export interface HistorySource {
  image: InputImage;
  label: string;
}

export interface HistoryItem {
  prompt: string;
  /** what was generated: the request with the model's defaults filled in */
  options: GenerateOptions & ModelDefaults;
  images: GeneratedImage[];
  ms: number;
  /** edits: what was done ("Inpainting", "Outpainting: 32 px on the right", …) and from what */
  edit?: { what: string; source: HistorySource };
}

/** A finished image handed on: the image, its prompt and what to call it ("image 1 of result 3"). */
export interface HistoryRef {
  prompt: string;
  label: string;
}

export interface HistoryActions {
  askAbout(img: GeneratedImage, label: string): void;
  edit(img: GeneratedImage, ref: HistoryRef): void;
}

export interface History {
  /** Adds a result at the top; resolves with its number (#n). */
  add(item: HistoryItem): Promise<number>;
}

export function setupHistory(actions: HistoryActions): History {
  const list = byId('history');
  const clearBtn = byId<HTMLButtonElement>('clear-history');
  const urls: string[] = [];
  let resultNo = 0;

  const pngUrl = async (img: InputImage) => {
    const url = URL.createObjectURL(await toPng(img));
    urls.push(url);
    return url;
  };
  const small = (img: InputImage) => (img.width < PIXELATED_BELOW ? 'pixelated' : undefined);

  async function add(item: HistoryItem): Promise<number> {
    const no = ++resultNo;
    const o = item.options;
    const n = item.images.length;
    const figures = await Promise.all(item.images.map(async (img, i) => {
      const url = await pngUrl(img);
      const which = `image ${i + 1} of result ${no}`;
      const image = el('img', { src: url, alt: item.prompt, width: img.width, height: img.height, class: small(img) });
      const download = el('a', { href: url, download: pngName(item.prompt, o.seed ?? 0, i), class: 'button', text: 'Download PNG',
        'aria-label': `Download ${which} as PNG` });
      const ask = el('button', { type: 'button', text: 'Ask about this image', 'aria-label': `Ask about ${which}` });
      ask.addEventListener('click', () => actions.askAbout(img, which));
      const edit = el('button', { type: 'button', text: 'Edit', 'aria-label': `Edit ${which}` });
      edit.addEventListener('click', () => actions.edit(img, { prompt: item.prompt, label: `#${no}, image ${i + 1}` }));
      return el('figure', {}, image, el('figcaption', {}, `${img.width}×${img.height} `, download, ' ', ask, ' ', edit));
    }));
    const { width, height } = item.images[0] ?? { width: o.size, height: o.size };
    const meta = `${item.edit ? `${item.edit.what} · ` : ''}${width}×${height} · ${o.steps} steps · CFG ${o.cfg} (${o.cfgSchedule})` +
      ` · temperature ${o.temperature} · ${o.preset === 'fast' ? 'fast (50 → 5 sampling steps)' : `${o.samplingSteps} sampling steps`} · seed ${o.seed}`;
    const time = n === 1 ? `1 image in ${formatMs(item.ms)}` : `${n} images in ${formatMs(item.ms)} (${formatMs(item.ms / n)} per image)`;
    let source: HTMLElement | null = null;
    if (item.edit) {
      const s = item.edit.source;
      source = el('figure', { class: 'source' },
        el('img', { src: await pngUrl(s.image), alt: '', width: s.image.width, height: s.image.height, class: small(s.image) }),
        el('figcaption', { text: `From ${s.label} (${s.image.width}×${s.image.height})` }));
    }
    // a result appears finished: its pictures decoded first, so no <img> answers to its prompt
    // before it can be shown (a PNG that fails to decode still appears, as a broken image)
    await Promise.all([...figures, source].map((f) => f?.querySelector('img')?.decode().catch(() => undefined)));
    list.prepend(el('li', { class: 'result', 'data-result': no },
      el('p', { class: 'result-prompt' }, el('span', { class: 'label', text: `#${no} ` }), item.prompt),
      el('p', { class: 'result-meta', text: meta }),
      el('p', { class: 'result-time', text: time }),
      el('div', { class: 'result-images' }, ...figures, source)));
    clearBtn.hidden = false;
    return no;
  }

  clearBtn.addEventListener('click', () => {
    for (const u of urls.splice(0)) URL.revokeObjectURL(u);
    list.replaceChildren();
    clearBtn.hidden = true;
  });

  return { add };
}
