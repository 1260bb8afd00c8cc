#!/usr/bin/env python3
"""Regenerates Sources/NNCTensorBoard/Generated/*.pb.swift from TensorBoard's .proto files.

The PyPI `tensorboard` wheel ships only the compiled `*_pb2.py` modules, which embed each file's serialized
FileDescriptorProto. This script collects those of event.proto, summary.proto and graph.proto with everything
they import into one FileDescriptorSet and runs Debian's protoc on it with swift-protobuf's plugin:

  pip install tensorboard==2.21.0
  apt-get install -y protobuf-compiler
  git clone https://github.com/apple/swift-protobuf /tmp/swift-protobuf
  (cd /tmp/swift-protobuf && git checkout 1.39.0 && swift build -c release --product protoc-gen-swift)
  scripts/generate_tensorboard_protos.py [PATH_TO_protoc-gen-swift]

TensorBoard's protos are Apache-2.0 (https://github.com/tensorflow/tensorboard, tensorboard/compat/proto).
"""

import os
import subprocess
import sys
import tempfile

import tensorboard
from google.protobuf import descriptor_pb2
from tensorboard.compat.proto import event_pb2, graph_pb2, summary_pb2

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "Sources", "NNCTensorBoard", "Generated")
PLUGIN = sys.argv[1] if len(sys.argv) > 1 else "/tmp/swift-protobuf/.build/release/protoc-gen-swift"


def closure(modules):
    """The files of `modules` and all they import, dependencies first."""
    files = {}

    def visit(descriptor):
        if descriptor.name in files:
            return
        for dependency in descriptor.dependencies:
            visit(dependency)
        files[descriptor.name] = descriptor

    for module in modules:
        visit(module.DESCRIPTOR)
    return list(files.values())


def main():
    files = closure([event_pb2, summary_pb2, graph_pb2])
    descriptor_set = descriptor_pb2.FileDescriptorSet()
    for descriptor in files:
        proto = descriptor_set.file.add()
        proto.ParseFromString(descriptor.serialized_pb)
    protoc_version = subprocess.run(["protoc", "--version"], capture_output=True, text=True, check=True)
    names = [descriptor.name for descriptor in files]
    os.makedirs(OUTPUT, exist_ok=True)
    for old in os.listdir(OUTPUT):
        if old.endswith(".pb.swift"):
            os.remove(os.path.join(OUTPUT, old))
    with tempfile.TemporaryDirectory() as scratch:
        set_path = os.path.join(scratch, "tensorboard.protoset")
        with open(set_path, "wb") as handle:
            handle.write(descriptor_set.SerializeToString())
        command = [
            "protoc",
            f"--plugin=protoc-gen-swift={PLUGIN}",
            f"--descriptor_set_in={set_path}",
            "--swift_opt=FileNaming=DropPath",
            "--swift_opt=Visibility=Internal",
            f"--swift_out={OUTPUT}",
        ] + names
        subprocess.run(command, check=True)
    shown = (
        "protoc --plugin=protoc-gen-swift=PLUGIN --descriptor_set_in=tensorboard.protoset "
        "--swift_opt=FileNaming=DropPath --swift_opt=Visibility=Internal --swift_out=Sources/NNCTensorBoard/Generated "
        + " ".join(names)
    )
    header = (
        "// swift-format-ignore-file\n"
        f"// Generated from tensorboard/compat/proto of TensorBoard {tensorboard.__version__} (PyPI wheel, Apache-2.0)\n"
        f"// by {protoc_version.stdout.strip()} (Debian protobuf-compiler) with protoc-gen-swift 1.39.0\n"
        "// (apple/swift-protobuf tag 1.39.0), through scripts/generate_tensorboard_protos.py, which ran:\n"
        f"// {shown}\n"
        "// where tensorboard.protoset holds the FileDescriptorProtos embedded in the wheel's *_pb2.py modules.\n\n"
    )
    for name in sorted(os.listdir(OUTPUT)):
        if not name.endswith(".pb.swift"):
            continue
        path = os.path.join(OUTPUT, name)
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(header + text)
        print(path)


if __name__ == "__main__":
    main()
