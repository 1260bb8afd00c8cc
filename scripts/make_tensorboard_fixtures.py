#!/usr/bin/env python3
"""Writes Tests/Fixtures/tensorboard/records.tfrecord with TensorBoard's own record writer.

The Swift tests frame the same payloads and must produce these bytes exactly, and read them back.
Payloads, in order:
  1. the empty string
  2. b"nnc"
  3. bytes 0..255 twice (512 bytes: a length that needs two bytes)
  4. Event{wall_time: 1.5, file_version: "brain.Event:2"}
  5. Event{wall_time: 2.25, step: 3, summary {value {tag: "epoch_loss", simple_value: 0.125}}}

  pip install tensorboard==2.21.0 && scripts/make_tensorboard_fixtures.py
"""

import io
import os

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.record_writer import RecordWriter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "Tests", "Fixtures", "tensorboard", "records.tfrecord")


def payloads():
    version = event_pb2.Event(wall_time=1.5, file_version="brain.Event:2")
    scalar = event_pb2.Event(
        wall_time=2.25,
        step=3,
        summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="epoch_loss", simple_value=0.125)]),
    )
    return [b"", b"nnc", bytes(range(256)) * 2, version.SerializeToString(), scalar.SerializeToString()]


def main():
    buffer = io.BytesIO()
    writer = RecordWriter(buffer)
    for payload in payloads():
        writer.write(payload)
    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    with open(OUTPUT, "wb") as handle:
        handle.write(buffer.getvalue())
    print(f"{OUTPUT}: {len(buffer.getvalue())} bytes")


if __name__ == "__main__":
    main()
