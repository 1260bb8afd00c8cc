#!/usr/bin/env python3
"""The worked example of `nnc import`: a model trained in PyTorch becomes the frozen base of an nnc
fine-tune, and the fine-tuned model goes back to ONNX Runtime.

1. PyTorch trains a small torchvision-style ResNet (torchvision's BasicBlock, widths 16/32/64, batchnorm)
   on the mnist5k digits 0-4 (Data/mnist5k, the 2,500-odd training images of those classes) and exports it
   with torch.onnx.export(..., dynamo=False, opset_version=17) to Specs/transfer/imported/mnist_resnet.onnx.
   Its forward flattens with x.view(x.size(0), -1), which that exporter writes as Shape -> Gather ->
   Unsqueeze -> Concat -> Reshape: the import folds the chain.
2. `nnc import` writes Specs/transfer/imported/mnist_resnet.yaml and .safetensors (the batchnorms folded into
   the convolutions by PyTorch's exporter).
3. Two specs are written from the imported one: Specs/transfer/imported_finetune.yaml (train.init from the
   imported weights, new dense layers (64 ReLU units, then 5) for the digits 5-9 with 10 labelled images per
   class, as Specs/transfer/finetune.yaml: 20 epochs with the base up to the global pool frozen, then 10 with
   everything trainable at a ten times smaller rate) and imported_scratch.yaml (the same
   network from a random initialization, nothing frozen).
4. `nnc train` runs both (three seeds), `nnc export` exports the fine-tuned checkpoint, and ONNX Runtime runs
   the exported model on the 466 test images of 5-9: its probabilities must agree with `nnc predict`'s
   (1e-4) and its accuracy with `nnc train`'s test accuracy.

Usage: scripts/transfer_from_pytorch.py [NNC_BINARY] [--reuse]   (--reuse: keep the committed ONNX base)   (needs torch, torchvision, onnx, onnxruntime, numpy)
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import types

import numpy as np
import torch
from torch import nn

# torchvision's compiled ops do not load against the CPU torch wheel; its models are pure Python.
sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
from torchvision.models.resnet import BasicBlock  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
NNC = os.path.abspath(ARGS[0] if ARGS else os.path.join(ROOT, ".build/release/nnc"))
DATA = os.path.join(ROOT, "Data/mnist5k")
TRANSFER = os.path.join(ROOT, "Specs/transfer")
IMPORTED = os.path.join(TRANSFER, "imported")
SEEDS = [1, 2, 3]


def idx(name):
    with open(os.path.join(DATA, name), "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


class SmallResNet(nn.Module):
    """torchvision's ResNet layout at MNIST size: a 3x3 stem, three BasicBlocks, global pool, fc."""

    def __init__(self, classes=5):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)

        def block(inplanes, planes, stride):
            downsample = None
            if stride != 1 or inplanes != planes:
                downsample = nn.Sequential(
                    nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes))
            return BasicBlock(inplanes, planes, stride, downsample)

        self.layer1 = block(16, 16, 1)
        self.layer2 = block(16, 32, 2)
        self.layer3 = block(32, 64, 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        x = self.avgpool(x)
        return self.fc(x.view(x.size(0), -1))


def pretrain():
    # One thread: on a shared machine PyTorch's thread pool spins against other processes.
    torch.set_num_threads(1)
    torch.manual_seed(0)
    images, labels = idx("train-images-idx3-ubyte"), idx("train-labels-idx1-ubyte")
    keep = labels < 5
    x = torch.tensor(images[keep], dtype=torch.float32).unsqueeze(1) / 255
    y = torch.tensor(labels[keep], dtype=torch.long)
    test_images, test_labels = idx("t10k-images-idx3-ubyte"), idx("t10k-labels-idx1-ubyte")
    test_keep = test_labels < 5
    tx = torch.tensor(test_images[test_keep], dtype=torch.float32).unsqueeze(1) / 255
    ty = torch.tensor(test_labels[test_keep], dtype=torch.long)
    model = SmallResNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(8):
        model.train()
        order = torch.randperm(len(x))
        for start in range(0, len(x), 32):
            batch = order[start:start + 32]
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x[batch]), y[batch]).backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(tx).argmax(1) == ty).float().mean().item()
    print(f"PyTorch pretraining on digits 0-4: {len(x)} training images, test accuracy {accuracy:.4f} "
          f"({len(tx)} test images)")
    os.makedirs(IMPORTED, exist_ok=True)
    path = os.path.join(IMPORTED, "mnist_resnet.onnx")
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path, dynamo=False, opset_version=17,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    return path, accuracy


