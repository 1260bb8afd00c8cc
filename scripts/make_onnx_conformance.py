#!/usr/bin/env python3
"""Regenerates the ONNX backend node test cases nnc's importer is checked against (issue 17).

The cases come from the case generators of the pinned `onnx` wheel (1.23.2:
onnx.backend.test.case.node.collect_testcases(), the generator behind onnx.backend.test.cmd_tools
generate-data; 1,884 node cases, Apache-2.0). Of the cases of the ops nnc imports, the in-scope ones
are written to Tests/Fixtures/onnx-conformance/<case>/ as model.onnx, input_0.pb and output_0.pb
(TensorProto), and every other case of those ops is listed with its reason in
Tests/Fixtures/onnx-conformance/out_of_scope.tsv. Cases whose attributes the vocabulary cannot
express are written too, and listed as "refused by the importer: ...": the Swift test checks that
the importer refuses each of them.

In scope: float32 cases whose one data input has a batch dimension first (NCHW, or [N, features]),
whose attributes the vocabulary expresses. Inputs that are weights (a Conv's W, a Gemm's B and C,
BatchNormalization's statistics, Clip's bounds, Pad's pads, Reshape's shape, Dropout's ratio) are
graph inputs in the node tests; here they become initializers with the data set's values, since an
nnc model has one input and its weights are parameters.

Run from the repository root: python3 scripts/make_onnx_conformance.py
"""
import csv
import os
import shutil
import sys

import onnx
from onnx import helper, numpy_helper
from onnx.backend.test.case.node import collect_testcases

PINNED = "1.23.2"
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "onnx-conformance")

# Case-name prefixes of the op families nnc imports (the list and the exporter's ops).
FAMILIES = [
    "test_conv_", "test_basic_conv_", "test_maxpool_", "test_averagepool_", "test_globalaveragepool",
    "test_globalmaxpool", "test_batchnorm_", "test_relu", "test_leakyrelu", "test_elu", "test_sigmoid",
    "test_tanh", "test_softmax_", "test_hardsigmoid", "test_gelu_", "test_gemm_", "test_add",
    "test_sum_", "test_concat_", "test_flatten_", "test_dropout_", "test_identity", "test_clip",
    "test_constant_pad", "test_edge_pad", "test_reflect_pad", "test_wrap_pad", "test_matmul_",
    "test_reshape_", "test_lrn", "test_upsample_nearest", "test_resize_upsample_scales_nearest",
    "test_mul",
]

# Inputs after the first that are weights or constant arguments, by op type.
CONSTANT_INPUTS = {"Conv", "Gemm", "BatchNormalization", "Clip", "Pad", "Reshape", "Dropout", "Resize",
                   "Upsample", "MatMul"}

# Cases the static rules keep but whose attributes nnc's vocabulary does not express: the importer
# refuses them, naming the attribute (the Swift test checks that it does).
NOT_EXPRESSIBLE = {
    "test_averagepool_2d_ceil_last_window_starts_on_pad": "count_include_pad=1 (nnc's average leaves padding out)",
    "test_averagepool_2d_pads_count_include_pad": "count_include_pad=1 (nnc's average leaves padding out)",
    "test_averagepool_2d_precomputed_pads_count_include_pad":
        "count_include_pad=1 (nnc's average leaves padding out)",
    "test_averagepool_2d_dilations": "a dilated pooling window",
    "test_maxpool_2d_dilations": "a dilated pooling window",
    "test_averagepool_2d_same_lower":
        "auto_pad SAME_LOWER pads the odd pixel before; nnc's 'same' pads it after",
    "test_maxpool_2d_same_lower": "auto_pad SAME_LOWER pads the odd pixel before; nnc's 'same' pads it after",
    "test_clip": "Clip(-1, 1): only Clip(0, 6) (relu6) and Clip(0, inf) (relu) are activations",
    "test_clip_default_max": "Clip(-inf, 0): only Clip(0, 6) (relu6) and Clip(0, inf) (relu) are activations",
    "test_constant_pad": "pads with 1.2; zero_padding2d pads with zeros",
    "test_constant_pad_axes": "pads chosen axes with 1.2; zero_padding2d pads height and width with zeros",
    "test_constant_pad_negative_axes":
        "pads chosen axes with 1.2; zero_padding2d pads height and width with zeros",
    "test_flatten_axis0": "axis 0 merges the batch; nnc flattens all but the batch",
    "test_flatten_axis2": "axis 2; nnc flattens all but the batch (axis 1)",
    "test_flatten_axis3": "axis 3; nnc flattens all but the batch (axis 1)",
    "test_flatten_negative_axis1": "axis -1 of a rank-4 input; nnc flattens all but the batch (axis 1)",
    "test_flatten_negative_axis2": "axis -2 of a rank-4 input; nnc flattens all but the batch (axis 1)",
    "test_flatten_negative_axis4": "axis -4 merges the batch; nnc flattens all but the batch",
    "test_gemm_all_attributes": "transA=1 transposes the input",
    "test_gemm_transposeA": "transA=1 transposes the input",
    "test_gemm_default_matrix_bias": "a bias that varies over the batch",
    "test_hardsigmoid": "alpha 0.5, beta 0.6; nnc's hard_sigmoid is clamp(x / 6 + 1/2, 0, 1)",
    "test_hardsigmoid_default": "alpha 0.2 (ONNX's default); nnc's hard_sigmoid is clamp(x / 6 + 1/2, 0, 1)",
    "test_matmul_4d": "a batched MatMul of two rank-4 values",
    "test_matmul_4d_1d": "a MatMul by a vector",
    "test_matmul_bcast": "a MatMul of a rank-4 value",
    "test_resize_upsample_scales_nearest": "scales [1, 1, 2, 3]; upsample scales height and width alike",
    "test_resize_upsample_scales_nearest_axes_2_3": "scales [2, 3]; upsample scales height and width alike",
    "test_resize_upsample_scales_nearest_axes_3_2": "scales [3, 2]; upsample scales height and width alike",
    "test_upsample_nearest": "scales [1, 1, 2, 3]; upsample scales height and width alike",
}

