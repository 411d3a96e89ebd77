// What the panels of the demo page share: the engine (in its worker), the loaded model, and which
// job the engine is doing. The engine does one job at a time, so the panels disable what would
// collide with the running one.

import type { EngineApi, ModelInfo } from '../engine/api';

export type Job = 'load' | 'generate' | 'ask';

/** Generation defaults a package's manifest carries (manifest.json "defaults"). */
export interface ModelDefaults {
  steps?: number;
  cfg?: number;
  cfg_schedule?: 'constant' | 'linear';
  temperature?: number;
  size?: number;
  sampling_steps?: number;
}

export class AppState {
  engine: EngineApi | null = null;
  /** why there is no engine (no WebGPU, no adapter, worker failed) */
  engineError: string | null = null;
  model: ModelInfo | null = null;
  busy: Job | null = null;
  private readonly listeners = new Set<() => void>();

  subscribe(fn: () => void): void {
    this.listeners.add(fn);
    fn();
  }

  changed(): void {
    for (const fn of this.listeners) fn();
  }

  /** Runs `job` as the engine's one job; the caller checked `busy` before (buttons are disabled). */
  async run<T>(kind: Job, job: (engine: EngineApi) => Promise<T>): Promise<T> {
    if (!this.engine) throw new Error(this.engineError ?? 'The engine is still starting. Try again in a moment.');
    if (this.busy) throw new Error(`Wait until the current ${describe(this.busy)} finishes (or stop it).`);
    this.busy = kind;
    this.changed();
    try {
      return await job(this.engine);
    } finally {
      this.busy = null;
      this.changed();
    }
  }
}

export function describe(job: Job): string {
  return job === 'load' ? 'model load' : job === 'generate' ? 'generation' : 'answer';
}
