"""Makes the PyTorch reference for nnc's weight import (Tests/EndToEndTests/PyTorchImportTests.swift).

A torchvision-style ResNet in miniature (conv1/bn1/relu, one BasicBlock `layer1.0`, adaptive
average pooling, fc) with seeded random weights and non-trivial BatchNorm statistics, in eval mode.
Writes, next to this script:
  tiny_resnet.safetensors      the state_dict, saved with safetensors.torch.save_file
  inputs.npy, labels.npy       16 inputs [16, 3, 8, 8] (float32) and labels (int64)
  expected_probabilities.csv   PyTorch's softmax of the model's outputs, one row per input

Run with: python3 make_fixture.py   (tested with torch 2.13.0+cpu, safetensors, numpy)
"""

import os

import numpy as np
import torch
from safetensors.torch import save_file
from torch import nn


class BasicBlock(nn.Module):
    """torchvision.models.resnet.BasicBlock without downsampling."""

    def __init__(self, planes):
        super().__init__()
        self.conv1 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + x)


class TinyResNet(nn.Module):
    def __init__(self, classes=4, width=8):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = nn.Sequential(BasicBlock(width))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width, classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer1(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    torch.manual_seed(7)
    model = TinyResNet()
    # Non-trivial BatchNorm parameters and running statistics, so the import of each one matters.
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
                module.running_mean.uniform_(-0.3, 0.3)
                module.running_var.uniform_(0.5, 2.0)
                module.num_batches_tracked.fill_(100)
        model.fc.weight.mul_(4)
    model.eval()

    # Per-sample channel offsets survive the global average pooling, so the classes vary.
    generator = torch.Generator().manual_seed(11)
    inputs = torch.randn(16, 3, 8, 8, generator=generator) + 2 * torch.randn(16, 3, 1, 1, generator=generator)
    with torch.no_grad():
        probabilities = torch.softmax(model(inputs), dim=1)
    labels = probabilities.argmax(dim=1)

    state = {name: tensor.contiguous() for name, tensor in model.state_dict().items()}
    save_file(state, os.path.join(here, "tiny_resnet.safetensors"))
    np.save(os.path.join(here, "inputs.npy"), inputs.numpy().astype("<f4"))
    np.save(os.path.join(here, "labels.npy"), labels.numpy().astype("<i8"))
    with open(os.path.join(here, "expected_probabilities.csv"), "w") as out:
        out.write(",".join(f"prob_{c}" for c in range(probabilities.shape[1])) + "\n")
        for row in probabilities.numpy():
            out.write(",".join(f"{value:.9g}" for value in row) + "\n")


if __name__ == "__main__":
    main()
