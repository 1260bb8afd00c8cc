#!/usr/bin/env python3
"""The README's cost model for data-parallel training on K machines ("Training on several machines").

A ring all-reduce of S bytes over K ranks takes 2(K-1) steps, each sending S/K bytes to the next
rank: t = 2(K-1)/K * S / bandwidth + 2(K-1) * latency per message (bucket). With the all-reduces
after the whole backward pass (train.allreduce_overlap: false) a step of one machine at its part b
of the global batch takes t_compute + t_allreduce. Overlapped (the default), the buckets start as
backward makes them final, so at best communication hides under backward, except the bucket of
the first layers (buckets are cut from the end of the gradients, so that is the remainder), which
backward finishes last: the step takes max(t_compute + t_allreduce(last bucket),
t_forward + t_allreduce), with t_forward taken as a third of t_compute (backward costs about twice
forward). A model whose gradients fit one bucket gains nothing. K machines train K*b / step images/s.

Inputs: each model's compute time per step at the per-machine batch, measured with
`nnc bench --threads 2` on this machine (a machine of the model = this 2-core VM), and its gradient
bytes; links of 10 and 100 Gbit/s with the latencies below. Those are typical TCP and RDMA figures
between machines, assumed: one machine cannot measure them. What was measured here (2 ranks on one
machine, `nnc bench --allreduce-bandwidth`, an all-reduce of one float) is printed beside them.
Prints the README's table and the bucket size the model recommends.
Usage: scripts/allreduce_cost_model.py [--bucket-mb=MIB] MODEL=SECONDS_PER_STEP,BATCH,GRADIENT_BYTES ...
"""
import math
import sys

LINKS = [("10 Gbit/s", 10e9 / 8, 25e-6), ("100 Gbit/s", 100e9 / 8, 5e-6)]
# The median one-float all-reduce of 2 ranks on this 2-vCPU machine (`nnc bench --allreduce-bandwidth`,
# one_float_microseconds), for comparison only: messages within one machine, not between machines.
# Measured 2026-12-04 under a load average of 7-10 (other builds), two runs each; the median of
# 2,001 calls is what an uncontended message costs, the mean is ruled by descheduled ranks.
MEASURED_HERE = [("shared memory (vader)", 0.9e-6), ("TCP over loopback", 17e-6)]
MACHINES = [8, 16, 64]
BUCKET = 25 * 1048576  # train.allreduce_bucket_mb default


def allreduce_seconds(size, ranks, bandwidth, latency, bucket=None):
    bucket = bucket or BUCKET
    buckets = max(1, math.ceil(size / bucket))
    return 2 * (ranks - 1) / ranks * size / bandwidth + buckets * 2 * (ranks - 1) * latency


def overlapped_step_seconds(compute, size, ranks, bandwidth, latency, bucket=None):
    bucket = bucket or BUCKET
    last = size - bucket * (max(1, math.ceil(size / bucket)) - 1)
    return max(
        compute + allreduce_seconds(last, ranks, bandwidth, latency, bucket),
        compute / 3 + allreduce_seconds(size, ranks, bandwidth, latency, bucket))


def smallest_efficient_bucket(ranks, bandwidth, latency, overhead=0.05):
    """The bucket whose latency term is at most `overhead` of its transfer term: each of a ring's
    2(K-1) messages carries bucket/K bytes, so bucket/K/bandwidth >= latency * (1 - overhead) / overhead."""
    return ranks * bandwidth * latency * (1 - overhead) / overhead


def main(arguments):
    global BUCKET
    if arguments and arguments[0].startswith("--bucket-mb="):
        BUCKET = int(float(arguments[0].split("=")[1]) * 1048576)
        arguments = arguments[1:]
    models = []
    for argument in arguments:
        name, values = argument.split("=")
        seconds, batch, size = values.split(",")
        models.append((name, float(seconds), int(batch), int(size)))
    print(
        "| model (batch per machine) | link | K | all-reduce ms | step ms (after backward / overlapped) "
        "| images/s | scaling efficiency |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, seconds, batch, size in models:
        for link, bandwidth, latency in LINKS:
            for ranks in MACHINES:
                comm = allreduce_seconds(size, ranks, bandwidth, latency)
                after = seconds + comm
                overlapped = overlapped_step_seconds(seconds, size, ranks, bandwidth, latency)
                print(
                    f"| {name} ({batch}) | {link} | {ranks} | {comm * 1e3:.1f} | "
                    f"{after * 1e3:.1f} / {overlapped * 1e3:.1f} | "
                    f"{ranks * batch / after:,.0f} / {ranks * batch / overlapped:,.0f} | "
                    f"{seconds / after:.0%} / {seconds / overlapped:.0%} |")
    print()
    for transport, latency in MEASURED_HERE:
        print(f"measured on this machine, 2 ranks, one-float all-reduce over {transport}: {latency * 1e6:.1f} us")
    for link, bandwidth, latency in LINKS:
        sizes = ", ".join(
            f"K={k}: {smallest_efficient_bucket(k, bandwidth, latency) / 1048576:.1f} MiB" for k in MACHINES)
        print(f"bucket with latency <= 5% of transfer, {link} ({latency * 1e6:.0f} us): {sizes}")


if __name__ == "__main__":
    main(sys.argv[1:])
