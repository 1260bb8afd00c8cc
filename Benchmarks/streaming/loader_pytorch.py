#!/usr/bin/env python3
"""PyTorch's side of the loader benchmark: images/s of DataLoader(ImageFolder, num_workers=2) with
RandomResizedCrop(224) and RandomHorizontalFlip, batch 64, over one pass of FOLDER (after a warm-up
pass, so both sides read from the page cache).
Usage: loader_pytorch.py FOLDER [WORKERS]
"""
import sys
import time

import torch
from torchvision import datasets, transforms


def main():
    folder = sys.argv[1]
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    torch.set_num_threads(1)
    transform = transforms.Compose(
        [transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.ToTensor()]
    )
    dataset = datasets.ImageFolder(folder, transform=transform)
    loader = torch.utils.data.DataLoader(dataset, batch_size=64, shuffle=True, num_workers=workers)
    for _ in loader:
        pass
    start = time.perf_counter()
    seen = 0
    for images, _ in loader:
        seen += images.shape[0]
    seconds = time.perf_counter() - start
    print(f"pytorch DataLoader, {workers} workers: {seen} images in {seconds:.1f} s = {seen / seconds:.0f} images/s")


if __name__ == "__main__":
    main()
