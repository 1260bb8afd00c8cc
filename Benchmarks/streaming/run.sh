#!/usr/bin/env bash
# The streaming-pipeline figures of the README: peak resident memory of one epoch on generated JPEG
# folders of 5,000 and 50,000 images, of LeNet-5 on the full Fashion-MNIST (gzip IDX), and loader
# throughput against PyTorch's DataLoader. Needs a release build, python3 with Pillow, and for the
# last figure torch and torchvision. Usage: Benchmarks/streaming/run.sh [WORK_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
nnc="$here/../../.build/release/nnc"
work="${1:-/tmp/nnc-streaming-bench}"
mkdir -p "$work"

peak() { # peak resident KiB of a command, from GNU time
  /usr/bin/time -f "%M" -o "$work/time.txt" "$@" > "$work/last.log" 2>&1
  cat "$work/time.txt"
}

for count in 5000 50000; do
  folder="$work/jpeg$count"
  [ -d "$folder/images" ] || python3 "$here/make_jpeg_folder.py" "$folder/images" "$count" 96 1
  cp "$here/folder_cnn.yaml" "$folder/"
  kib=$(peak "$nnc" train "$folder/folder_cnn.yaml" --run-dir "$work/run$count" --format json)
  echo "folder of $count JPEGs (96x96), one epoch of folder_cnn: peak RSS $((kib / 1024)) MiB"
  grep '"event":"epoch"' "$work/last.log" || true
done

kib=$(peak "$nnc" train "$here/lenet5_fashion.yaml" --run-dir "$work/lenet5_fashion")
echo "LeNet-5 on Fashion-MNIST (60,000 gzip IDX images), one epoch: peak RSS $((kib / 1024)) MiB"

folder="$work/jpeg256"
[ -d "$folder/images" ] || python3 "$here/make_jpeg_folder.py" "$folder/images" 2000 256 2
cp "$here/loader_model.yaml" "$folder/"
# Twice: the first run warms the page cache (as the PyTorch script's warm-up pass does).
"$nnc" train "$folder/loader_model.yaml" --run-dir "$work/loader1" --format json > /dev/null
"$nnc" train "$folder/loader_model.yaml" --run-dir "$work/loader2" --format json \
  | python3 "$here/epoch_rate.py" 2000
"$nnc" train "$folder/loader_model.yaml" --run-dir "$work/loader3" --format json --set data.workers=1 \
  | python3 "$here/epoch_rate.py" 2000 | sed 's/2 workers/1 worker/'
python3 "$here/loader_pytorch.py" "$folder/images" 2 || echo "PyTorch's loader: torch is not installed"

# Training throughput on folder data against the same samples held in memory (cifar_cnn's model,
# 32x32 JPEGs), alternating the two three times; epoch_rate.py prints each epoch's images/s.
folder="$work/jpeg32"
[ -d "$folder/images" ] || python3 "$here/make_jpeg_folder.py" "$folder/images" 4000 32 3
cp "$here/cifar_folder.yaml" "$folder/"
for round in 1 2 3; do
  for cache in none memory; do
    rm -rf "$work/cifar_$cache"
    "$nnc" train "$folder/cifar_folder.yaml" --run-dir "$work/cifar_$cache" --format json --set data.cache=$cache \
      | python3 "$here/epoch_rate.py" 4000 | sed "s/2 workers/data.cache $cache, round $round/"
  done
done
