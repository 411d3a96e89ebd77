// The demo page: checks WebGPU, starts the engine in its worker, wires the panels.

import { EngineClient } from '../engine/client';
import { renderCaps, renderNoWebGpu, probeGpu } from './caps';
import { setupChatPanel } from './chat';
import { byId } from './dom';
import { errorText } from './format';
import { setupGeneratePanel } from './generate';
import { setupModelPanel } from './models';
import { setupOffline } from './offline';
import { AppState } from './state';

/** Where the build puts onnxruntime-web's .wasm/.mjs (vite-app.ts), absolute: the worker resolves it. */
const WASM_PATHS = new URL('./ort/', document.baseURI).href;
const START_WARNING_MS = 60_000;

async function main(): Promise<void> {
  const status = byId('status');
  setupOffline(byId('offline-note'));
  const report = await probeGpu();
  renderCaps(report, byId('caps-list'), byId('caps-note'));
  if (report.problem) {
    status.textContent = 'WebGPU is not available here.';
    byId('app').hidden = true;
    renderNoWebGpu(report, byId('no-webgpu'));
    return;
  }

  const state = new AppState();
  const chat = setupChatPanel(state);
  const generate = setupGeneratePanel(state, (img, label) => chat.setImage(img, label));
  setupModelPanel(state, (info, defaults) => generate.applyDefaults(info, defaults));
  state.subscribe(() => {
    if (!state.engine) return;
    status.textContent = state.busy === 'load' ? 'Loading the model…'
      : state.busy === 'generate' ? 'Generating…'
        : state.busy === 'ask' ? 'Answering…'
          : state.model ? `Ready: ${state.model.name} is loaded.` : 'Engine ready. Load a model to begin.';
  });

  status.textContent = 'Starting the engine…';
  const slow = setTimeout(() => {
    status.textContent = 'The engine is taking long to start (the GPU may be busy). Still waiting…';
  }, START_WARNING_MS);
  try {
    state.engine = await EngineClient.create({ wasmPaths: WASM_PATHS });
  } catch (e) {
    state.engineError = `The engine could not start: ${errorText(e)}`;
    status.textContent = state.engineError;
    byId('app').hidden = true;
    renderNoWebGpu({ ...report, problem: undefined }, byId('no-webgpu'), state.engineError);
    return;
  } finally {
    clearTimeout(slow);
  }
  state.changed();
}

void main().catch((e) => {
  byId('status').textContent = `The page failed to start: ${errorText(e)}`;
});
