import type { Gpu } from '../src/gpu/device';
import { type Binding, type PreparedDispatch } from '../src/gpu/bind';
export declare function layerNormModulateWgsl(affine: boolean): string;
export interface LayerNormModulateShape {
    m: number;
    w: number;
    modStride: number;
    shiftOffset: number;
    scaleOffset: number;
    eps?: number;
}
export declare function prepareLayerNormModulate(gpu: Gpu, s: LayerNormModulateShape, b: {
    h: Binding;
    mods: Binding;
    y: Binding;
    gamma?: Binding;
    beta?: Binding;
}): PreparedDispatch;
