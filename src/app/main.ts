// The demo page: wires the panels, probes WebGPU (to describe it and to know whether it can be
// offered), starts the engine in its worker on the chosen backend (without WebGPU: on the CPU).
// The panels are live before the engine is: a Generate pressed meanwhile waits for it.

import { probeGpu, renderCaps, renderNoWebGpu } from './caps';
import { setupBackend } from './backend';
import { setupChatPanel } from './chat';
import { byId } from './dom';
import { errorText } from '../ui/format';
import { setupEditPanel, type EditPanel } from './edit';
import { setupGeneratePanel } from './generate';
import { setupHistory } from './history';
import { setupModelPanel } from './models';
import { setupOffline } from './offline';
import { AppState } from './state';

/** Where the build puts onnxruntime-web's .wasm/.mjs (vite-app.ts), absolute: the worker resolves it. */
const WASM_PATHS = new URL('./ort/', document.baseURI).href;

function main(): void {
  const status = byId('status');
  setupOffline(byId('offline-note'));
  const state = new AppState();
  const models = setupModelPanel(state);
  const chat = setupChatPanel(state, models);
  let edit: EditPanel | null = null;
  const history = setupHistory({
    askAbout: (img, label) => chat.setImage(img, label),
    edit: (img, ref) => edit?.open(img, ref),
  });
  const gen = setupGeneratePanel(state, models, history);
  edit = setupEditPanel(state, models, gen, history);
  state.subscribe(() => {
    status.textContent = state.busy === 'engine'
      ? (state.startSlow ? 'The engine is taking long to start (the device may be busy). Still waiting…' : 'Starting the engine…')
      : !state.engine ? (state.engineError ?? 'Starting the engine…')
        : state.busy === 'load' ? 'Loading the model…'
          : state.busy === 'generate' ? 'Generating…'
            : state.busy === 'ask' ? 'Answering…'
              : state.model ? `Ready: ${state.model.name} is loaded.`
                : 'Engine ready. Type a prompt and press Generate: the selected model loads first.';
  });

  void state.track((async () => {
    const gpu = await probeGpu();
    renderCaps(gpu, byId('caps-list'));
    // no WebGPU is no dead end: the engine runs on the CPU; the note says what is missing for the GPU
    if (gpu.problem) renderNoWebGpu(gpu, byId('no-webgpu'));
    const backend = setupBackend(state, gpu, { wasmPaths: WASM_PATHS, reload: (engine) => models.reload(engine) });
    await backend.start();
  })().catch((e) => {
    status.textContent = `The page failed to start: ${errorText(e)}`;
  }));
}

main();
