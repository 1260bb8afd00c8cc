#!/usr/bin/env python3
"""PyTorch's side of the loader benchmark: images/s of torch.utils.data.DataLoader over an image
folder with RandomResizedCrop(224) and RandomHorizontalFlip then ToTensor, batch 64, num_workers=2,
over one pass of FOLDER (after a warm-up pass, so both sides read from the page cache).

torchvision's ImageFolder and transforms are used. Its compiled operators (nms and friends) do not
load against the CPU torch wheel installed here, and importing torchvision then fails while it
registers their meta kernels; the datasets and transforms used here are pure Python, so that
registration module is skipped. If torchvision still cannot be imported, the same three PIL operations
torchvision performs on PIL images are done here: crop+resize(BILINEAR) with torchvision's
scale/ratio sampling, a left-right flip with p=0.5, and conversion to a float tensor in [0, 1].
Usage: loader_pytorch.py FOLDER [WORKERS]
"""
import math
import os
import random
import sys
import time

import numpy
import torch
from PIL import Image


class Folder(torch.utils.data.Dataset):
    def __init__(self, root):
        classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
        self.items = [
            (os.path.join(root, c, name), index)
            for index, c in enumerate(classes)
            for name in sorted(os.listdir(os.path.join(root, c)))
        ]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        path, label = self.items[index]
        image = Image.open(path).convert("RGB")
        width, height = image.size
        area = width * height
        for _ in range(10):  # torchvision's RandomResizedCrop.get_params
            target = area * random.uniform(0.08, 1.0)
            ratio = math.exp(random.uniform(math.log(3 / 4), math.log(4 / 3)))
            w = int(round(math.sqrt(target * ratio)))
            h = int(round(math.sqrt(target / ratio)))
            if 0 < w <= width and 0 < h <= height:
                top, left = random.randint(0, height - h), random.randint(0, width - w)
                break
        else:
            w, h, top, left = width, height, 0, 0
        image = image.resize((224, 224), Image.BILINEAR, box=(left, top, left + w, top + h))
        if random.random() < 0.5:
            image = image.transpose(Image.FLIP_LEFT_RIGHT)
        tensor = torch.from_numpy(numpy.asarray(image, dtype=numpy.uint8).copy()).permute(2, 0, 1)
        return tensor.float().div(255), label


def make_dataset(folder):
    try:
        import types

        sys.modules.setdefault(
            "torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations")
        )
        from torchvision import datasets, transforms

        transform = transforms.Compose(
            [transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.ToTensor()]
        )
        return datasets.ImageFolder(folder, transform=transform), "torchvision ImageFolder"
    except Exception:
        return Folder(folder), "PIL reimplementation of torchvision's transforms"


def main():
    folder = sys.argv[1]
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    torch.set_num_threads(1)
    dataset, kind = make_dataset(folder)
    loader = torch.utils.data.DataLoader(dataset, batch_size=64, shuffle=True, num_workers=workers)
    for _ in loader:
        pass
    start = time.perf_counter()
    seen = 0
    for images, _ in loader:
        seen += images.shape[0]
    seconds = time.perf_counter() - start
    print(
        f"pytorch DataLoader ({kind}), {workers} workers: {seen} images in {seconds:.1f} s = "
        f"{seen / seconds:.0f} images/s"
    )


if __name__ == "__main__":
    main()
