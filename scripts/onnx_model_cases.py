#!/usr/bin/env python3
"""The model test cases of the installed `onnx` wheel (onnx/backend/test/data: `pytorch-converted`,
`pytorch-operator`, `light`) through `nnc import`: each case is imported; an imported case runs through
`nnc predict` on the case's input and its outputs are compared with the case's expected output at the
ONNX backend suite's tolerances (rtol 1e-3, atol 1e-7; the light models' whole-network outputs at
rtol 1e-3, atol 1e-5 as the ONNX runner's model tests use). A case the importer refuses is listed with the
first line of its error, as the node cases are in Tests/Fixtures/onnx-conformance/out_of_scope.tsv.

The `light` models ship no input: as the ONNX runner does (Runner.generate_dummy_data, random=False), the
input is arange(n) / n in the declared shape.

Model outputs are compared raw: a model whose last node is not a Softmax is predicted with
`--set loss=mse` (nnc then prints its outputs as scores, not probabilities); a model ending in Softmax,
which the import leaves to the cross-entropy loss, prints its probabilities.

Usage: scripts/onnx_model_cases.py [NNC_BINARY] [--only SUBSTRING]   (needs pip install onnx numpy)
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnx.version_converter
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ONLY = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else ""
ARGS = [a for i, a in enumerate(sys.argv[1:], 1) if not a.startswith("--") and sys.argv[i - 1] != "--only"]
NNC = os.path.abspath(ARGS[0] if ARGS else os.path.join(ROOT, ".build/release/nnc"))
DATA = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data")


def cases():
    for kind in ["pytorch-converted", "pytorch-operator"]:
        folder = os.path.join(DATA, kind)
        for name in sorted(os.listdir(folder)):
            case = os.path.join(folder, name)
            data = os.path.join(case, "test_data_set_0")
            inputs = sorted(f for f in os.listdir(data) if f.startswith("input_"))
            outputs = sorted(f for f in os.listdir(data) if f.startswith("output_"))
            yield (kind, name, os.path.join(case, "model.onnx"),
                   [os.path.join(data, f) for f in inputs], [os.path.join(data, f) for f in outputs], 1e-7)
    folder = os.path.join(DATA, "light")
    for file in sorted(os.listdir(folder)):
        if file.endswith(".onnx"):
            name = file[:-5]
            yield ("light", name, os.path.join(folder, file), None,
                   [os.path.join(folder, name + "_output_0.pb")], 1e-5)


def tensor(path):
    proto = onnx.TensorProto()
    with open(path, "rb") as f:
        proto.ParseFromString(f.read())
    return numpy_helper.to_array(proto)


def dummy_input(model_path):
    """The ONNX runner's input for a light model: arange(n) / n in the declared shape."""
    model = onnx.load(model_path, load_external_data=False)
    initializers = {i.name for i in model.graph.initializer}
    graph_input = next(i for i in model.graph.input if i.name not in initializers)
    shape = tuple(d.dim_value if d.HasField("dim_value") else 1 for d in graph_input.type.tensor_type.shape.dim)
    n = int(np.prod(shape))
    return (np.arange(n).reshape(shape) / n).astype(np.float32)


def ends_in_softmax(model_path):
    model = onnx.load(model_path, load_external_data=False)
    output = model.graph.output[0].name
    return any(node.op_type == "Softmax" and output in node.output for node in model.graph.node)


def run(arguments):
    return subprocess.run(arguments, cwd=ROOT, capture_output=True, text=True)


def first_error(result):
    lines = [line for line in result.stderr.strip().splitlines() if "error" in line] or result.stderr.strip().splitlines()
    message = lines[0] if lines else f"exit status {result.returncode}"
    message = message.split(": error: ", 1)[-1].replace("error: ", "", 1)
    # The model's path is the case's name already.
    return message.split(".onnx: ", 1)[-1]


