#!/usr/bin/env python3
"""Writes the seed corpus of the reader fuzz targets (Tests/Fuzz/corpus/{safetensors,idx,npy,csv,png,jpeg})
and the inputs that once crashed or exhausted them (Tests/Fuzz/regressions/...). Deterministic: rerunning
it rewrites the same bytes. Needs numpy and Pillow. IDX and NPY inputs are pairs (samples, labels) joined as
the targets cut them: a 4-byte little-endian length of the first file, then both files."""
import io, json, os, struct, zlib

import numpy as np
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)))


def put(kind, target, name, data):
    folder = os.path.join(ROOT, kind, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def pair(first, second):
    return struct.pack("<I", len(first)) + first + second


def idx(array, code=None, dims=None):
    codes = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}
    code = code if code is not None else codes[array.dtype.type]
    dims = dims if dims is not None else array.shape
    header = bytes([0, 0, code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def npy(array, version=1, header=None):
    if header is None:
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, array, version=(version, 0))
        return buffer.getvalue()
    # A hand-written header (shapes numpy itself refuses to write), padded as numpy pads.
    text = header.encode("latin1")
    total = 10 + len(text) + 1
    text += b" " * ((64 - total % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text


def safetensors(tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_header_only(width, height):
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IEND", b"")


def image_bytes(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


rng = np.random.default_rng(13)
f32 = np.float32

# Checkpoints: an nnc checkpoint with optimizer state and counters, a plain weight file, other dtypes.
weights = {
    "dense/weight": ("F32", [3, 4], rng.standard_normal((3, 4)).astype(f32).tobytes()),
    "dense/bias": ("F32", [3], np.zeros(3, f32).tobytes()),
}
checkpoint = dict(weights)
checkpoint["__optimizer__/dense/weight/m"] = ("F32", [3, 4], np.ones((3, 4), f32).tobytes())
checkpoint["__training__/epoch"] = ("I64", [1], struct.pack("<q", 2))
checkpoint["__training__/optimizer_step"] = ("I64", [1], struct.pack("<q", 20))
checkpoint["__training__/rng_state"] = ("U64", [4], struct.pack("<4Q", 1, 2, 3, 2**64 - 1))
put("corpus", "safetensors", "checkpoint.safetensors",
    safetensors(checkpoint, {"nnc.format": "nnc-checkpoint-1", "spec_hash": "abc", "classes": "[\"a\",\"b\"]"}))
put("corpus", "safetensors", "weights.safetensors", safetensors(weights))
put("corpus", "safetensors", "scalar_and_empty.safetensors", safetensors({
    "s": ("F32", [], struct.pack("<f", 1.5)), "e": ("F32", [0, 3], b""),
    "h": ("F16", [2], np.array([1, -2], np.float16).tobytes()), "d": ("F64", [1], struct.pack("<d", 0.25))}))
put("corpus", "safetensors", "empty.safetensors", safetensors({}))
# Once crashers: a shape whose element count overflows; a header length near 2^64; non-finite weights.
put("regressions", "safetensors", "shape_overflow.safetensors",
    safetensors({"w": ("F32", [2**62, 8], b"\0" * 16)}))
put("regressions", "safetensors", "huge_header_length.safetensors", struct.pack("<Q", 2**64 - 9) + b"{}")
put("regressions", "safetensors", "non_finite_weights.safetensors", safetensors(
    {"w": ("F32", [3], np.array([np.nan, np.inf, 1], f32).tobytes()),
     "__training__/epoch": ("I64", [1], struct.pack("<q", -1))}, {"nnc.format": "nnc-checkpoint-1"}))

# IDX pairs.
put("corpus", "idx", "uint8_images", pair(idx(rng.integers(0, 256, (3, 4, 4), dtype=np.uint8)),
                                          idx(np.array([0, 2, 1], np.uint8))))
put("corpus", "idx", "float32_features", pair(idx(rng.standard_normal((2, 3)).astype(f32)),
                                              idx(np.array([1, 0], np.int32))))
put("corpus", "idx", "float64_channels", pair(idx(rng.standard_normal((2, 1, 2, 2))),
                                              idx(np.array([0.0, 1.0]))))
put("corpus", "idx", "int16_int8", pair(idx(np.arange(-4, 4, dtype=np.int16).reshape(2, 2, 2)),
                                        idx(np.array([1, 1], np.int8))))
digits = os.path.join(ROOT, "..", "..", "Data", "digits")
with open(os.path.join(digits, "t10k-images-idx3-ubyte"), "rb") as f:
    images = f.read()
with open(os.path.join(digits, "t10k-labels-idx1-ubyte"), "rb") as f:
    labels = f.read()
rows, cols = struct.unpack(">II", images[8:16])
put("corpus", "idx", "digits_head", pair(images[:4] + struct.pack(">I", 4) + images[8:16] + images[16:16 + 4 * rows * cols],
                                         labels[:4] + struct.pack(">I", 4) + labels[8:12]))
# Once crashers: count × element size overflowing, a float label of 1e300, NaN pixels.
put("regressions", "idx", "float64_size_overflow",
    pair(idx(np.zeros(0), code=0x0E, dims=(80000000, 80000000)), idx(np.array([0], np.uint8))))
put("regressions", "idx", "huge_float_label", pair(idx(np.zeros((1, 2), f32)), idx(np.array([1e300]))))
put("regressions", "idx", "nan_pixels", pair(idx(np.array([[np.nan, np.inf]], f32)), idx(np.array([0], np.uint8))))

# NPY pairs.
put("corpus", "npy", "f4_i8", pair(npy(rng.standard_normal((3, 4)).astype(f32)), npy(np.array([0, 1, 2], np.int64))))
put("corpus", "npy", "u1_u1", pair(npy(rng.integers(0, 256, (2, 2, 2), dtype=np.uint8)), npy(np.array([1, 0], np.uint8))))
put("corpus", "npy", "f8_f8_v2", pair(npy(rng.standard_normal((2, 3)), version=2), npy(np.array([0.0, 1.0]), version=2)))
put("corpus", "npy", "i4_u8_bool", pair(npy(np.array([[1, -1], [2, 3]], np.int32)), npy(np.array([1, 0], np.uint64))))
put("corpus", "npy", "f2_b1", pair(npy(np.array([[0.5, 1]], np.float16)), npy(np.array([True]))))
put("corpus", "npy", "fortran_order", pair(npy(np.asfortranarray(np.ones((2, 2), f32))), npy(np.array([0, 1], np.int64))))
put("corpus", "npy", "scalar", pair(npy(np.float32(1)), b""))
put("regressions", "npy", "f8_size_overflow",
    pair(npy(None, header="{'descr': '<f8', 'fortran_order': False, 'shape': (1152921504606846976,), }"),
         npy(np.array([0], np.int64))))
put("regressions", "npy", "u8_label_max", pair(npy(np.zeros((1, 2), f32)), npy(np.array([2**64 - 1], np.uint64))))
put("regressions", "npy", "f8_label_1e300", pair(npy(np.zeros((1, 2), f32)), npy(np.array([1e300]))))
put("regressions", "npy", "nan_pixels", pair(npy(np.array([[np.nan, -np.inf]], f32)), npy(np.array([0], np.int64))))

# CSV files.
with open(os.path.join(digits, "test.csv"), "rb") as f:
    put("corpus", "csv", "digits_head.csv", b"".join(f.readlines()[:4]))
put("corpus", "csv", "header.csv", b"f1,f2,f3,f4,label\n0.5,1,2,3,1\n-1e-3,2.5e2,3,4,0\n")
put("corpus", "csv", "semicolons.csv", b"1;2;0\r\n3;4;2\r\n\r\n5.0;6;1\r\n")
put("corpus", "csv", "float_labels.csv", b"1.0, 0.1, 0.2\n2.0, 0.3, 0.4\n")
put("regressions", "csv", "nul_after_number.csv", b"0,5\0abc\n")
put("regressions", "csv", "huge_labels.csv", b"1e300,1\n18446744073709551615,2\n")
put("regressions", "csv", "non_finite.csv", b"0,nan\n1,inf\n")

# Images: grey, RGB, RGBA 16-bit, palette and interlaced PNGs; baseline, progressive and grey JPEGs.
pixels = rng.integers(0, 256, (5, 6, 3), dtype=np.uint8)
put("corpus", "png", "rgb.png", image_bytes(Image.fromarray(pixels), "PNG"))
put("corpus", "png", "grey.png", image_bytes(Image.fromarray(pixels[:, :, 0]), "PNG"))
put("corpus", "png", "rgba.png", image_bytes(Image.fromarray(np.dstack([pixels, pixels[:, :, :1]])), "PNG"))
put("corpus", "png", "grey16.png", image_bytes(Image.fromarray(pixels[:, :, 0].astype(np.uint16) * 257), "PNG"))
put("corpus", "png", "palette.png", image_bytes(Image.fromarray(pixels).convert("P"), "PNG"))
put("corpus", "png", "interlaced.png", image_bytes(Image.fromarray(pixels), "PNG", interlace=1))
put("regressions", "png", "declares_16384x16384.png", png_header_only(16384, 16384))
put("corpus", "jpeg", "rgb.jpg", image_bytes(Image.fromarray(pixels), "JPEG", quality=90))
put("corpus", "jpeg", "grey.jpg", image_bytes(Image.fromarray(pixels[:, :, 0]), "JPEG", quality=50))
put("corpus", "jpeg", "progressive.jpg", image_bytes(Image.fromarray(pixels), "JPEG", progressive=True))
put("corpus", "jpeg", "cmyk.jpg", image_bytes(Image.fromarray(pixels).convert("CMYK"), "JPEG"))
# A few hundred bytes declaring 16384×16384 (the start-of-frame's height and width patched).
small = bytearray(image_bytes(Image.fromarray(pixels[:1, :1]), "JPEG", quality=10))
frame = small.index(b"\xff\xc0")
small[frame + 5:frame + 9] = struct.pack(">HH", 16384, 16384)
put("regressions", "jpeg", "declares_16384x16384.jpg", bytes(small))
