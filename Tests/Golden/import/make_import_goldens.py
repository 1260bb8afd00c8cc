#!/usr/bin/env python3
"""Writes the ONNX models of the import refusal goldens (GoldenImportTests): each is a small graph
`nnc import` must refuse with a message naming what is wrong. Run from anywhere; needs pip install onnx."""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, nodes, inputs, output, initializers=(), opset=17, value_info=()):
    graph = helper.make_graph(nodes, name, inputs, [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)],
                              initializer=list(initializers), value_info=list(value_info))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="golden")
    with open(os.path.join(HERE, name + ".onnx"), "wb") as f:
        f.write(model.SerializeToString())


def image(name, dims):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


def weights(name, shape):
    return numpy_helper.from_array(np.full(shape, 0.1, np.float32), name)


def ints(name, values):
    return numpy_helper.from_array(np.array(values, np.int64), name)


# An op nnc has no layer for: its type, node name and the nearest supported alternative.
save("unsupported_op", [helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="deconv1", kernel_shape=[2, 2])],
     [image("x", ["N", 3, 8, 8])], "y", [weights("w", [3, 4, 2, 2])])

# A value read by two branches that no residual or concat expresses (overlapping branches).
save("shared_value", [
    helper.make_node("Relu", ["x"], ["a"], name="r"),
    helper.make_node("Sigmoid", ["a"], ["b"], name="s"),
    helper.make_node("Tanh", ["b"], ["c"], name="t"),
    helper.make_node("Add", ["c", "a"], ["d"], name="inner"),
    helper.make_node("Add", ["d", "b"], ["y"], name="outer"),
], [image("x", ["N", 4])], "y")

# Dynamic sizes other than the batch.
save("dynamic_dims", [helper.make_node("Relu", ["x"], ["y"], name="relu")], [image("x", ["N", 3, "H", "W"])], "y")

# A Transpose after the global pool that moves the channels, not only axes of size 1.
save("transpose_moves_data", [
    helper.make_node("GlobalAveragePool", ["x"], ["p"], name="pool"),
    helper.make_node("Transpose", ["p"], ["t"], name="swap", perm=[1, 0, 2, 3]),
    helper.make_node("Flatten", ["t"], ["y"], name="flatten"),
], [image("x", ["N", 3, 4, 4])], "y")

# A shape computed from the batch size used other than as a Reshape's first size.
save("batch_dependent_shape", [
    helper.make_node("Shape", ["x"], ["s"], name="shape"),
    helper.make_node("Gather", ["s", "zero"], ["n"], name="gather"),
    helper.make_node("Unsqueeze", ["n", "axes"], ["n1"], name="unsqueeze"),
    helper.make_node("Concat", ["rest", "n1"], ["target"], name="concat", axis=0),
    helper.make_node("Reshape", ["x", "target"], ["y"], name="reshape"),
], [image("x", ["N", 4])], "y", [ints("zero", 0), ints("axes", [0]), ints("rest", [-1])])

# An opset older than the importer reads.
save("old_opset", [helper.make_node("Relu", ["x"], ["y"], name="relu")], [image("x", ["N", 4])], "y", opset=6)

# Malformed protobuf: ModelProto.graph holds a GraphProto.node whose length runs past the graph's end.
with open(os.path.join(HERE, "malformed_nested_length.onnx"), "wb") as f:
    f.write(bytes([0x3A, 0x04, 0x0A, 0x05, 0x22, 0x01]))
# A tag cut off in the middle of its varint.
with open(os.path.join(HERE, "malformed_tag.onnx"), "wb") as f:
    f.write(bytes([0x08, 0x07, 0xBA]))
