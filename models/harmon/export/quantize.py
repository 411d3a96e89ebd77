"""Package dtypes other than fp32: fp16 weights and activations, or 4-bit weights (MatMulNBits).

Both keep float32 graph inputs and outputs, so the engine binds the same buffers for every dtype.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper


def to_fp16(m: onnx.ModelProto) -> onnx.ModelProto:
    from onnxruntime.transformers.float16 import convert_float_to_float16
    m = convert_float_to_float16(m, keep_io_types=True, disable_shape_infer=True)
    # Resize takes its scales as float32 whatever the data type; the converter turned the constant
    # scales into fp16, so turn them back.
    scales = {n.input[2] for n in m.graph.node if n.op_type == "Resize" and len(n.input) > 2}
    for n in m.graph.node:
        if n.op_type == "Constant" and n.output[0] in scales:
            t = n.attribute[0].t
            if t.data_type == onnx.TensorProto.FLOAT16:
                n.attribute[0].t.CopyFrom(numpy_helper.from_array(
                    numpy_helper.to_array(t).astype(np.float32), t.name))
    return m


def to_q4(m: onnx.ModelProto, block_size: int = 32) -> onnx.ModelProto:
    """Every MatMul with a constant weight becomes onnxruntime's MatMulNBits (4-bit, symmetric blocks)."""
    import logging
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
    logging.getLogger("onnxruntime.quantization.matmul_nbits_quantizer").setLevel(logging.WARNING)
    q = MatMulNBitsQuantizer(m, bits=4, block_size=block_size, is_symmetric=True)
    q.process()
    return q.model.model
