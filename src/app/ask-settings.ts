// The chat's understanding settings: the image size questions are asked at and the repetition
// penalty. Left alone they are the loaded package's (ModelInfo.ask: 512 and Qwen's 1.1 for a
// converted released model), shown in the inputs once a model is loaded, and left out of the
// request so that the engine applies them; a value the user types is sent.

import type { AskOptions, ModelInfo } from '../engine/api';
import { byId, numberFrom } from './dom';
import type { AppState } from './state';

export interface AskSettings {
  /** what the user set (a readable error for a bad value) */
  read(): Pick<AskOptions, 'size' | 'repetitionPenalty'>;
}

export function setupAskSettings(state: AppState): AskSettings {
  const size = byId<HTMLInputElement>('ask-size');
  const penalty = byId<HTMLInputElement>('repetition-penalty');
  const touched = new Set<HTMLInputElement>();
  for (const input of [size, penalty]) {
    input.addEventListener('input', () => {
      if (input.value.trim() === '') touched.delete(input);
      else touched.add(input);
    });
  }
  let shown: ModelInfo | null = null;
  state.subscribe(() => {
    if (!state.model || state.model === shown) return;
    shown = state.model;
    size.step = String(2 ** (state.model.config.vae.ch_mult.length - 1));
    if (!touched.has(size)) size.value = String(state.model.ask.size);
    if (!touched.has(penalty)) penalty.value = String(state.model.ask.repetitionPenalty);
  });
  return {
    read() {
      const o: Pick<AskOptions, 'size' | 'repetitionPenalty'> = {};
      if (touched.has(size)) {
        o.size = numberFrom(size, 'Image size', { integer: true, min: 16, max: 2048 });
        const stride = state.model ? 2 ** (state.model.config.vae.ch_mult.length - 1) : 16;
        if (o.size % stride) throw new Error(`Image size must be a multiple of ${stride} (got “${o.size}”).`);
      }
      if (touched.has(penalty)) o.repetitionPenalty = numberFrom(penalty, 'Repetition penalty', { min: 0.01, max: 10 });
      return o;
    },
  };
}
