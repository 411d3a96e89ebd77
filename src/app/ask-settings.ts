// The chat's settings, one field per ask option of the engine's table (src/engine/options.ts):
// max answer tokens (always sent, starting at the table's page default), the image size questions
// are asked at and the repetition penalty. Those two are the loaded package's (ModelInfo.ask: 512
// and Qwen's 1.1 for a converted released model) until the user sets them: shown in the inputs
// once a model is loaded and left out of the request, so that the engine applies them.

import type { AskOptions, ModelInfo } from '../engine/api';
import { vaeStride } from '../engine/limits';
import { askOption } from '../engine/options';
import { byId } from './dom';
import { optionField } from './option-field';
import type { AppState } from './state';

export interface AskSettings {
  /** the request's options (a readable Error for a bad or missing value) */
  read(): AskOptions;
}

export function setupAskSettings(state: AppState): AskSettings {
  const maxTokens = optionField(byId<HTMLInputElement>('max-tokens'), askOption('maxNewTokens'));
  const size = optionField(byId<HTMLInputElement>('ask-size'), askOption('size'));
  const penalty = optionField(byId<HTMLInputElement>('repetition-penalty'), askOption('repetitionPenalty'));
  const packageFields = [size, penalty];
  const touched = new Set<HTMLElement>();
  for (const { input } of packageFields) {
    input.addEventListener('input', () => {
      if (input.value.trim() === '') touched.delete(input);
      else touched.add(input);
    });
  }
  const stride = () => (state.model ? vaeStride(state.model.config) : undefined);
  let shown: ModelInfo | null = null;
  state.subscribe(() => {
    if (!state.model || state.model === shown) return;
    shown = state.model;
    (size.input as HTMLInputElement).step = String(vaeStride(state.model.config));
    for (const { input, option } of packageFields) {
      if (option.default.from === 'understanding' && !touched.has(input)) input.value = String(state.model.ask[option.default.key]);
    }
  });
  return {
    read() {
      const v = maxTokens.read();
      if (v === undefined) throw maxTokens.refuse('');
      const o: Record<string, unknown> = { maxNewTokens: v };
      for (const f of packageFields) {
        if (touched.has(f.input)) o[f.option.key] = f.read(stride());
      }
      return o as AskOptions;
    },
  };
}
