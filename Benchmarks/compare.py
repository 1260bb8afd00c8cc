#!/usr/bin/env python3
"""nnc against PyTorch (eager) and ONNX Runtime, alternating in one invocation (issue 18's harness).

Not part of the test suite; needs torch and onnxruntime (CPU wheels), a C compiler for the roofline
microbenchmark, and a release build of nnc:
    python3 Benchmarks/compare.py [--nnc .build/release/nnc] [--baseline OLD_NNC] [--rounds 3]
        [--seconds 2] [--threads 2] [--models lenet5,cifar_cnn,resnet18_32px,mobilenet_v2,resnet50]
        (also mobilenet_v2_224: MobileNetV2 inference at 224x224, batch 16)
        [--json results.json]

Each round runs, for every model, every tool once, in an order that rotates from round to round so
that no tool always runs first (or right after the same neighbour) while other load comes and goes:
  nnc        `nnc bench` (training steps and inference batches; `--inference` for ResNet-50)
  baseline   a second nnc binary (`--baseline`, e.g. the previous commit), the same way
  torch      PyTorch eager, the same architecture layer for layer, training and `no_grad` inference
  ort        ONNX Runtime (CPU provider, default graph optimizations) on the PyTorch model exported
  ort-nnc    ONNX Runtime on nnc's own `nnc export` of the spec
Every tool runs in its own process: its peak resident memory is that process's high-water mark
(nnc's per phase, from `nnc bench`; the Python tools' include the interpreter and the library).
Printed: the machine (CPU model, ISA, OpenBLAS-class SGEMM ceiling, roofline ceilings), medians
per model and tool, per-round ratios, and the depthwise convolutions of MobileNetV2 against their
roofline bound (the median of one `nnc bench --profile` per round): min(FMA peak, memory bandwidth x
the kernel's FLOP per byte), with the peak and the read bandwidth measured by Benchmarks/roofline.c on
the threads the kernels run on — the target's bound, and a line says how many rows reach half of it —
and, for comparison, with one core's bandwidth times the threads (an extrapolation: where the cores
share the memory's bandwidth it is more than the threads can read together). Last, issue 18's targets as far as
the run measured them (inference at least ONNX Runtime's, training at least 1.2 times PyTorch's, the
depthwise rows at half their bound), met or not by the medians, also under "targets" in --json.
"""
import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name: (spec, nnc --set overrides, input shape, batch, classes, trains)
MODELS = {
    "lenet5": ("Specs/lenet5.yaml", [], (1, 28, 28), 64, 10, True),
    "cifar_cnn": ("Specs/cifar_cnn.yaml", [], (3, 32, 32), 64, 10, True),
    "resnet18_32px": ("Benchmarks/resnet18_32px.yaml", [], (3, 32, 32), 32, 10, True),
    "mobilenet_v2": ("Specs/mobilenet_v2.yaml", ["model.input=[3,64,64]"], (3, 64, 64), 32, 1000, True),
    "resnet50": ("Specs/resnet50.yaml", [], (3, 224, 224), 8, 1000, False),
    # Inference at the published size, where a depthwise layer's output no longer fits the caches
    # (not in the default set: `--models mobilenet_v2_224`).
    "mobilenet_v2_224": ("Specs/mobilenet_v2.yaml", [], (3, 224, 224), 16, 1000, False),
}
DEFAULT_MODELS = ["lenet5", "cifar_cnn", "resnet18_32px", "mobilenet_v2", "resnet50"]


# --------------------------------------------------------------------------------------------------
# PyTorch definitions, layer for layer those of the specs (torchvision's forms, written out because
# the torchvision wheel available here does not load against the CPU torch wheel).

