#!/usr/bin/env python3
"""Makes the torchvision-architecture ONNX fixtures of `nnc import` (issue 17).

Each model gets random weights and random batchnorm statistics (so that a wrong epsilon, mean or
variance shows), is exported with torch.onnx.export(..., dynamo=False, opset_version=17) in eval
mode, and is run by PyTorch on a fixed random input:

  resnet18_w8.onnx      ResNet-18's shape (torchvision BasicBlock, [2, 2, 2, 2]) at 1/8 width
                        (8, 16, 32, 64 channels), 3x64x64 input, 10 classes
  mobilenet_v2_025.onnx torchvision mobilenet_v2(width_mult=0.25, num_classes=10), 3x64x64 input

plus <name>_input.npy [2, 3, 64, 64] and <name>_output.npy [2, 10] (PyTorch's logits). Run from the
repository root: python3 Tests/Fixtures/onnx/make_torchvision_fixtures.py
Made with torch 2.13, torchvision 0.28, onnx 1.23.2.
"""
import os

import numpy as np
import torch
import torch.library
from torch import nn


def import_torchvision_models():
    """torchvision 0.28's compiled ops do not load against torch 2.13 here, and its import registers
    fake kernels for them (nms, roi_align...), which then fails. The models need none of those ops:
    the registrations are skipped while torchvision imports."""
    register_fake, impl = torch.library.register_fake, torch.library.Library.impl

    def skip_fake(*arguments, **options):
        return lambda function: function

    def tolerant_impl(self, *arguments, **options):
        try:
            return impl(self, *arguments, **options)
        except RuntimeError:
            return None

    torch.library.register_fake, torch.library.Library.impl = skip_fake, tolerant_impl
    try:
        import torchvision.models
        import torchvision.models.resnet
    finally:
        torch.library.register_fake, torch.library.Library.impl = register_fake, impl
    return torchvision.models


models = import_torchvision_models()
mobilenet_v2 = models.mobilenet_v2
BasicBlock, conv1x1 = models.resnet.BasicBlock, models.resnet.conv1x1

HERE = os.path.dirname(os.path.abspath(__file__))


class SlimResNet18(nn.Module):
    """torchvision's ResNet with BasicBlock and [2, 2, 2, 2] blocks, at a chosen base width."""

    def __init__(self, width=8, num_classes=10):
        super().__init__()
        self.inplanes = width
        self.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(width, 2)
        self.layer2 = self._make_layer(width * 2, 2, stride=2)
        self.layer3 = self._make_layer(width * 4, 2, stride=2)
        self.layer4 = self._make_layer(width * 8, 2, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width * 8, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes, stride), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def randomize_batchnorm(model, generator):
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            channels = module.num_features
            module.weight.data = torch.rand(channels, generator=generator) + 0.5
            module.bias.data = torch.rand(channels, generator=generator) - 0.5
            module.running_mean = (torch.rand(channels, generator=generator) - 0.5) * 0.4
            module.running_var = torch.rand(channels, generator=generator) + 0.5


def make(name, model, generator):
    randomize_batchnorm(model, generator)
    model.eval()
    x = torch.rand(2, 3, 64, 64, generator=generator) * 2 - 1
    with torch.no_grad():
        y = model(x)
    path = os.path.join(HERE, name + ".onnx")
    torch.onnx.export(
        model, (x,), path, dynamo=False, opset_version=17, input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    np.save(os.path.join(HERE, name + "_input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(HERE, name + "_output.npy"), y.numpy().astype(np.float32))
    print(f"{path}: {os.path.getsize(path)} bytes")


def main():
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(17)
    make("resnet18_w8", SlimResNet18(width=8), generator)
    make("mobilenet_v2_025", mobilenet_v2(width_mult=0.25, num_classes=10), generator)


if __name__ == "__main__":
    main()
