#!/usr/bin/env python3
"""Proof of `nnc export`: every spec in Specs/ (and Tests/Fixtures/onnx/: every_op.yaml uses every layer and
activation of the vocabulary, regression.yaml and multilabel.yaml have those heads) is exported to ONNX, checked with
onnx.checker.check_model(full_check=True), run with ONNX Runtime, and compared with `nnc predict` on the
same weights and the same generated inputs: probabilities to 1e-4 absolute, other outputs to 1e-4
relative (to the largest magnitude among the sample's outputs).

Specs with data train one short epoch first (and export that checkpoint); the others export their
seeded initial weights. The ImageNet-sized specs run at a reduced input via --set model.input=[...].
Usage: scripts/onnx_proof.py [NNC_BINARY]   (default .build/release/nnc; needs pip install onnx onnxruntime)
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NNC = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/release/nnc"))

# Reduced inputs for the ImageNet models (the smallest sizes their strides and valid convolutions take).
REDUCED = {
    "vgg16.yaml": "[3,32,32]",
    "resnet18.yaml": "[3,64,64]",
    "resnet50.yaml": "[3,64,64]",
    "mobilenet_v2.yaml": "[3,64,64]",
    "inception_v3.yaml": "[3,107,107]",
    "xception.yaml": "[3,96,96]",
}
# Extra exports of some specs with other options, so every option passes the checker and the runtime.
VARIANTS = {
    "resnet18_cifar.yaml": [["--keep-batchnorm"], ["--opset", "13"], ["--opset", "21", "--batch", "3"]],
    "every_op.yaml": [["--opset", "13"], ["--opset", "20"], ["--opset", "21", "--keep-batchnorm"]],
}
SAMPLES = 3


def run(arguments, cwd=ROOT):
    result = subprocess.run(arguments, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def specs():
    paths = []
    for folder, _, files in sorted(os.walk(os.path.join(ROOT, "Specs"))):
        paths += [os.path.join(folder, f) for f in sorted(files) if f.endswith((".yaml", ".nnc"))]
    # The fine-tuning spec starts from the pretraining run's checkpoint.
    paths.sort(key=lambda p: p.endswith("finetune.yaml"))
    paths += [os.path.join(ROOT, "Tests/Fixtures/onnx", name)
              for name in ("every_op.yaml", "regression.yaml", "multilabel.yaml")]
    return paths


def normalize(x, steps):
    """The preprocessing nnc applies, from the model's nnc.input_normalization metadata."""
    for step in steps:
        shape = (1, -1) + (1,) * (x.ndim - 2)
        mean = np.array(step["mean"] or [0], dtype=np.float32).reshape(shape if len(step["mean"]) > 1 else (1,))
        std = np.array(step["std"] or [1], dtype=np.float32).reshape(shape if len(step["std"]) > 1 else (1,))
        x = (x * np.float32(step["scale"]) - mean) / std
    return x.astype(np.float32)


def predicted(lines, task, outputs):
    rows = []
    for line in lines:
        item = json.loads(line)
        if task == "regression":
            rows.append(item["values"])
        elif task == "binary":
            rows.append([item["probability"]])
        else:
            row = [0.0] * outputs
            for entry in item["top"]:
                row[entry["class"]] = entry.get("probability", entry.get("score"))
            rows.append(row)
    return np.array(rows, dtype=np.float64)


def prove(spec, flags, work, checkpoints):
    name = os.path.basename(spec)
    overrides = ["--set", f"model.input={REDUCED[name]}"] if name in REDUCED else []
    if name == "finetune.yaml":
        overrides += ["--set", f"train.init.from={checkpoints['pretrain.yaml']}"]
    checkpoint = []
    if name in checkpoints:
        checkpoint = ["--checkpoint", checkpoints[name]]
    elif any(key in open(spec).read() for key in ("data:", "data {")) and not flags:
        run_dir = os.path.join(work, "run-" + name)
        try:
            run([NNC, "train", spec, *overrides, "--set", "train.epochs=1", "--set", "data.limit_per_class=40",
                 "--run-dir", run_dir])
            checkpoints[name] = os.path.join(run_dir, "checkpoint-last.safetensors")
            checkpoint = ["--checkpoint", checkpoints[name]]
        except RuntimeError as error:
            if "no such" not in str(error).lower():
                raise
    model_path = os.path.join(work, name + "".join(flags) + ".onnx")
    run([NNC, "export", spec, *overrides, *checkpoint, *flags, "-o", model_path])
    onnx.checker.check_model(model_path, full_check=True)
    model = onnx.load(model_path)
    meta = {p.key: p.value for p in model.metadata_props}
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim[1:]]
    outputs = model.graph.output[0].type.tensor_type.shape.dim[1].dim_value
    steps = json.loads(meta["nnc.input_normalization"])
    # Raw values in the range the spec's data has: scale 1/255 means bytes.
    high = 1.0 / steps[0]["scale"] if steps and steps[0]["scale"] < 1 else 1.0
    x = np.random.default_rng(len(name)).uniform(0, high, size=[SAMPLES] + dims).astype(np.float32)
    inputs = os.path.join(work, name + ".npy")
    np.save(inputs, x)
    task = meta["nnc.task"]
    top = ["--top-k", str(outputs)] if task in ("classification", "multilabel") else []
    lines = run([NNC, "predict", spec, *overrides, *checkpoint, inputs, "--format", "json", "--batch-size",
                 str(SAMPLES), *top]).splitlines()
    ours = predicted(lines, task, outputs)
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    theirs = session.run(["output"], {"input": normalize(x, steps)})[0].astype(np.float64)
    difference = np.abs(ours - theirs)
    if meta["nnc.output"] == "probabilities":
        error, tolerance, kind = difference.max(), 1e-4, "abs"
    else:
        scale = np.maximum(np.abs(theirs).max(axis=1, keepdims=True), 1e-12)
        error, tolerance, kind = (difference / scale).max(), 1e-4, "rel"
    ok = error <= tolerance
    label = os.path.relpath(spec, ROOT) + ("" if not flags else " " + " ".join(flags))
    weights = "checkpoint" if checkpoint else "initial"
    print(f"{'ok  ' if ok else 'FAIL'} {label:58} {weights:10} {len(model.graph.node):4} nodes "
          f"{task:14} {kind} error {error:.2e}", flush=True)
    return ok


def main():
    print(f"onnx {onnx.__version__}, onnxruntime {ort.__version__}, {run([NNC, '--version']).strip()} "
          f"(nnc --version)")
    failures = 0
    checkpoints = {}
    with tempfile.TemporaryDirectory() as work:
        for spec in specs():
            name = os.path.basename(spec)
            for flags in [[]] + VARIANTS.get(name, []):
                try:
                    failures += 0 if prove(spec, flags, work, checkpoints) else 1
                except Exception as error:  # noqa: BLE001 - report and go on to the next spec
                    failures += 1
                    print(f"FAIL {os.path.relpath(spec, ROOT)} {' '.join(flags)}: {error}", flush=True)
    print("all exports pass" if failures == 0 else f"{failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
