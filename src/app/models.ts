// The model panel: choose a model (embedded default, a URL, a local folder, or one from the offline
// cache), load it with progress (bytes, speed, ETA), show what is loaded, list and delete cached models.
// SHA-256 verification happens in the engine; its errors are shown here.

import type { ModelInfo, PackageSource } from '../engine/api';
import { deleteCachedModel, listCachedModels, type CachedModel } from '../engine/cache';
import { byId, el, say } from './dom';
import { errorText, explainLoadError, formatBytes, formatMs, isAbort, normalizeModelUrl } from './format';
import { fetchManifestSummary, summarizeManifest, type ManifestSummary } from './manifest-summary';
import { DownloadMeter } from './progress';
import type { AppState, ModelDefaults } from './state';

/** Where a build carries the embedded default model (vite-app.ts copies models/default/package there). */
export const DEFAULT_MODEL_PATH = './models/default/';

export interface ModelPanel {
  /** Loads the package at `url` (what the URL field does); resolves when done or failed. */
  loadUrl(url: string): Promise<void>;
}

export function setupModelPanel(state: AppState, onLoaded: (info: ModelInfo, defaults: ModelDefaults) => void): ModelPanel {
  const select = byId<HTMLSelectElement>('model-source');
  const urlRow = byId('url-row');
  const urlInput = byId<HTMLInputElement>('model-url');
  const folderRow = byId('folder-row');
  const folderInput = byId<HTMLInputElement>('model-folder');
  const loadBtn = byId<HTMLButtonElement>('load');
  const cancelBtn = byId<HTMLButtonElement>('load-cancel');
  const progressBox = byId('load-progress');
  const bar = byId<HTMLProgressElement>('load-bar');
  const progressText = byId('load-text');
  const message = byId('model-error');
  const infoList = byId('model-info');
  const cachedList = byId('cached-list');
  const cachedNote = byId('cached-note');
  let defaultModel: ManifestSummary | null = null;
  let controller: AbortController | null = null;

  function showRows(): void {
    urlRow.hidden = select.value !== 'url';
    folderRow.hidden = select.value !== 'folder';
  }

  function fillOptions(cached: CachedModel[]): void {
    const keep = select.value;
    const opts: HTMLOptionElement[] = [];
    if (defaultModel) {
      opts.push(new Option(`Embedded default: ${defaultModel.name} (${formatBytes(defaultModel.bytes)})`, 'default'));
    }
    opts.push(new Option('From a URL…', 'url'), new Option('From a folder on this computer…', 'folder'));
    for (const m of cached.filter((c) => c.complete)) {
      opts.push(new Option(`Cached: ${m.name || m.baseUrl} (${formatBytes(m.bytes)})`, `cache:${m.baseUrl}`));
    }
    select.replaceChildren(...opts);
    const values = opts.map((o) => o.value);
    select.value = values.includes(keep) ? keep : values[0];
    showRows();
  }

  async function refreshCache(): Promise<void> {
    let cached: CachedModel[] = [];
    try {
      if (!('caches' in globalThis)) {
        cachedNote.textContent = 'This page cannot keep models offline here (no Cache Storage: the page needs https or localhost).';
      } else {
        cached = await listCachedModels();
        cachedNote.textContent = cached.length ? '' : 'No models are cached yet. Models loaded from a URL are kept here for offline use.';
      }
    } catch (e) {
      cachedNote.textContent = `Could not read the offline cache: ${errorText(e)}`;
    }
    cachedList.replaceChildren(...cached.map((m) => {
      const del = el('button', { type: 'button', 'aria-label': `Delete ${m.name || 'model'} (${m.baseUrl}) from the offline cache`, text: 'Delete' });
      del.addEventListener('click', async () => {
        del.disabled = true;
        try {
          await deleteCachedModel(m.baseUrl);
          say(message, `Deleted ${m.name || m.baseUrl} from the offline cache.`, 'ok');
        } catch (e) {
          say(message, `Could not delete ${m.baseUrl}: ${errorText(e)}`);
        }
        await refreshCache();
      });
      return el('li', { 'data-base-url': m.baseUrl },
        el('span', { class: 'cached-name', text: m.name || '(unnamed)' }), ' ',
        el('span', { class: 'cached-size', text: `${formatBytes(m.bytes)} in ${m.files} files${m.complete ? '' : ' (incomplete)'}` }), ' ',
        el('code', { class: 'cached-url', text: m.baseUrl }), ' ', del);
    }));
    cachedNote.hidden = !cachedNote.textContent;
    fillOptions(cached);
  }

  function renderInfo(info: ModelInfo): void {
    const c = info.config;
    const rows: [string, string][] = [
      ['Name', info.name],
      ['Weights', `${info.dtype}, ${formatBytes(info.bytes)}`],
      ['Image size', `${info.imageSize} × ${info.imageSize}`],
      ['LLM', `${c.llm.num_hidden_layers} layers × ${c.llm.hidden_size}`],
      ['MAR', `encoder ${c.mar.depth} × ${c.mar.width}, decoder ${c.mar.decoder_depth} × ${c.mar.decoder_width}`],
      ['GPU', info.adapter],
    ];
    infoList.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
    infoList.hidden = false;
  }

  async function load(source: PackageSource, label: string, summary: ManifestSummary | null): Promise<void> {
    if (state.busy) return say(message, `Wait until the current ${state.busy === 'generate' ? 'generation' : state.busy} finishes.`);
    say(message, '');
    controller = new AbortController();
    const meter = new DownloadMeter(summary?.bytes);
    progressBox.hidden = false;
    bar.removeAttribute('value');
    progressText.textContent = `Loading ${label}…`;
    const t0 = performance.now();
    try {
      const info = await state.run('load', (engine) =>
        engine.load(source, {
          signal: controller!.signal,
          onProgress: (p) => {
            const v = meter.update(p, performance.now());
            if (v.fraction === null) bar.removeAttribute('value');
            else bar.value = v.fraction;
            progressText.textContent = v.text;
          },
        }));
      state.model = info;
      renderInfo(info);
      say(message, `Loaded ${info.name} (${info.dtype}, ${formatBytes(info.bytes)}) in ${formatMs(performance.now() - t0)}.`, 'ok');
      progressBox.hidden = true;
      onLoaded(info, summary?.defaults ?? {});
      state.changed();
    } catch (e) {
      progressBox.hidden = true;
      const still = state.model ? ` ${state.model.name} stays loaded.` : '';
      if (isAbort(e)) say(message, `Loading cancelled.${still}`, 'info');
      else say(message, `Could not load the model: ${explainLoadError(e)}${still}`);
    } finally {
      controller = null;
      await refreshCache();
    }
  }

  async function loadUrl(text: string): Promise<void> {
    let url: string;
    try {
      url = normalizeModelUrl(text, location.href);
    } catch (e) {
      say(message, errorText(e));
      return;
    }
    await load({ url }, url, await fetchManifestSummary(url));
  }

  async function loadFolder(): Promise<void> {
    const files = Array.from(folderInput.files ?? []);
    if (files.length === 0) return say(message, 'Choose the model package folder first (the folder that holds manifest.json).');
    const map = new Map<string, Blob>();
    for (const f of files) map.set(f.webkitRelativePath || f.name, f);
    const manifestKey = [...map.keys()].filter((k) => k === 'manifest.json' || k.endsWith('/manifest.json'))
      .sort((a, b) => a.length - b.length)[0];
    let summary: ManifestSummary | null = null;
    if (manifestKey) summary = summarizeManifest(await map.get(manifestKey)!.text().catch(() => ''));
    const folder = (files[0].webkitRelativePath || '').split('/')[0] || 'the folder';
    await load({ files: map }, folder, summary);
  }

  loadBtn.addEventListener('click', () => {
    const v = select.value;
    if (v === 'url') void loadUrl(urlInput.value);
    else if (v === 'folder') void loadFolder();
    else if (v === 'default') void loadUrl(new URL(DEFAULT_MODEL_PATH, location.href).href);
    else if (v.startsWith('cache:')) void loadUrl(v.slice('cache:'.length));
  });
  urlInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !loadBtn.disabled) loadBtn.click();
  });
  cancelBtn.addEventListener('click', () => controller?.abort());
  select.addEventListener('change', showRows);

  state.subscribe(() => {
    const loading = state.busy === 'load';
    loadBtn.disabled = !state.engine || state.busy !== null;
    cancelBtn.hidden = !loading;
    select.disabled = loading;
  });

  void (async () => {
    // offline, the manifest comes from the offline cache when the default was loaded before
    defaultModel = await fetchManifestSummary(new URL(DEFAULT_MODEL_PATH, location.href).href);
    await refreshCache();
    if (defaultModel) select.value = 'default';
    else byId('no-default-note').hidden = false;
    showRows();
  })();

  return { loadUrl };
}