def predicted(stdout, count, softmax):
    """The outputs of each sample, in class order, from nnc predict's JSON lines."""
    rows = []
    for line in stdout.strip().splitlines():
        record = json.loads(line)
        if "values" in record:
            rows.append(record["values"])
            continue
        key = "probability" if softmax else "score"
        row = [0.0] * count
        for entry in record["top"]:
            row[entry["class"]] = entry[key]
        rows.append(row)
    return np.array(rows, dtype=np.float64)


def check(kind, name, model_path, input_paths, output_paths, atol, work):
    if input_paths is not None and len(input_paths) != 1:
        return "out of scope", f"{len(input_paths)} graph inputs; an nnc model has one"
    if len(output_paths) != 1:
        return "out of scope", f"{len(output_paths)} graph outputs; an nnc model has one"
    x = tensor(input_paths[0]) if input_paths else dummy_input(model_path)
    expected = tensor(output_paths[0])
    if x.dtype != np.float32 or expected.dtype != np.float32:
        return "out of scope", f"{x.dtype} input or {expected.dtype} output; nnc computes float32"
    imported = run([NNC, "import", model_path, "-o", work, "--name", name])
    note = ""
    if imported.returncode != 0 and "is not supported: nnc imports opsets" in imported.stderr:
        # nnc reads opsets 9 and later; ONNX's own converter brings an older model there first.
        model = onnx.load(model_path, load_external_data=False)
        try:
            converted = onnx.version_converter.convert_version(model, 9)
        except Exception as error:  # noqa: BLE001 - reported as the refusal
            return "refused", f"{first_error(imported)}; onnx.version_converter to 9 fails: {type(error).__name__}"
        model_path = os.path.join(work, name + ".opset9.onnx")
        onnx.save(converted, model_path)
        imported = run([NNC, "import", model_path, "-o", work, "--name", name])
        note = " (opset 6, converted to 9 by onnx.version_converter)"
    if imported.returncode != 0:
        return "refused", first_error(imported) + note
    spec = os.path.join(work, name + ".yaml")
    if x.ndim < 2:
        return "out of scope", f"a rank-{x.ndim} input has no batch dimension"
    inputs = os.path.join(work, name + ".npy")
    np.save(inputs, x)
    softmax = ends_in_softmax(model_path)
    per_sample = int(np.prod(expected.shape[1:])) if expected.ndim > 1 else 1
    flags = ["--format", "json", "--batch-size", str(x.shape[0])]
    if not softmax:
        flags += ["--set", "loss=mse"]
    result = run([NNC, "predict", spec, inputs, *flags, "--top-k", str(per_sample)])
    if result.returncode != 0 and "--top-k" in result.stderr:
        result = run([NNC, "predict", spec, inputs, *flags])
    if result.returncode != 0:
        return "FAIL", "nnc predict: " + first_error(result)
    got = predicted(result.stdout, per_sample, softmax)
    want = expected.reshape(expected.shape[0], -1).astype(np.float64)
    if got.shape != want.shape:
        return "FAIL", f"output shape {got.shape}, expected {want.shape}"
    excess = np.abs(got - want) - (atol + 1e-3 * np.abs(want))
    worst = float(np.abs(got - want).max())
    if (excess > 0).any():
        return "FAIL", f"outputs differ by up to {worst:.3g}{note}"
    return "ok", f"max abs error {worst:.2e}{note}"


def main():
    counts = {}
    with tempfile.TemporaryDirectory() as work:
        for kind, name, model_path, input_paths, output_paths, atol in cases():
            if ONLY and ONLY not in name:
                continue
            try:
                status, detail = check(kind, name, model_path, input_paths, output_paths, atol, work)
            except Exception as error:  # noqa: BLE001 - every case is reported
                status, detail = "FAIL", f"{type(error).__name__}: {error}"
            counts.setdefault(kind, {}).setdefault(status, 0)
            counts[kind][status] += 1
            print(f"{status:12} {kind:17} {name:45} {detail}", flush=True)
    print()
    failed = 0
    for kind, statuses in counts.items():
        summary = ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
        print(f"{kind}: {summary}")
        failed += statuses.get("FAIL", 0)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
