import type { Gpu } from '../src/gpu/device';
import { type Binding, type PreparedDispatch } from '../src/gpu/bind';
export type LinearEpilogue = 'none' | 'silu' | 'gated_residual';
export interface LinearVariant {
    gather: boolean;
    epilogue: LinearEpilogue;
}
export declare function linearWgsl({ gather, epilogue }: LinearVariant): string;
export interface LinearShape {
    /** Rows computed. */
    m: number;
    in: number;
    out: number;
    /** Input row r reads x[r mod srcMod] (non-gather variants); defaults to m. */
    srcMod?: number;
    /** gated_residual: floats per mods row and the gate's first column. */
    modStride?: number;
    gateOffset?: number;
}
/** A linear layer bound to its buffers; encode it with dispatchPrepared (as often as needed). */
export declare function prepareLinear(gpu: Gpu, variant: LinearVariant, s: LinearShape, b: {
    x: Binding;
    w: Binding;
    bias: Binding;
    y: Binding;
    idx?: Binding;
    mods?: Binding;
}): PreparedDispatch;
