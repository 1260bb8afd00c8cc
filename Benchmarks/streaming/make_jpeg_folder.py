#!/usr/bin/env python3
"""Writes COUNT random JPEG images of SIZE x SIZE in 10 class folders: FOLDER/class_K/NNNNNN.jpg.

Each image is smooth noise (a few random colour blobs), so it compresses like a photo rather than
like white noise. Deterministic for a given count, size and seed.
Usage: make_jpeg_folder.py FOLDER COUNT [SIZE] [SEED]
"""
import os
import random
import sys

from PIL import Image, ImageDraw, ImageFilter


def main():
    folder, count = sys.argv[1], int(sys.argv[2])
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 96
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    for k in range(10):
        os.makedirs(os.path.join(folder, f"class_{k}"), exist_ok=True)
    for index in range(count):
        image = Image.new("RGB", (size, size), tuple(rng.randrange(256) for _ in range(3)))
        draw = ImageDraw.Draw(image)
        for _ in range(6):
            x, y, r = rng.randrange(size), rng.randrange(size), rng.randrange(4, size // 3)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
        image = image.filter(ImageFilter.GaussianBlur(2))
        image.save(os.path.join(folder, f"class_{index % 10}", f"{index:06d}.jpg"), quality=90)


if __name__ == "__main__":
    main()
