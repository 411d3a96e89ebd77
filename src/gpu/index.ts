export { type Caps, detectCaps } from './caps';
export { Gpu, requestDevice } from './device';
export { PipelineCache, type PipelineKey } from './pipelines';
export { STORAGE, align, storageBuffer, uniformBuffer, upload, readback, readF32, Uniforms } from './buffers';
export { type Binding, bindGroup, dispatch, grid } from './bind';
