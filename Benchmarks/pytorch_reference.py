"""Reference throughput of PyTorch on the models of the README's Performance table: Specs/lenet5.yaml,
Specs/cifar_cnn.yaml and Benchmarks/resnet18_32px.yaml, built layer for layer the same.

Not part of the test suite. Needs `pip install torch` (CPU wheels are fine); ResNet-18 is compare.py's
definition, layer for layer the spec's (torchvision's wheel does not load on every machine):
    python3 Benchmarks/pytorch_reference.py [--threads 2] [--seconds 5] [model ...]
Each model is timed like `nnc bench`: after a warm-up, full training steps (forward, cross-entropy,
backward, optimizer step) and inference batches (eval mode, no autograd) for at least --seconds.
"""
import argparse
import time

import torch
import torch.nn as nn

from compare import torch_model


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def cifar_cnn():
    def stage(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(), nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(),
                nn.MaxPool2d(2)]
    return nn.Sequential(*stage(3, 64), *stage(64, 128), nn.Flatten(), nn.Linear(8192, 256), nn.ReLU(),
                         nn.Linear(256, 10))


MODELS = {
    # name: (constructor, input shape, batch, optimizer)
    "lenet5": (lenet5, (1, 28, 28), 64, lambda p: torch.optim.Adam(p, lr=1e-3)),
    "cifar_cnn": (cifar_cnn, (3, 32, 32), 64, lambda p: torch.optim.Adam(p, lr=1e-3)),
    "resnet18_32px": (lambda: torch_model("resnet18_32px"), (3, 32, 32), 32,
                      lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-4)),
}


def timed(body, seconds):
    body()
    body()
    start = time.perf_counter()
    calls = 0
    while calls < 3 or time.perf_counter() - start < seconds:
        body()
        calls += 1
    return calls / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("models", nargs="*", default=list(MODELS))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {args.threads} threads")
    for name in args.models:
        make, shape, batch, optimizer_for = MODELS[name]
        model = make()
        optimizer = optimizer_for(model.parameters())
        loss_fn = nn.CrossEntropyLoss()
        x = torch.rand(batch, *shape)
        y = torch.randint(0, 10, (batch,))

        def train_step():
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(x), y).backward()
            optimizer.step()

        model.train()
        train = timed(train_step, args.seconds)
        model.eval()
        with torch.no_grad():
            infer = timed(lambda: model(x), args.seconds)
        print(f"{name:10s} batch {batch:3d}  training {train * batch:8.1f} img/s  inference {infer * batch:8.1f} img/s")


if __name__ == "__main__":
    main()
