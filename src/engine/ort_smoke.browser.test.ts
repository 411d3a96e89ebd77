import * as ort from 'onnxruntime-web/webgpu';
import { expect, test } from 'vitest';

test('ORT runs a package graph on our GPUDevice with GPU-buffer input and output', async () => {
  const adapter = await navigator.gpu.requestAdapter();
  expect(adapter).toBeTruthy();
  const device = await adapter!.requestDevice();
  ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
  const bytes = new Uint8Array(await (await fetch('/models/golden/tiny/package/mar_encoder.onnx')).arrayBuffer());
  const sess = await ort.InferenceSession.create(bytes, {
    executionProviders: [{ name: 'webgpu', device } as any],
    preferredOutputLocation: 'gpu-buffer',
  });
  const L = 64, D = 64;
  const x = new Float32Array(L * D).map((_, i) => Math.sin(i));
  const buf = device.createBuffer({ size: x.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buf, 0, x);
  const out = await sess.run({ x: ort.Tensor.fromGpuBuffer(buf, { dataType: 'float32', dims: [1, L, D] }) });
  const data = (await out.x_enc.getData()) as Float32Array;
  expect(data.length).toBe(L * D);
  expect(Number.isFinite(data[0])).toBe(true);
});
