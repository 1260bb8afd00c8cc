#!/usr/bin/env python3
"""Writes the seed corpus of the `onnx` fuzz target (Tests/Fuzz/corpus/onnx): tiny models in the shapes
`nnc import` accepts (a residual, a concat, MatMul + Add, Clip, SiLU, LRN and the erf GELU formula) and regressions (Tests/Fuzz/regressions/onnx):
a cycle, a tensor whose raw data is shorter than its shape, a dimension that overflows. Deterministic. Needs onnx."""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.abspath(__file__))


def put(kind, name, model):
    folder = os.path.join(ROOT, kind, "onnx")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(model.SerializeToString(deterministic=True))


def weight(name, *shape):
    values = (np.arange(np.prod(shape), dtype=np.float32) % 7 - 3) / 5
    return numpy_helper.from_array(values.reshape(shape), name)


def model(nodes, initializers, input_shape, output="y"):
    graph = helper.make_graph(
        nodes, "fuzz", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N"] + input_shape)],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)], initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def conv(name, x, y, w, **attributes):
    return helper.make_node("Conv", [x, w], [y], name=name, **attributes)


residual = model([
    conv("c1", "x", "a", "w1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["a"], ["b"], name="c1/relu"),
    conv("c2", "b", "c", "w2", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    helper.make_node("Add", ["c", "x"], ["d"], name="add"),
    helper.make_node("GlobalAveragePool", ["d"], ["e"], name="pool"),
    helper.make_node("Flatten", ["e"], ["f"], name="flat"),
    helper.make_node("Gemm", ["f", "fc", "fcb"], ["y"], name="fc", transB=1),
], [weight("w1", 2, 2, 3, 3), weight("w2", 2, 2, 3, 3), weight("fc", 3, 2), weight("fcb", 3)], [2, 4, 4])
put("corpus", "residual.onnx", residual)

concat = model([
    conv("b1", "x", "a", "w1", kernel_shape=[1, 1]),
    helper.make_node("MaxPool", ["x"], ["b"], name="b2", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    helper.make_node("Concat", ["a", "b"], ["c"], name="join", axis=1),
    helper.make_node("Clip", ["c", "low", "high"], ["d"], name="clip"),
    helper.make_node("Sigmoid", ["d"], ["s"], name="gate"),
    helper.make_node("Mul", ["d", "s"], ["e"], name="silu"),
    helper.make_node("Flatten", ["e"], ["f"], name="flat"),
    helper.make_node("MatMul", ["f", "m"], ["g"], name="mm"),
    helper.make_node("Add", ["g", "bias"], ["y"], name="bias"),
], [weight("w1", 2, 2, 1, 1), numpy_helper.from_array(np.array(0, np.float32), "low"),
    numpy_helper.from_array(np.array(6, np.float32), "high"), weight("m", 64, 3), weight("bias", 3)], [2, 4, 4])
put("corpus", "concat.onnx", concat)


def scalar(name, value):
    return numpy_helper.from_array(np.array(value, np.float32), name)


lrn_gelu = model([
    conv("c1", "x", "a", "w1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    helper.make_node("LRN", ["a"], ["b"], name="norm", size=3, alpha=0.5, beta=0.75, bias=2.0),
    helper.make_node("Mul", ["b", "scale"], ["c"], name="gelu:scaled"),
    helper.make_node("Erf", ["c"], ["d"], name="gelu:erf"),
    helper.make_node("Add", ["d", "one"], ["e"], name="gelu:gate"),
    helper.make_node("Mul", ["b", "half"], ["f"], name="gelu:half"),
    helper.make_node("Mul", ["f", "e"], ["g"], name="gelu"),
    helper.make_node("GlobalAveragePool", ["g"], ["h"], name="pool"),
    helper.make_node("Flatten", ["h"], ["i"], name="flat"),
    helper.make_node("Gemm", ["i", "fc", "fcb"], ["y"], name="fc", transB=1),
], [weight("w1", 4, 2, 3, 3), scalar("scale", 0.70710678), scalar("one", 1), scalar("half", 0.5), weight("fc", 3, 4),
    weight("fcb", 3)], [2, 4, 4])
put("corpus", "lrn_gelu.onnx", lrn_gelu)

cycle = model([
    helper.make_node("Relu", ["b"], ["a"], name="r1"),
    helper.make_node("Relu", ["a"], ["b"], name="r2"),
    helper.make_node("Add", ["a", "x"], ["y"], name="add"),
], [], [4])
put("regressions", "cycle.onnx", cycle)

def raw_tensor(name, dims, data):
    """A float tensor whose raw bytes need not match its shape (onnx.helper checks that they do)."""
    tensor = TensorProto()
    tensor.name, tensor.data_type, tensor.raw_data = name, TensorProto.FLOAT, data
    tensor.dims.extend(dims)
    return tensor


short = model([helper.make_node("Gemm", ["x", "w"], ["y"], name="fc", transB=1)],
              [raw_tensor("w", [3, 4], b"\0" * 8)], [4])
put("regressions", "short_raw_data.onnx", short)

huge = model([helper.make_node("Gemm", ["x", "w"], ["y"], name="fc", transB=1)],
             [raw_tensor("w", [1 << 40, 1 << 40], b"\0" * 4)], [4])
put("regressions", "dimension_overflow.onnx", huge)