def torch_model(name):
    import torch.nn as nn

    def lenet5():
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))

    def cifar_cnn():
        def stage(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(), nn.Conv2d(cout, cout, 3, padding=1),
                    nn.ReLU(), nn.MaxPool2d(2)]
        return nn.Sequential(*stage(3, 64), *stage(64, 128), nn.Flatten(), nn.Linear(8192, 256), nn.ReLU(),
                             nn.Linear(256, 10))

    def conv_bn(cin, cout, kernel, stride=1, groups=1):
        return [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]

    class Residual(nn.Module):
        def __init__(self, path, shortcut=None, relu=True):
            super().__init__()
            self.path = nn.Sequential(*path)
            self.shortcut = nn.Sequential(*shortcut) if shortcut else None
            self.relu = nn.ReLU(inplace=True) if relu else None

        def forward(self, x):
            y = self.path(x) + (self.shortcut(x) if self.shortcut is not None else x)
            return self.relu(y) if self.relu is not None else y

    def basic(cin, cout, stride):
        path = conv_bn(cin, cout, 3, stride) + [nn.ReLU(inplace=True)] + conv_bn(cout, cout, 3)
        shortcut = conv_bn(cin, cout, 1, stride) if stride != 1 or cin != cout else None
        return Residual(path, shortcut)

    def bottleneck(cin, width, cout, stride):
        path = (conv_bn(cin, width, 1) + [nn.ReLU(inplace=True)] + conv_bn(width, width, 3, stride)
                + [nn.ReLU(inplace=True)] + conv_bn(width, cout, 1))
        shortcut = conv_bn(cin, cout, 1, stride) if stride != 1 or cin != cout else None
        return Residual(path, shortcut)

    def stem():
        return conv_bn(3, 64, 7, 2) + [nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]

    def resnet18(classes):
        layers, cin = stem(), 64
        for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
            layers += [basic(cin, cout, stride), basic(cout, cout, 1)]
            cin = cout
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, classes))

    def resnet50(classes):
        layers, cin = stem(), 64
        for width, blocks, stride in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]:
            for block in range(blocks):
                layers.append(bottleneck(cin, width, width * 4, stride if block == 0 else 1))
                cin = width * 4
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, classes))

    def mobilenet_v2(classes):
        layers, cin = conv_bn(3, 32, 3, 2) + [nn.ReLU6(inplace=True)], 32
        for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                           (6, 160, 3, 2), (6, 320, 1, 1)]:
            for block in range(n):
                stride = s if block == 0 else 1
                hidden = cin * t
                path = [] if t == 1 else conv_bn(cin, hidden, 1) + [nn.ReLU6(inplace=True)]
                path += conv_bn(hidden, hidden, 3, stride, groups=hidden) + [nn.ReLU6(inplace=True)]
                path += conv_bn(hidden, c, 1)
                layers.append(Residual(path, relu=False) if stride == 1 and cin == c else nn.Sequential(*path))
                cin = c
        layers += conv_bn(cin, 1280, 1) + [nn.ReLU6(inplace=True)]
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2),
                             nn.Linear(1280, classes))

    return {"lenet5": lenet5, "cifar_cnn": cifar_cnn, "resnet18_32px": lambda: resnet18(10),
            "mobilenet_v2": lambda: mobilenet_v2(1000), "resnet50": lambda: resnet50(1000),
            "mobilenet_v2_224": lambda: mobilenet_v2(1000)}[name]()


def torch_optimizer(name, parameters):
    import torch
    if name in ("lenet5", "cifar_cnn"):
        return torch.optim.Adam(parameters, lr=1e-3)
    if name == "mobilenet_v2":
        return torch.optim.RMSprop(parameters, lr=1e-6, alpha=0.9, momentum=0.9, weight_decay=4e-5)
    return torch.optim.SGD(parameters, lr=1e-6, momentum=0.9, weight_decay=1e-4)


# --------------------------------------------------------------------------------------------------
# Workers: one process per measurement.

def timed(body, seconds):
    """Calls per second of `body` after two warm-up calls, over at least `seconds` and 3 calls."""
    body()
    body()
    start = time.perf_counter()
    calls = 0
    while calls < 3 or time.perf_counter() - start < seconds:
        body()
        calls += 1
    return calls / (time.perf_counter() - start)


