#!/usr/bin/env python3
"""Round trips of `nnc import`: every spec in Specs/ (and Tests/Fixtures/onnx/) is exported with
`nnc export --keep-batchnorm --opset 21`, imported with `nnc import`, and the imported spec exported again the same
way. Both ONNX models run in ONNX Runtime on the same random inputs: their outputs must agree to 1e-5 (absolute, or
relative to the sample's largest output for unbounded outputs), and the two exports must report the same parameter
count. The ImageNet-sized specs run at a reduced input via --set model.input=[...], as scripts/onnx_proof.py does;
Specs/transfer/finetune.yaml reads the weights imported from pretrain.yaml's export in place of its pretraining run.
Usage: scripts/onnx_import_proof.py [NNC_BINARY]   (default .build/release/nnc; needs pip install onnx onnxruntime)
"""
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NNC = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/release/nnc"))
REDUCED = {
    "vgg16.yaml": "[3,32,32]",
    "resnet18.yaml": "[3,64,64]",
    "resnet50.yaml": "[3,64,64]",
    "mobilenet_v2.yaml": "[3,64,64]",
    "inception_v3.yaml": "[3,107,107]",
    "xception.yaml": "[3,96,96]",
}
FLAGS = ["--keep-batchnorm", "--opset", "21"]


def run(arguments):
    result = subprocess.run(arguments, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "failed")
    return result.stdout


def specs():
    paths = []
    for folder, _, files in sorted(os.walk(os.path.join(ROOT, "Specs"))):
        paths += [os.path.join(folder, f) for f in sorted(files) if f.endswith((".yaml", ".nnc"))]
    # The fine-tuning spec starts from the pretraining spec's weights: pretrain.yaml goes first.
    paths.sort(key=lambda path: (os.path.dirname(path), os.path.basename(path) != "pretrain.yaml", path))
    fixtures = os.path.join(ROOT, "Tests/Fixtures/onnx")
    paths += [os.path.join(fixtures, f) for f in sorted(os.listdir(fixtures)) if f.endswith(".yaml")]
    return paths


def parameters(output):
    return int(re.search(r"nodes, (\d+) parameters", output).group(1))


def outputs(path, x):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def prove(spec, work):
    name = os.path.basename(spec)
    overrides = ["--set", f"model.input={REDUCED[name]}"] if name in REDUCED else []
    if name == "finetune.yaml":
        # Its train.init is the pretraining run's checkpoint, which is not in the repository: the weights
        # pretrain.yaml's round trip imported stand in for it (the same layer names).
        overrides += ["--set", f"train.init.from={os.path.join(work, 'imported_pretrain.safetensors')}"]
    original = os.path.join(work, name + ".onnx")
    count = parameters(run([NNC, "export", spec, *overrides, *FLAGS, "-o", original]))
    run([NNC, "import", original, "-o", work, "--name", "imported_" + name.split(".")[0]])
    imported = os.path.join(work, "imported_" + name.split(".")[0] + ".yaml")
    again = os.path.join(work, name + ".again.onnx")
    again_count = parameters(run([NNC, "export", imported, *FLAGS, "-o", again]))
    if again_count != count:
        raise RuntimeError(f"{again_count} parameters after import, {count} before")
    session = ort.InferenceSession(original, providers=["CPUExecutionProvider"])
    shape = [3] + [int(d) for d in session.get_inputs()[0].shape[1:]]
    x = np.random.default_rng(len(name)).uniform(0, 1, size=shape).astype(np.float32)
    want, got = outputs(original, x), outputs(again, x)
    scale = np.maximum(1.0, np.abs(want).max(axis=tuple(range(1, want.ndim)), keepdims=True))
    error = float((np.abs(want - got) / scale).max())
    if error > 1e-5:
        raise RuntimeError(f"outputs differ by {error:.3g}")
    return count, error


def main():
    failures = 0
    with tempfile.TemporaryDirectory() as work:
        for spec in specs():
            label = os.path.relpath(spec, ROOT)
            try:
                count, error = prove(spec, work)
                print(f"ok   {label:45} {count:>10} parameters  error {error:.2e}")
            except Exception as error:  # noqa: BLE001 - every spec is reported
                failures += 1
                print(f"FAIL {label:45} {error}")
    print("all round trips pass" if failures == 0 else f"{failures} round trips fail")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