def run(arguments, **kwargs):
    result = subprocess.run(arguments, cwd=ROOT, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)}:\n{result.stderr}")
    return result


DATA_SECTION = """data:
  format: idx
  train: {images: ../../Data/mnist5k/train-images-idx3-ubyte, labels: ../../Data/mnist5k/train-labels-idx1-ubyte}
  test: {images: ../../Data/mnist5k/t10k-images-idx3-ubyte, labels: ../../Data/mnist5k/t10k-labels-idx1-ubyte}
  classes: 10
  classes_subset: [5, 6, 7, 8, 9]   # relabelled 0..4
  limit_per_class: 10               # 50 labelled training images in all
  scale: 0.00392156862745098        # x / 255, as the PyTorch model was trained
"""


def write_specs():
    """The fine-tune and scratch specs: the imported layers with a new head."""
    text = open(os.path.join(IMPORTED, "mnist_resnet.yaml")).read()
    layers = text[text.index("  layers:\n"):text.index("\nloss:")]
    lines = layers.splitlines()
    head = max(i for i, line in enumerate(lines) if "dense:" in line)
    pool = max(i for i, line in enumerate(lines) if "global_avgpool" in line)
    pool_name = re.search(r"name: ([A-Za-z0-9_\-]+)", lines[pool]).group(1)
    indent = lines[head][:len(lines[head]) - len(lines[head].lstrip())]
    lines[head:head + 1] = [f"{indent}- dense: {{units: 64, activation: relu, name: new_features}}",
                            f"{indent}- dense: {{units: 5, name: new_head}}"]
    body = "\n".join(lines) + "\n"
    common = (f"{DATA_SECTION}loss: cross_entropy\nmetrics: [accuracy]\n")
    finetune = (
        "# Transfer learning from a PyTorch model (written by scripts/transfer_from_pytorch.py): the layers are\n"
        "# those `nnc import` read from imported/mnist_resnet.onnx, a small ResNet PyTorch trained on the digits\n"
        "# 0-4; the base up to the global pool starts from its weights, and new dense layers learn the digits\n"
        "# 5-9 from 10 labelled images per class: 20 epochs with the base frozen, then 10 with everything\n"
        "# trainable at a ten times smaller rate (imported_scratch.yaml: the same network from a random\n"
        "# initialization). Run from the repository root:\n"
        "#   nnc train Specs/transfer/imported_finetune.yaml\n"
        "model:\n  name: imported_finetune\n  input: [1, 28, 28]\n" + body + common
        + "optimizer: {adam: {lr: 1.0e-3}}\n"
        + "train:\n  batch_size: 10\n  seed: 1\n  monitor: accuracy\n"
        + "  init: {from: imported/mnist_resnet.safetensors}\n"
        + "  phases:\n"
        + f"    - {{epochs: 20, freeze: {{until: {pool_name}}}, optimizer: {{adam: {{lr: 1.0e-3}}}}}}\n"
        + "    - {epochs: 10, trainable: [\"*\"], lr: 1.0e-4}\n")
    scratch = (
        "# The network of imported_finetune.yaml trained from a random initialization on the same 50 images of\n"
        "# the digits 5-9, nothing frozen (written by scripts/transfer_from_pytorch.py).\n"
        "model:\n  name: imported_scratch\n  input: [1, 28, 28]\n" + body + common
        + "optimizer: {adam: {lr: 1.0e-3}}\n"
        + "train:\n  epochs: 30\n  batch_size: 10\n  seed: 1\n  monitor: accuracy\n")
    paths = []
    for name, content in [("imported_finetune.yaml", finetune), ("imported_scratch.yaml", scratch)]:
        path = os.path.join(TRANSFER, name)
        with open(path, "w") as f:
            f.write(content)
        paths.append(path)
    return paths