def peak_bytes():
    """This process's resident high-water mark. VmHWM, not getrusage's ru_maxrss: Linux carries
    ru_maxrss over exec, so a worker would report the driver's peak (which exported the models)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def worker_torch(args):
    import torch
    import torch.nn as nn
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    _, _, shape, batch, classes, trains = MODELS[args.model]
    model = torch_model(args.model)
    x = torch.rand(batch, *shape)
    result = {}
    if trains:
        optimizer = torch_optimizer(args.model, model.parameters())
        loss_fn = nn.CrossEntropyLoss()
        y = torch.randint(0, classes, (batch,))

        def step():
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(x), y).backward()
            optimizer.step()
        model.train()
        result["training"] = timed(step, args.seconds) * batch
        result["training_peak"] = peak_bytes()
    model.eval()
    with torch.no_grad():
        result["inference"] = timed(lambda: model(x), args.seconds) * batch
    result["inference_peak"] = peak_bytes()
    print(json.dumps(result))


def worker_ort(args):
    import numpy as np
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(args.onnx, options, providers=["CPUExecutionProvider"])
    _, _, shape, batch, _, _ = MODELS[args.model]
    x = np.random.default_rng(0).random((batch, *shape), dtype=np.float32)
    name = session.get_inputs()[0].name
    rate = timed(lambda: session.run(None, {name: x}), args.seconds) * batch
    print(json.dumps({"inference": rate, "inference_peak": peak_bytes()}))


def export_torch(model_name, path):
    import torch
    _, _, shape, batch, _, _ = MODELS[model_name]
    model = torch_model(model_name).eval()
    x = torch.rand(batch, *shape)
    try:
        torch.onnx.export(model, (x,), path, opset_version=17, dynamo=False, input_names=["input"])
    except Exception:  # a torch without the TorchScript exporter
        torch.onnx.export(model, (x,), path, opset_version=17, dynamo=True, input_names=["input"])


# --------------------------------------------------------------------------------------------------
# The driver.

def run(command, env=None, timeout=3600):
    completed = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({completed.returncode}):\n{completed.stderr[-2000:]}")
    return completed.stdout


def nnc_supports_inference_flag(binary):
    return "--inference" in run([binary, "bench", "--help"])


def measure_nnc(binary, model, args, inference_flag, profile=False):
    spec, overrides, _, batch, _, trains = MODELS[model]
    command = [binary, "bench", spec, "--batch-size", str(batch), "--threads", str(args.threads),
               "--seconds", str(args.seconds), "--format", "json"]
    for override in overrides:
        command += ["--set", override]
    if not trains and inference_flag:
        command.append("--inference")
    if profile:
        command.append("--profile")
    report = json.loads(run(command))
    result = {"inference": report["inference"]["images_per_second"],
              "inference_peak": report["inference"].get("peak_resident_bytes")}
    if trains and report.get("training"):
        result["training"] = report["training"]["images_per_second"]
        result["training_peak"] = report["training"].get("peak_resident_bytes")
    if profile:
        result["profile"] = report.get("training_profile") or []
    return result


def measure_python(kind, model, args, onnx=None):
    command = [sys.executable, os.path.abspath(__file__), "--worker", kind, "--model", model,
               "--threads", str(args.threads), "--seconds", str(args.seconds)]
    if onnx:
        command += ["--onnx", onnx]
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    return json.loads(run(command, env=env).strip().splitlines()[-1])


def cpu_description():
    model = "unknown CPU"
    flags = set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model == "unknown CPU":
                    model = line.split(":", 1)[1].strip()
                if line.startswith("flags") and not flags:
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        model = platform.processor() or model
    isa = "avx512f" if "avx512f" in flags else "avx2+fma" if {"avx2", "fma"} <= flags else "sse/neon"
    return model, isa, os.cpu_count()


def sgemm_ceiling(threads):
    """GFLOP/s of a 2048² SGEMM through numpy's BLAS on 1 and `threads` threads."""
    code = ("import numpy as np, time\n"
            "a = np.random.rand(2048, 2048).astype(np.float32); b = a.copy(); a @ b\n"
            "best = 1e9\n"
            "for _ in range(5):\n"
            "    t = time.perf_counter(); a @ b; best = min(best, time.perf_counter() - t)\n"
            "print(2 * 2048 ** 3 / best / 1e9)\n")
    result = {}
    for count in sorted({1, threads}):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(count), OMP_NUM_THREADS=str(count),
                   MKL_NUM_THREADS=str(count))
        try:
            result[count] = float(run([sys.executable, "-c", code], env=env))
        except Exception as error:  # numpy missing: report it, do not stop the comparison
            result[count] = f"unavailable ({error})"
    return result


