// The model panel: choose a model (embedded default, a URL, a local folder, or one from the offline
// cache), load it with progress (bytes, speed, ETA), show what is loaded, list and delete cached models.
// Loading happens on "Load model", or on first touch: Generate or Ask with no model loaded loads the
// selected one inside their job (ensureModel). SHA-256 verification happens in the engine; its errors
// are shown here.

import type { EngineApi, ModelInfo, PackageSource } from '../engine/api';
import { deleteCachedModel, listCachedModels, type CachedModel } from '../engine/cache';
import { backendName } from './caps';
import { byId, el, say } from './dom';
import { errorText, explainLoadError, formatBytes, formatMs, isAbort, normalizeModelUrl } from '../ui/format';
import { fetchManifestSummary, summarizeManifest, type ManifestSummary } from '../ui/manifest-summary';
import { DownloadMeter, type ProgressView } from '../ui/download-meter';
import { describe, type AppState } from './state';

/** Where a build carries the embedded default model (vite-app.ts copies models/default/package there). */
export const DEFAULT_MODEL_PATH = './models/default/';

export interface LoadHooks {
  /** cancels the load (besides this panel's Cancel button) */
  signal?: AbortSignal;
  /** each progress view, for a caller that shows the load too */
  onView?: (v: ProgressView) => void;
}

export interface ModelPanel {
  /**
   * The loaded model, or else the selected one loaded now on `engine`, inside the caller's job
   * (Generate or Ask on first touch). Rejects with a message for people (also shown in this panel),
   * or with the AbortError of a cancelled load.
   */
  ensureModel(engine: EngineApi, hooks?: LoadHooks): Promise<ModelInfo>;
  /** Loads the model that was loaded last again, on `engine` (the engine was replaced); null when none was. */
  reload(engine: EngineApi): Promise<ModelInfo | null>;
}

/** A package to load: what the engine is given, what the panel calls it, its manifest's summary. */
interface Choice {
  source: PackageSource;
  label: string;
  summary: ManifestSummary | null;
}

