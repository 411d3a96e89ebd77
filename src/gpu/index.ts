export { type Caps, detectCaps } from './caps';
export { Gpu, requestDevice } from './device';
export { PipelineCache, type PipelineKey } from './pipelines';
export { STORAGE, USAGE, align, destroyAfterWork, storageBuffer, submitEncoded, transientUniforms, uniformBuffer, upload, readback, readF32, Uniforms } from './buffers';
export { type Binding, type PreparedDispatch, bindGroup, dispatch, dispatchPrepared, grid } from './bind';
