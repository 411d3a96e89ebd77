// The hand-written ONNX MatMul runs in onnxruntime-web's WASM provider (here in Node) and computes A·B.
import * as ort from 'onnxruntime-web';
import { expect, it } from 'vitest';
import { matmulModel } from './matmul_onnx';

it('C = A · B through onnxruntime-web (WASM)', async () => {
  ort.env.wasm.numThreads = 1;
  const b = Float32Array.from({ length: 12 }, (_, i) => i - 5); // 3 × 4
  const session = await ort.InferenceSession.create(matmulModel(2, 3, 4, b), { executionProviders: ['wasm'] });
  const a = Float32Array.from([1, 2, 3, -1, 0.5, 0]); // 2 × 3
  const { C } = await session.run({ A: new ort.Tensor('float32', a, [2, 3]) });
  const want = Array.from({ length: 8 }, (_, i) => {
    const [r, c] = [Math.floor(i / 4), i % 4];
    return [0, 1, 2].reduce((s, j) => s + a[r * 3 + j] * b[j * 4 + c], 0);
  });
  expect(C.dims).toEqual([2, 4]);
  expect([...(C.data as Float32Array)]).toEqual(want);
  await session.release();
  expect(() => matmulModel(2, 3, 4, new Float32Array(5))).toThrow(/k·n = 12/);
});