ELEMENT_NAMES = {value: name for name, value in onnx.TensorProto.DataType.items()}


def reason_out_of_scope(case):
    """Why a case is out of scope, or None."""
    graph = case.model.graph
    ops = sorted({node.op_type for node in graph.node})
    family_ops = {"Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
                  "BatchNormalization", "Relu", "LeakyRelu", "Elu", "Sigmoid", "Tanh", "Softmax",
                  "HardSigmoid", "Gelu", "Gemm", "Add", "Sum", "Concat", "Flatten", "Dropout",
                  "Identity", "Clip", "Pad", "MatMul", "Reshape", "LRN", "Upsample", "Resize", "Mul"}
    foreign = [op for op in ops if op not in family_ops]
    if foreign:
        return "uses ops outside the imported families: " + ", ".join(foreign)
    if len(graph.node) != 1:
        return f"{len(graph.node)} nodes"
    node = graph.node[0]
    first = graph.input[0].type
    if not first.HasField("tensor_type"):
        return "its input is not a tensor"
    element = first.tensor_type.elem_type
    if element != onnx.TensorProto.FLOAT:
        return "element type " + ELEMENT_NAMES.get(element, str(element)).lower() + ", not float32"
    rank = len(first.tensor_type.shape.dim)
    if rank < 2:
        return f"a rank-{rank} input has no batch dimension"
    spatial = {"Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization",
               "LRN", "Pad", "Resize", "Upsample"}
    if rank not in (2, 4) and node.op_type in spatial:
        return f"a rank-{rank} input ({'1-D' if rank == 3 else '3-D'} spatial); nnc's layers are 2-D (NCHW)"
    if rank not in (2, 4):
        return f"a rank-{rank} input; an nnc input is [N, features] or [N, C, H, W]"
    if len(graph.input) > 1 and node.op_type not in CONSTANT_INPUTS:
        return f"{len(graph.input)} graph inputs; an nnc model reads one input"
    if len(graph.output) != 1 or len([o for o in node.output if o]) != 1:
        return "more than one output (mask, argmax or training statistics)"
    for attribute in node.attribute:
        if attribute.name == "training_mode" and attribute.i:
            return "training mode"
    return None


def as_initializers(case, inputs):
    """The case's model with every input after the first an initializer of the data set's value."""
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    graph = model.graph
    for info, value in zip(list(graph.input)[1:], inputs[1:]):
        graph.initializer.append(numpy_helper.from_array(value, info.name))
    del graph.input[1:]
    return model


def main():
    if onnx.__version__ != PINNED:
        sys.exit(f"onnx {onnx.__version__} installed; the fixtures are made with onnx {PINNED}")
    cases = collect_testcases()
    print(f"{len(cases)} node cases in onnx {onnx.__version__}")
    if os.path.isdir(OUT):
        for entry in os.listdir(OUT):
            if entry.startswith("test_"):
                shutil.rmtree(os.path.join(OUT, entry))
    os.makedirs(OUT, exist_ok=True)
    selected = [case for case in cases if any(case.name.startswith(prefix) for prefix in FAMILIES)]
    written, skipped = [], []
    for case in sorted(selected, key=lambda case: case.name):
        reason = reason_out_of_scope(case)
        refused = NOT_EXPRESSIBLE.get(case.name)
        if reason and not refused:
            skipped.append((case.name, reason))
            continue
        if refused:
            # Kept, so that the Swift test checks that the importer refuses it.
            skipped.append((case.name, "refused by the importer: " + refused))
        inputs, outputs = case.data_sets[0]
        directory = os.path.join(OUT, case.name)
        os.makedirs(directory)
        model = as_initializers(case, inputs)
        with open(os.path.join(directory, "model.onnx"), "wb") as file:
            file.write(model.SerializeToString())
        with open(os.path.join(directory, "input_0.pb"), "wb") as file:
            file.write(numpy_helper.from_array(inputs[0], model.graph.input[0].name).SerializeToString())
        with open(os.path.join(directory, "output_0.pb"), "wb") as file:
            file.write(numpy_helper.from_array(outputs[0], model.graph.output[0].name).SerializeToString())
        written.append(case.name)
    with open(os.path.join(OUT, "out_of_scope.tsv"), "w", newline="") as file:
        writer = csv.writer(file, delimiter="\t", lineterminator="\n")
        writer.writerow(["case", "reason"])
        writer.writerows(skipped)
    refused = len(set(written) & set(NOT_EXPRESSIBLE))
    print(f"{len(selected)} cases of the imported op families: {len(written) - refused} in scope, "
          f"{len(skipped)} out of scope ({refused} of them written to check that the importer refuses them)")


if __name__ == "__main__":
    main()