def roofline(threads, directory):
    compiler = shutil.which("cc") or shutil.which("clang") or shutil.which("gcc")
    if not compiler:
        return None
    binary = os.path.join(directory, "roofline")
    run([compiler, "-O2", "-march=native", "-pthread", os.path.join(ROOT, "Benchmarks/roofline.c"), "-o", binary])
    return json.loads(run([binary, str(threads)]))


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def depthwise_roofline(profiles, ceiling, batch, threads):
    """Rows of MobileNetV2's depthwise kernels: achieved GFLOP/s (the median of the profiles' times)
    against two roofline bounds, whose bandwidth is the one-core read bandwidth times the threads (an
    extrapolation, the stricter where cores share the memory) or the read bandwidth measured on that
    many threads (what the machine gives the kernels: the target's bound, as its peak is the one
    measured on that many threads)."""
    rows = []
    # (peak, bandwidth) pairs: one core's times the threads, and as measured on the threads.
    ceilings = ((ceiling["fma_gflops_1_thread"] * threads, ceiling["read_gbytes_1_thread"] * threads),
                (ceiling["fma_gflops"], ceiling["read_gbytes"]))
    for index, row in enumerate(profiles[0]):
        match = re.search(r"depthwise_conv2d\w* 3x3(?:/(\d+))? -> (\d+)x(\d+)x(\d+) depthwise", row["kind"])
        if not match:
            continue
        stride = int(match.group(1) or 1)
        channels, height, width = int(match.group(2)), int(match.group(3)), int(match.group(4))
        outputs = batch * channels * height * width * row["nodes"]
        inputs = outputs * stride * stride
        flops = 18 * outputs
        same = [p[index] for p in profiles if index < len(p) and p[index]["kind"] == row["kind"]]
        for pass_name, pass_flops, floats, key in [
                ("forward", flops, inputs + outputs, "forward_ms"),
                # both gradients: read x and dy, write dx
                ("backward", 2 * flops, 2 * inputs + outputs, "backward_ms")]:
            ms = statistics.median(r[key] for r in same)
            if ms <= 0:
                continue
            achieved = pass_flops / (ms / 1000) / 1e9
            bounds = [min(peak, bandwidth * pass_flops / (4 * floats)) for peak, bandwidth in ceilings]
            rows.append((row["kind"], row["nodes"], pass_name, ms, achieved, bounds[0], achieved / bounds[0],
                         bounds[1], achieved / bounds[1]))
    return rows


