#!/usr/bin/env python3
"""Checks nnc's TensorBoard event files with TensorBoard's own reader.

  scripts/check_tensorboard.py                      # trains Specs/lenet5.yaml for 3 epochs, resumes to 4, checks
  scripts/check_tensorboard.py --run-dir R --logdir L   # checks an existing run

Every value of R/history.jsonl must be a scalar in L/train or L/validation at its epoch, equal to the value
rounded to float32 (TensorBoard's simple_value), and no other scalar may exist. The graph and, when present,
the histograms are loaded too. Needs `pip install tensorboard` and a release build of nnc.
"""

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

from tensorboard.backend.event_processing import event_accumulator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def float32(value):
    return struct.unpack("<f", struct.pack("<f", value))[0]


def place(key):
    """history.jsonl key -> (run, tag), as the README documents it."""
    if key == "learning_rate":
        return "train", "epoch_learning_rate"
    if key.startswith("val_"):
        return "validation", "epoch_" + key[4:]
    return "train", "epoch_" + key[len("train_"):]


def load(path):
    accumulator = event_accumulator.EventAccumulator(
        path, size_guidance={event_accumulator.SCALARS: 0, event_accumulator.HISTOGRAMS: 0}
    )
    accumulator.Reload()
    return accumulator


def check(run_dir, logdir):
    with open(os.path.join(run_dir, "history.jsonl")) as handle:
        history = [json.loads(line) for line in handle if line.strip()]
    runs = {name: load(os.path.join(logdir, name)) for name in ("train", "validation")}
    scalars = {
        (name, tag): {event.step: event.value for event in accumulator.Scalars(tag)}
        for name, accumulator in runs.items()
        for tag in accumulator.Tags()["scalars"]
    }
    failures = []
    checked = 0
    for record in history:
        step = record["epoch"]
        for key, value in record.items():
            if key == "epoch":
                continue
            run, tag = place(key)
            logged = scalars.get((run, tag), {}).get(step)
            checked += 1
            if logged != float32(value):
                failures.append(f"{run}/{tag} at step {step}: history {value!r}, event file {logged!r}")
    logged_count = sum(len(values) for values in scalars.values())
    if logged_count != checked:
        failures.append(f"{logged_count} scalars logged, {checked} values in history.jsonl")
    steps = sorted({step for values in scalars.values() for step in values})
    print(f"history.jsonl: {len(history)} epochs, {checked} values")
    for (run, tag), values in sorted(scalars.items()):
        print(f"  {run}/{tag}: steps {sorted(values)}")
    histograms = runs["train"].Tags()["histograms"]
    if histograms:
        counts = {len(runs["train"].Histograms(tag)) for tag in histograms}
        print(f"histograms: {len(histograms)} tags in train, {sorted(counts)} steps each")
    graph = runs["train"].Graph()
    print(f"graph: {len(graph.node)} nodes ({', '.join(node.op for node in graph.node)})")
    files = {name: sorted(f for f in os.listdir(os.path.join(logdir, name)) if "tfevents" in f) for name in runs}
    print("event files: " + ", ".join(f"{name} {len(names)}" for name, names in files.items()))
    if failures:
        print("FAILED:")
        for failure in failures:
            print("  " + failure)
        return 1
    print(f"OK: all {checked} values of history.jsonl match the event files at steps {steps[0]}..{steps[-1]}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-dir")
    parser.add_argument("--logdir")
    parser.add_argument("--spec", default=os.path.join(ROOT, "Specs", "lenet5.yaml"))
    arguments = parser.parse_args()
    if arguments.run_dir and arguments.logdir:
        return check(arguments.run_dir, arguments.logdir)
    nnc = os.path.join(ROOT, ".build", "release", "nnc")
    scratch = tempfile.mkdtemp(prefix="nnc-tensorboard-")
    try:
        run_dir, logdir = os.path.join(scratch, "run"), os.path.join(scratch, "logs")
        common = [nnc, "train", arguments.spec, "--run-dir", run_dir, "--tensorboard", logdir, "--tensorboard-histograms"]
        for extra in (["--epochs", "3"], ["--epochs", "4", "--resume"]):
            shown = ["nnc", "train", os.path.relpath(arguments.spec, ROOT)] + common[3:] + extra
            print("$ " + " ".join(shown).replace(scratch, "$TMP"))
            subprocess.run(common + extra, check=True, stdout=subprocess.DEVNULL)
        return check(run_dir, logdir)
    finally:
        shutil.rmtree(scratch)


if __name__ == "__main__":
    sys.exit(main())