def test_accuracy(spec, seed, run_dir):
    result = run([NNC, "train", spec, "--seed", str(seed), "--run-dir", run_dir, "--format", "json"])
    accuracy = None
    for line in result.stdout.splitlines():
        record = json.loads(line)
        if record.get("event") == "done":
            accuracy = record.get("test_accuracy")
    return accuracy, result.stdout


def main():
    sys.stdout.reconfigure(line_buffering=True)
    if "--reuse" in sys.argv and os.path.exists(os.path.join(IMPORTED, "mnist_resnet.onnx")):
        onnx_path, torch_accuracy = os.path.join(IMPORTED, "mnist_resnet.onnx"), float("nan")
    else:
        onnx_path, torch_accuracy = pretrain()
    run([NNC, "import", onnx_path, "-o", IMPORTED, "--name", "mnist_resnet"])
    print(open(os.path.join(IMPORTED, "mnist_resnet.yaml")).read())
    finetune, scratch = write_specs()
    for spec in (finetune, scratch):
        print(run([NNC, "check", spec]).stdout.strip().splitlines()[0])
    with tempfile.TemporaryDirectory() as work:
        results = {}
        for label, spec in [("fine-tuned", finetune), ("from scratch", scratch)]:
            for seed in SEEDS:
                accuracy, stdout = test_accuracy(spec, seed, os.path.join(work, f"{label}-{seed}"))
                if accuracy is None:
                    print(stdout[-2000:])
                    raise RuntimeError("no test accuracy in nnc train's output")
                results.setdefault(label, []).append(accuracy)
        for label, accuracies in results.items():
            print(f"{label:13} test accuracy (digits 5-9, 466 images), seeds {SEEDS}: "
                  + " ".join(f"{a:.4f}" for a in accuracies))

        # The fine-tuned model (seed 1) through nnc export and ONNX Runtime.
        import onnxruntime as ort
        checkpoint = os.path.join(work, "fine-tuned-1", "checkpoint-best.safetensors")
        exported = os.path.join(work, "finetuned.onnx")
        run([NNC, "export", finetune, "--checkpoint", checkpoint, "-o", exported])
        images, labels = idx("t10k-images-idx3-ubyte"), idx("t10k-labels-idx1-ubyte")
        keep = labels >= 5
        x = images[keep].astype(np.float32)[:, None]
        inputs = os.path.join(work, "test.npy")
        np.save(inputs, x)
        session = ort.InferenceSession(exported, providers=["CPUExecutionProvider"])
        ort_probabilities = session.run(None, {session.get_inputs()[0].name: x / 255})[0]
        predicted = run([NNC, "predict", finetune, inputs, "--checkpoint", checkpoint, "--format", "json",
                         "--top-k", "5"]).stdout.splitlines()
        nnc_probabilities = np.zeros_like(ort_probabilities)
        for row, line in enumerate(predicted):
            for entry in json.loads(line)["top"]:
                nnc_probabilities[row, entry["class"]] = entry["probability"]
        difference = float(np.abs(ort_probabilities - nnc_probabilities).max())
        ort_accuracy = float((ort_probabilities.argmax(1) == labels[keep] - 5).mean())
        print(f"ONNX Runtime on the exported fine-tuned model: accuracy {ort_accuracy:.4f} on {len(x)} images; "
              f"largest difference from nnc predict's probabilities {difference:.2e}")
        if difference > 1e-4:
            raise RuntimeError("ONNX Runtime and nnc predict disagree")
    print(f"PyTorch base, digits 0-4: {torch_accuracy:.4f}")


if __name__ == "__main__":
    main()