def issue_targets(medians, depthwise):
    """Issue 18's targets as far as this run measured them: inference at least ONNX Runtime's (on the
    model exported from PyTorch) on every model, training at least 1.2 times PyTorch's on every model
    trained, every depthwise row at half its bound or more (the bound measured on the kernels'
    threads). Each: the target, whether the medians meet it, and the weakest row."""
    targets = []
    for phase, other, floor, name in [("inference", "ort", 1.0, "inference >= 1.0x ONNX Runtime"),
                                      ("training", "torch", 1.2, "training >= 1.2x PyTorch")]:
        rows = {model: ratio for (model, p, o), ratio in medians.items() if p == phase and o == other}
        if rows:
            weakest = min(rows, key=rows.get)
            targets.append({"target": name, "met": rows[weakest] >= floor,
                            "detail": f"{len(rows)} models, lowest {weakest} {rows[weakest]:.3f}"})
    if depthwise:
        shares = [row[8] for row in depthwise]
        targets.append({"target": "depthwise >= 50% of the roofline bound", "met": min(shares) >= 0.5,
                        "detail": f"{sum(share >= 0.5 for share in shares)} of {len(shares)} rows, lowest "
                                  f"{min(shares):.0%}"})
    return targets


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nnc", default=os.path.join(ROOT, ".build/release/nnc"))
    parser.add_argument("--baseline", help="a second nnc binary timed in the same rounds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS),
                        help=f"comma-separated, of {', '.join(MODELS)}")
    parser.add_argument("--tools", default="nnc,baseline,torch,ort,ort-nnc")
    parser.add_argument("--json", help="also write every measurement here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--onnx", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "torch":
        return worker_torch(args)
    if args.worker == "ort":
        return worker_ort(args)

    models = [m for m in args.models.split(",") if m]
    tools = [t for t in args.tools.split(",") if t and (t != "baseline" or args.baseline)]
    directory = tempfile.mkdtemp(prefix="nnc-compare-")
    cpu, isa, cores = cpu_description()
    load = os.getloadavg()
    print(f"CPU: {cpu}, {cores} logical cores, {isa}; {args.threads} threads; load average at start "
          f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    sgemm = sgemm_ceiling(args.threads)
    print("SGEMM ceiling (numpy's BLAS, 2048²): " + ", ".join(
        f"{count} thread{'s' if count > 1 else ''} {value:.1f} GFLOP/s" if isinstance(value, float)
        else f"{count}: {value}" for count, value in sgemm.items()))
    ceiling = roofline(args.threads, directory)
    if ceiling:
        print(f"roofline ({ceiling['isa']}): FMA peak {ceiling['fma_gflops_1_thread']:.1f} GFLOP/s per core "
              f"(CPU time), {ceiling['fma_gflops']:.1f} on {args.threads} threads (wall); read bandwidth "
              f"{ceiling['read_gbytes_1_thread']:.1f} GB/s one core, {ceiling['read_gbytes']:.1f} on "
              f"{args.threads}; triad {ceiling['triad_gbytes_1_thread']:.1f} / {ceiling['triad_gbytes']:.1f} GB/s")

    inference_flag = {"nnc": nnc_supports_inference_flag(args.nnc)}
    if args.baseline:
        inference_flag["baseline"] = nnc_supports_inference_flag(args.baseline)
    onnx = {}
    for model in models:
        if "ort" in tools:
            onnx[("ort", model)] = os.path.join(directory, f"{model}_torch.onnx")
            export_torch(model, onnx[("ort", model)])
        if "ort-nnc" in tools:
            spec, overrides, _, batch, _, _ = MODELS[model]
            path = os.path.join(directory, f"{model}_nnc.onnx")
            command = [args.nnc, "export", spec, "-o", path, "--batch", str(batch)]
            for override in overrides:
                command += ["--set", override]
            run(command)
            onnx[("ort-nnc", model)] = path

    results = {model: {tool: [] for tool in tools} for model in models}
    for round_index in range(args.rounds):
        order = tools[round_index % len(tools):] + tools[:round_index % len(tools)]
        for model in models:
            for tool in order:
                if tool in ("nnc", "baseline"):
                    binary = args.nnc if tool == "nnc" else args.baseline
                    _, _, _, _, _, trains = MODELS[model]
                    if not trains and not inference_flag[tool]:
                        # An nnc without `bench --inference` would also train ResNet-50: skip it.
                        continue
                    result = measure_nnc(binary, model, args, inference_flag[tool])
                elif tool == "torch":
                    result = measure_python("torch", model, args)
                else:
                    result = measure_python("ort", model, args, onnx=onnx[(tool, model)])
                results[model][tool].append(result)
                print(f"  round {round_index + 1} {model:14s} {tool:9s} " + ", ".join(
                    f"{key} {value:,.0f} img/s" for key, value in result.items() if not key.endswith("peak")),
                    flush=True)

    print(f"\nMedians of {args.rounds} rounds, images/s (peak resident MiB):")
    columns = [(tool, phase) for tool in tools for phase in ("training", "inference")
               if any(r.get(phase) for model in models for r in results[model][tool])]
    print(f"{'model (batch)':22s}" + "".join(f"{tool + (' train' if phase == 'training' else ' infer'):>20s}"
                                             for tool, phase in columns))
    for model in models:
        batch = MODELS[model][3]
        line = f"{model + f' ({batch})':22s}"
        for tool, phase in columns:
            rate = median([r.get(phase) for r in results[model][tool]])
            peak = median([r.get(phase + "_peak") for r in results[model][tool]])
            text = "-" if rate is None else f"{rate:,.0f}" + (f" ({peak / 2**20:,.0f})" if peak else "")
            line += f"{text:>20s}"
        print(line)

    print("\nPer-round ratios (each round's nnc over the other tool's figure in the same round):")
    pairs = [("training", "torch"), ("inference", "ort"), ("inference", "ort-nnc"), ("inference", "torch"),
             ("training", "baseline"), ("inference", "baseline")]
    medians = {}  # (model, phase, other) -> median of the per-round ratios
    for model in models:
        for phase, other in pairs:
            if other not in tools or "nnc" not in tools:
                continue
            ratios = [a.get(phase) / b.get(phase) for a, b in zip(results[model]["nnc"], results[model][other])
                      if a.get(phase) and b.get(phase)]
            if ratios:
                medians[(model, phase, other)] = statistics.median(ratios)
                print(f"  {model:14s} {phase:9s} nnc / {other:9s} median {statistics.median(ratios):5.2f}  rounds "
                      + " ".join(f"{r:.2f}" for r in ratios))

    depthwise = []
    if ceiling and "mobilenet_v2" in models and "nnc" in tools:
        profiles = [measure_nnc(args.nnc, "mobilenet_v2", args, inference_flag["nnc"], profile=True)["profile"]
                    for _ in range(args.rounds)]
        depthwise = depthwise_roofline(profiles, ceiling, MODELS["mobilenet_v2"][3], args.threads)
        print(f"\nMobileNetV2 (64x64, batch 32) depthwise 3x3 kernels in a training step (median of {args.rounds} "
              "profiles), against the roofline bound min(FMA peak, read bandwidth x FLOP/byte) with the peak and "
              f"the bandwidth measured on {args.threads} threads (the target's bound), and with one core's "
              f"bandwidth x {args.threads} (extrapolated):")
        print(f"  {'kind':38s} {'nodes':>5s} {'pass':>8s} {'ms':>8s} {'GFLOP/s':>8s} {'bound':>8s} {'share':>6s}"
              f" {'extrap.':>8s} {'share':>6s}")
        for kind, nodes, pass_name, ms, achieved, bound, share, measured, measured_share in depthwise:
            print(f"  {kind:38s} {nodes:5d} {pass_name:>8s} {ms:8.2f} {achieved:8.1f} {measured:8.1f} "
                  f"{measured_share:6.0%} {bound:8.1f} {share:6.0%}")
        if depthwise:
            at_half = sum(1 for row in depthwise if row[8] >= 0.5)
            extrapolated = sum(1 for row in depthwise if row[6] >= 0.5)
            print(f"  rows at half the bound or more: {at_half} of {len(depthwise)} (lowest "
                  f"{min(row[8] for row in depthwise):.0%}); against the extrapolated bound: {extrapolated} "
                  f"of {len(depthwise)}")
    targets = issue_targets(medians, depthwise)
    if targets:
        print("\nIssue 18's targets, by the medians above:")
        for target in targets:
            print(f"  {target['target']}: {'met' if target['met'] else 'NOT met'} ({target['detail']})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"cpu": cpu, "isa": isa, "threads": args.threads, "sgemm": sgemm, "roofline": ceiling,
                       "results": results, "depthwise": depthwise, "targets": targets}, f, indent=1)
    shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
