"""Writes lrn_gelu.json: PyTorch's torch.nn.LocalResponseNorm (the same formula as ONNX's LRN for odd
sizes) and torch.nn.GELU (approximate 'none' and 'tanh') on random inputs, with the input gradients for
random output weights dy. Inputs are float32 values; PyTorch computes in float64, so the file holds
the exact function to float64 precision. Tests/NNCRuntimeTests/PyTorchLRNGeluTests.swift compares
nnc's kernels with it.

Run with torch installed (the file records the version): python3 make_fixture.py
"""

import json

import torch


def tensor(generator, shape, scale):
    values = (torch.rand(shape, generator=generator, dtype=torch.float32) * 2 - 1) * scale
    return values.to(torch.float64)


def case(module, x, dy):
    x = x.clone().requires_grad_(True)
    y = module(x)
    (y * dy).sum().backward()
    return {
        "shape": list(x.shape),
        "x": x.detach().flatten().tolist(),
        "dy": dy.flatten().tolist(),
        "y": y.detach().flatten().tolist(),
        "dx": x.grad.flatten().tolist(),
    }


def main():
    generator = torch.Generator().manual_seed(2026)
    lrn = []
    for size, alpha, beta, bias in [(3, 2e-4, 0.5, 2.0), (5, 1e-4, 0.75, 1.0), (5, 1.0, 0.75, 2.0),
                                    (7, 0.5, 1.25, 1.0), (1, 0.3, 0.75, 0.5)]:
        x = tensor(generator, (2, 6, 3, 4), 3)
        dy = tensor(generator, (2, 6, 3, 4), 1)
        module = torch.nn.LocalResponseNorm(size, alpha=alpha, beta=beta, k=bias)
        lrn.append({"size": size, "alpha": alpha, "beta": beta, "bias": bias, **case(module, x, dy)})
    gelu = []
    for approximate in ["none", "tanh"]:
        x = tensor(generator, (64,), 6)
        dy = tensor(generator, (64,), 1)
        gelu.append({"approximate": approximate, **case(torch.nn.GELU(approximate=approximate), x, dy)})
    with open("lrn_gelu.json", "w") as file:
        json.dump({"torch": torch.__version__, "lrn": lrn, "gelu": gelu}, file)
        file.write("\n")


if __name__ == "__main__":
    main()
