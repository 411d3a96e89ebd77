// The tally must not keep what it counts: a destroyed buffer that nothing else holds is collected.
// (Its FinalizationRegistry once held a record whose closure reached the buffer's bound destroy:
// every GPUBuffer object of a session stayed reachable, and the JS heap grew with each generation
// and each load.) Needs gc(): the browser project's Chromium runs with --expose-gc.

import { expect, it } from 'vitest';
import { tallyBuffers } from './tally';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('a destroyed buffer, and one dropped without destroy(), are collected; the counts follow', async () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('this test needs gc(): Chromium started with --js-flags=--expose-gc (vite.config.ts)');
  const adapter = await navigator.gpu.requestAdapter();
  const device = await adapter!.requestDevice();
  const tally = tallyBuffers(device);
  const refs: WeakRef<GPUBuffer>[] = [];
  (() => {
    const destroyed = device.createBuffer({ size: 256, usage: GPUBufferUsage.STORAGE });
    const dropped = device.createBuffer({ size: 512, usage: GPUBufferUsage.STORAGE });
    destroyed.destroy();
    refs.push(new WeakRef(destroyed), new WeakRef(dropped));
  })();
  expect([tally.bytes, tally.buffers]).toEqual([512, 1]);
  // a deref() keeps its target alive until the end of that job: collect over several tasks, and
  // look only afterwards
  for (let i = 0; i < 10; i++) {
    gc();
    await sleep(20);
  }
  expect(refs.map((r) => r.deref() === undefined)).toEqual([true, true]);
  // the dropped one is counted as collected (the browser freed it), the destroyed one is not
  for (let i = 0; i < 20 && tally.collected === 0; i++) await sleep(20);
  expect([tally.bytes, tally.collected]).toEqual([512, 512]);
  device.destroy();
});
