// tallyBuffers on a real device (Dawn in Node): created buffers count until destroyed, once each.

import { describe, expect, it } from 'vitest';
import { createNodeGpu } from './node-device';
import { tallyBuffers, withOwner } from './tally';

describe('tallyBuffers', () => {
  it('counts bytes and buffers from createBuffer to destroy, a second destroy changes nothing', async () => {
    const gpu = await createNodeGpu();
    const dev = gpu.device;
    const tally = tallyBuffers(dev);
    expect(tallyBuffers(dev)).toBe(tally);
    const before = structuredClone(tally);
    const a = dev.createBuffer({ size: 256, usage: GPUBufferUsage.STORAGE });
    const b = dev.createBuffer({ size: 1024, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
    b.unmap();
    const grown = { ...before, bytes: before.bytes + 1280, buffers: before.buffers + 2, peak: before.bytes + 1280,
      byOwner: { ...before.byOwner, scratch: before.byOwner.scratch + 1280 } };
    expect(tally).toEqual(grown);
    a.destroy();
    a.destroy();
    expect(tally).toEqual({ ...grown, bytes: before.bytes + 1024, buffers: before.buffers + 1,
      byOwner: { ...before.byOwner, scratch: before.byOwner.scratch + 1024 } });
    b.destroy();
    expect(tally).toEqual({ ...before, peak: before.bytes + 1280 });
  });

  it('counts each buffer under the owner current at its creation, until it is destroyed', async () => {
    const dev = (await createNodeGpu()).device;
    const tally = tallyBuffers(dev);
    const mk = (size: number) => dev.createBuffer({ size, usage: GPUBufferUsage.STORAGE });
    const w = await withOwner(tally, 'sessions', async () => mk(512));
    const k = await withOwner(tally, 'kernels', async () => {
      await withOwner(tally, 'sessions', async () => mk(4).destroy());
      return mk(256); // the inner job's owner is undone when it ends
    });
    const s = mk(1024);
    expect(tally.owner).toBe('scratch');
    expect(tally.byOwner).toEqual({ sessions: 512, kernels: 256, scratch: 1024 });
    await expect(withOwner(tally, 'kernels', async () => { throw new Error('no'); })).rejects.toThrow('no');
    expect(tally.owner).toBe('scratch');
    for (const b of [w, k, s]) b.destroy();
    expect(tally.byOwner).toEqual({ sessions: 0, kernels: 0, scratch: 0 });
    expect(tally.peak).toBe(512 + 4 + 256 + 1024 - 4);
  });
});