export function setupModelPanel(state: AppState): ModelPanel {
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
  /** what was loaded last: loaded again when the engine is replaced (another backend) */
  let last: Choice | null = null;

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
    const d = info.defaults;
    const b = info.backend;
    const rows: [string, string][] = [
      ['Name', info.name],
      ['Weights', `${info.dtype}, ${formatBytes(info.bytes)}`],
      ['Image size', `${info.imageSize} × ${info.imageSize}`],
      ['LLM', `${c.llm.num_hidden_layers} layers × ${c.llm.hidden_size}`],
      ['MAR', `encoder ${c.mar.depth} × ${c.mar.width}, decoder ${c.mar.decoder_depth} × ${c.mar.decoder_width}`],
      ['Its settings', `${d.size} × ${d.size} · ${d.steps} steps · CFG ${d.cfg} (${d.cfgSchedule}) · temperature ${d.temperature}` +
        ` · ${d.samplingSteps} sampling steps`],
      ['Runs on', b.kind === 'webgpu' ? `${backendName(b.kind)} · ${b.adapter}` : `${backendName(b.kind)} · ${b.threads} thread${b.threads === 1 ? '' : 's'}`],
    ];
    infoList.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
    infoList.hidden = false;
  }

  /** The selected package; rejects with what the user has to do first (a URL, a folder). */
  async function selected(): Promise<Choice> {
    await listed;
    const v = select.value;
    if (v === 'folder') return chosenFolder();
    const text = v === 'url' ? urlInput.value
      : v === 'default' ? new URL(DEFAULT_MODEL_PATH, location.href).href
        : v.startsWith('cache:') ? v.slice('cache:'.length) : '';
    const url = normalizeModelUrl(text, location.href);
    return { source: { url }, label: url, summary: await fetchManifestSummary(url) };
  }

  async function chosenFolder(): Promise<Choice> {
    const files = Array.from(folderInput.files ?? []);
    if (files.length === 0) throw new Error('Choose the model package folder first (the folder that holds manifest.json).');
    const map = new Map<string, Blob>();
    for (const f of files) map.set(f.webkitRelativePath || f.name, f);
    const manifestKey = [...map.keys()].filter((k) => k === 'manifest.json' || k.endsWith('/manifest.json'))
      .sort((a, b) => a.length - b.length)[0];
    let summary: ManifestSummary | null = null;
    if (manifestKey) summary = summarizeManifest(await map.get(manifestKey)!.text().catch(() => ''));
    const folder = (files[0].webkitRelativePath || '').split('/')[0] || 'the folder';
    return { source: { files: map }, label: folder, summary };
  }

  /** Loads `choice` on `engine` (the caller holds the engine's job); the outcome is shown here. */
  async function load(engine: EngineApi, choice: Choice, hooks: LoadHooks = {}): Promise<ModelInfo> {
    say(message, '');
    const own = new AbortController();
    controller = own;
    const signal = hooks.signal ? AbortSignal.any([hooks.signal, own.signal]) : own.signal;
    const meter = new DownloadMeter(choice.summary?.bytes);
    progressBox.hidden = false;
    bar.removeAttribute('value');
    progressText.textContent = `Loading ${choice.label}…`;
    hooks.onView?.({ fraction: null, text: progressText.textContent });
    const t0 = performance.now();
    try {
      const info = await engine.load(choice.source, {
        signal,
        onProgress: (p) => {
          const v = meter.update(p, performance.now());
          if (v.fraction === null) bar.removeAttribute('value');
          else bar.value = v.fraction;
          progressText.textContent = v.text;
          // the worker's callbacks come over their own channel: one may land after the load, when
          // the caller shows its own job's progress
          if (controller === own) hooks.onView?.(v);
        },
      });
      state.model = info;
      last = choice;
      renderInfo(info);
      say(message, `Loaded ${info.name} (${info.dtype}, ${formatBytes(info.bytes)}) in ${formatMs(performance.now() - t0)}.`, 'ok');
      state.changed();
      return info;
    } catch (e) {
      const still = state.model ? ` ${state.model.name} stays loaded.` : '';
      if (isAbort(e)) {
        say(message, `Loading cancelled.${still}`, 'info');
        throw e;
      }
      // the engine's messages end without a full stop: one before the next sentence
      const why = explainLoadError(e).replace(/([^.!?])$/, '$1.');
      const text = `Could not load the model: ${why}${still}`;
      say(message, text);
      throw new Error(text);
    } finally {
      progressBox.hidden = true;
      if (controller === own) controller = null;
      void refreshCache();
    }
  }

  async function loadSelected(engine: EngineApi, hooks: LoadHooks = {}): Promise<ModelInfo> {
    let choice: Choice;
    try {
      choice = await selected();
    } catch (e) {
      say(message, errorText(e));
      throw e;
    }
    return load(engine, choice, hooks);
  }

  loadBtn.addEventListener('click', () => {
    if (state.busy) return say(message, `Wait until the current ${describe(state.busy)} finishes.`);
    void state.run('load', (engine) => loadSelected(engine)).catch(() => {}); // shown by load()
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
    // no model on a new engine (another backend) until it is loaded again
    infoList.hidden = !state.model;
  });

  // the list of models; until it is filled, the selection is not yet the one a first touch should load
  const listed = (async () => {
    // offline, the manifest comes from the offline cache when the default was loaded before
    defaultModel = await fetchManifestSummary(new URL(DEFAULT_MODEL_PATH, location.href).href);
    await refreshCache();
    if (defaultModel) select.value = 'default';
    else byId('no-default-note').hidden = false;
    showRows();
  })();

  return {
    ensureModel: (engine, hooks) => (state.model ? Promise.resolve(state.model) : loadSelected(engine, hooks)),
    reload: (engine) => (last ? load(engine, last) : Promise.resolve(null)),
  };
}
