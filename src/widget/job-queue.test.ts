import { describe, expect, it } from 'vitest';
import { JobQueue } from './job-queue';

/** A promise with its resolve function, to finish jobs when the test says so. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

describe('JobQueue', () => {
  it('runs jobs one at a time, in order, and says how many wait ahead', async () => {
    const q = new JobQueue();
    const log: string[] = [];
    const g1 = gate();
    const queued: number[] = [];
    const a = q.add(async () => { log.push('a start'); await g1.promise; log.push('a end'); return 1; });
    const b = q.add(async () => { log.push('b'); return 2; }, { onQueued: (n) => queued.push(n) });
    const c = q.add(async () => { log.push('c'); return 3; }, { onQueued: (n) => queued.push(n) });
    expect(queued).toEqual([1, 2]);
    expect(q.size).toBe(3);
    await Promise.resolve();
    expect(log).toEqual(['a start']);
    g1.open();
    expect(await Promise.all([a, b, c])).toEqual([1, 2, 3]);
    expect(log).toEqual(['a start', 'a end', 'b', 'c']);
    expect(q.size).toBe(0);
  });

  it('drops a waiting job when its signal aborts, and keeps going after a failing job', async () => {
    const q = new JobQueue();
    const g = gate();
    const ran: string[] = [];
    const first = q.add(async () => { await g.promise; throw new Error('boom'); });
    const ctl = new AbortController();
    const dropped = q.add(async () => { ran.push('dropped'); }, { signal: ctl.signal });
    const last = q.add(() => { ran.push('last'); return Promise.resolve('ok'); });
    ctl.abort(new Error('no longer wanted'));
    await expect(dropped).rejects.toThrow('no longer wanted');
    expect(q.size).toBe(2);
    g.open();
    await expect(first).rejects.toThrow('boom');
    expect(await last).toBe('ok');
    expect(ran).toEqual(['last']);
  });

  it('refuses a job whose signal is already aborted, and survives a job that throws synchronously', async () => {
    const q = new JobQueue();
    await expect(q.add(async () => 1, { signal: AbortSignal.abort(new Error('late')) })).rejects.toThrow('late');
    await expect(q.add((() => { throw new Error('sync'); }) as () => Promise<number>)).rejects.toThrow('sync');
    expect(await q.add(async () => 7)).toBe(7);
  });
});
