// The backend setting (Auto / WebGPU / CPU (WASM)) and the engine's life: started when the page
// opens, on the chosen backend; replaced by a new engine (a new worker: a backend is chosen once per
// engine, at create()) when the setting changes, with the model that was loaded loaded again on it.
// The choice is kept in localStorage, so a reload keeps it.

import type { BackendChoice, BackendInfo, EngineApi } from '../engine/api';
import { EngineClient } from '../engine/client';
import { backendLine, backendName, renderBackend, type GpuReport } from './caps';
import { byId, say } from './dom';
import { errorText } from '../ui/format';
import type { AppState } from './state';

const STORAGE_KEY = 'harmon-backend';
const START_WARNING_MS = 60_000;
const CHOICES: readonly BackendChoice[] = ['auto', 'webgpu', 'wasm'];

export interface BackendHost {
  /** Starts the engine on `choice` (default: the setting's value), replacing the running one (its
   * model is loaded again). */
  start(choice?: BackendChoice): Promise<void>;
}

export interface BackendOptions {
  /** where the build keeps onnxruntime-web's runtime (absolute: the worker resolves it) */
  wasmPaths: string;
  /** loads the model that was loaded on the previous engine, on the new one (the model panel) */
  reload(engine: EngineApi): Promise<unknown>;
}

export function setupBackend(state: AppState, gpu: GpuReport, opts: BackendOptions): BackendHost {
  const select = byId<HTMLSelectElement>('backend');
  const message = byId('backend-message');
  const line = byId('backend-line');
  const facts = byId('backend-info');
  const note = byId('caps-note');
  const webgpu = select.querySelector<HTMLOptionElement>('option[value=webgpu]')!;
  // forcing WebGPU where the page found none would only fail: offered where it can run
  webgpu.disabled = Boolean(gpu.problem);
  if (gpu.problem) webgpu.textContent += ' (not available here)';

  async function start(choice: BackendChoice): Promise<void> {
    select.value = choice;
    say(message, '');
    // the running engine's model (if any) is loaded again on the new engine
    const hadModel = state.model !== null;
    try {
      await state.exclusive('engine', async () => {
        const old = state.engine;
        state.engine = null;
        state.backend = null;
        state.model = null;
        state.engineError = null;
        state.changed();
        // frees the old worker, its GPU device or WASM memory, and its model
        if (old) await old.dispose().catch(() => {});
        const slow = setTimeout(() => {
          state.startSlow = true;
          state.changed();
        }, START_WARNING_MS);
        let engine: EngineApi | null = null;
        let runsOn: BackendInfo;
        try {
          engine = await EngineClient.create({ wasmPaths: opts.wasmPaths, backend: choice });
          runsOn = await engine.backend();
        } catch (e) {
          if (engine) void engine.dispose().catch(() => {});
          state.engineError = `The engine could not start on ${backendName(choice)}: ${errorText(e)}`;
          say(message, choice === 'wasm' ? state.engineError : `${state.engineError} Choose another backend above.`);
          return;
        } finally {
          clearTimeout(slow);
          state.startSlow = false;
        }
        state.engine = engine;
        state.backend = runsOn;
        renderBackend(runsOn, gpu, facts, note);
        if (hadModel) {
          state.phase('load');
          await opts.reload(engine).catch(() => {}); // the model panel says what went wrong
        }
      });
    } catch (e) {
      say(message, errorText(e));
    }
  }
  const host: BackendHost = {
    start: (choice = select.value as BackendChoice) => state.track(start(choice)),
  };

  select.addEventListener('change', () => {
    const choice = select.value as BackendChoice;
    try {
      localStorage.setItem(STORAGE_KEY, choice);
    } catch {
      // no storage (private mode, sandboxed frame): the choice lasts until the page reloads
    }
    void host.start(choice);
  });

  state.subscribe(() => {
    select.disabled = state.busy !== null;
    line.textContent = state.backend ? backendLine(state.backend) : '';
    line.hidden = !state.backend;
    line.dataset.backend = state.backend?.kind ?? '';
    facts.hidden = !state.backend;
  });

  select.value = storedChoice(gpu);
  return host;
}

/** The choice a previous visit kept, when it can run here; else Auto. */
function storedChoice(gpu: GpuReport): BackendChoice {
  let v: string | null = null;
  try {
    v = localStorage.getItem(STORAGE_KEY);
  } catch {
    v = null;
  }
  const choice = CHOICES.find((c) => c === v) ?? 'auto';
  return choice === 'webgpu' && gpu.problem ? 'auto' : choice;
}

