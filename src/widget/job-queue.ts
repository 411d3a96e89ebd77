// One engine does one job at a time (its GPU buffers and ORT sessions are not re-entrant), while
// several widgets on a page ask for work whenever they like. This queue runs their jobs one after
// another, in the order they came; a job whose signal aborts while it waits leaves the queue at once.

export interface QueueHooks {
  signal?: AbortSignal;
  /** called once when the job has to wait, with the number of jobs before it (running included) */
  onQueued?: (ahead: number) => void;
}

interface Entry {
  start(): void;
}

export class JobQueue {
  private readonly waiting: Entry[] = [];
  private running = false;

  /** Jobs waiting or running. */
  get size(): number {
    return this.waiting.length + (this.running ? 1 : 0);
  }

  add<T>(job: () => Promise<T>, hooks: QueueHooks = {}): Promise<T> {
    const { signal } = hooks;
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const drop = () => {
        const i = this.waiting.indexOf(entry);
        if (i < 0) return; // already started: the job itself sees the signal
        this.waiting.splice(i, 1);
        reject(signal!.reason);
      };
      const entry: Entry = {
        start: () => {
          signal?.removeEventListener('abort', drop);
          // a job that throws synchronously still releases the queue
          Promise.resolve().then(job).then(resolve, reject).finally(() => {
            this.running = false;
            this.next();
          });
        },
      };
      signal?.addEventListener('abort', drop, { once: true });
      const ahead = this.size;
      this.waiting.push(entry);
      if (ahead > 0) hooks.onQueued?.(ahead);
      this.next();
    });
  }

  private next(): void {
    if (this.running) return;
    const entry = this.waiting.shift();
    if (!entry) return;
    this.running = true;
    entry.start();
  }
}
