// What the panels of the demo page share: the engine (in its worker), the backend it runs on, the
// loaded model, and which job the engine is doing. The engine does one job at a time, so the panels
// disable what would collide with the running one.

import type { BackendInfo, EngineApi, ModelInfo } from '../engine/api';

/** `engine`: the engine (worker) is starting or being replaced by one on another backend. */
export type Job = 'engine' | 'load' | 'generate' | 'ask';

export class AppState {
  engine: EngineApi | null = null;
  /** what the running engine runs on (from `engine.backend()`) */
  backend: BackendInfo | null = null;
  /** why there is no engine (it failed to start on the chosen backend) */
  engineError: string | null = null;
  model: ModelInfo | null = null;
  busy: Job | null = null;
  /** an engine start under way (the page opening, a backend switch): Generate and Ask wait for it */
  starting: Promise<void> | null = null;
  /** the start is taking unusually long (the status line says so) */
  startSlow = false;
  private readonly listeners = new Set<() => void>();

  subscribe(fn: () => void): void {
    this.listeners.add(fn);
    fn();
  }

  changed(): void {
    for (const fn of this.listeners) fn();
  }

  /** Runs `job` as the engine's one job; the caller checked `busy` before (buttons are disabled). */
  run<T>(kind: Job, job: (engine: EngineApi) => Promise<T>): Promise<T> {
    const engine = this.engine;
    if (!engine) return Promise.reject(new Error(this.engineError ?? 'The engine is still starting. Try again in a moment.'));
    return this.exclusive(kind, () => job(engine));
  }

  /** Runs `job` while nothing else may use the engine (also when there is none: starting one). */
  async exclusive<T>(kind: Job, job: () => Promise<T>): Promise<T> {
    if (this.busy) throw new Error(`Wait until the current ${describe(this.busy)} finishes (or stop it).`);
    this.busy = kind;
    this.changed();
    try {
      return await job();
    } finally {
      this.busy = null;
      this.changed();
    }
  }

  /** Waits until no engine start is under way (whatever its outcome). */
  async started(): Promise<void> {
    while (this.starting) await this.starting.catch(() => {});
  }

  /** Marks `start` as the engine start under way until it settles. */
  track(start: Promise<void>): Promise<void> {
    this.starting = start;
    const done = () => {
      if (this.starting === start) this.starting = null;
    };
    start.then(done, done);
    return start;
  }

  /** Within a running job, says what it does now (a Generate that first loads the model). */
  phase(kind: Job): void {
    if (this.busy === null || this.busy === kind) return;
    this.busy = kind;
    this.changed();
  }
}

export function describe(job: Job): string {
  return job === 'engine' ? 'engine start' : job === 'load' ? 'model load' : job === 'generate' ? 'generation' : 'answer';
}
