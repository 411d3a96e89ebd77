// Dawn in Node (the npm package `webgpu`) for kernel tests and benches. Not imported by browser
// code: `webgpu` is a native addon.
//
// On the machines here the Vulkan driver is Chromium's SwiftShader. Its ICD file can be named at
// runtime (the Vulkan loader reads VK_ICD_FILENAMES when Dawn first loads it), but the loader
// library itself (libvulkan.so.1, shipped in /usr/lib/chromium) must be on LD_LIBRARY_PATH when the
// process starts; vite.config.ts sets both for test workers.

import { existsSync } from 'node:fs';
import { Gpu, requestDevice } from './device';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

// dawn.node tears the whole Dawn instance down when its JS \`GPU\` object is garbage-collected,
// devices included (the process then aborts inside the driver), so instances are kept for the
// life of the process.
const instances: GPU[] = [];

export async function createNodeGpu(backend = 'vulkan'): Promise<Gpu> {
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const gpu = create([`backend=${backend}`]);
  instances.push(gpu);
  const adapter = await gpu.requestAdapter();
  if (!adapter) {
    throw new Error(
      `Dawn found no ${backend} adapter. Is libvulkan.so.1 loadable? ` +
        `(LD_LIBRARY_PATH=${process.env.LD_LIBRARY_PATH ?? ''}, VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? ''})`,
    );
  }
  const device = await requestDevice(adapter, 'harmon-node');
  return new Gpu(device, adapter.info);
}
