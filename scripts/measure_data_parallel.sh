#!/bin/sh
# The README's data-parallel measurements ("Training on several machines"): 2 ranks x 1 thread under
# mpirun against 1 process x 2 threads, `nnc bench` on random data, runs alternating so that the
# load of other processes on the machine falls on both alike; then the all-reduce bandwidth with
# buffers of each model's gradient size. The 2-rank step runs twice a round: with the all-reduces
# overlapping backward (the default) and after it (train.allreduce_overlap=false); its
# communication_share is the share of the step spent in all-reduce calls, waiting included.
# Prints one JSON report per run; take the medians.
# Usage: scripts/measure_data_parallel.sh [ROUNDS] [SECONDS]   (after swift build -c release)
set -eu
rounds=${1:-3}
seconds=${2:-5}
nnc=${NNC:-.build/release/nnc}
export OMPI_MCA_btl_vader_single_copy_mechanism=none
mpi="mpirun --allow-run-as-root --oversubscribe --bind-to none -np 2"
for spec in Specs/cifar_cnn.yaml Benchmarks/resnet18_32px.yaml; do
  round=1
  while [ "$round" -le "$rounds" ]; do
    echo "== $spec round $round: 1 process x 2 threads"
    $nnc bench "$spec" --threads 2 --seconds "$seconds" --format json
    echo "== $spec round $round: 2 ranks x 1 thread, all-reduce overlapping backward"
    $mpi $nnc bench "$spec" --threads 1 --seconds "$seconds" --format json
    echo "== $spec round $round: 2 ranks x 1 thread, all-reduce after backward"
    $mpi $nnc bench "$spec" --threads 1 --seconds "$seconds" --format json --set train.allreduce_overlap=false
    round=$((round + 1))
  done
  echo "== $spec all-reduce bandwidth, 2 ranks"
  $mpi $nnc bench "$spec" --threads 1 --seconds "$seconds" --allreduce-bandwidth --format json
done
