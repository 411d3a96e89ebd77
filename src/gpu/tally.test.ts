// tallyBuffers on a real device (Dawn in Node): created buffers count until destroyed, once each.

import { describe, expect, it } from 'vitest';
import { createNodeGpu } from './node-device';
import { tallyBuffers } from './tally';

describe('tallyBuffers', () => {
  it('counts bytes and buffers from createBuffer to destroy, a second destroy changes nothing', async () => {
    const gpu = await createNodeGpu();
    const dev = gpu.device;
    const tally = tallyBuffers(dev);
    expect(tallyBuffers(dev)).toBe(tally);
    const before = { ...tally };
    const a = dev.createBuffer({ size: 256, usage: GPUBufferUsage.STORAGE });
    const b = dev.createBuffer({ size: 1024, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
    b.unmap();
    expect(tally).toEqual({ ...before, bytes: before.bytes + 1280, buffers: before.buffers + 2 });
    a.destroy();
    a.destroy();
    expect(tally).toEqual({ ...before, bytes: before.bytes + 1024, buffers: before.buffers + 1 });
    b.destroy();
    expect(tally).toEqual(before);
  });
});
