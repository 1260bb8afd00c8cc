// Times the packed product (`nnc_packed_product_forward`) on one layer, one thread, 4 samples (a
// thread's half of a batch of 8), in tasks of the given columns (and optionally the channels cut
// into R row tasks: "196x2"), each configuration's best of REPS (default 15) rounds taken in turn,
// so that a noisy host slows all alike. With COPIES=N the weights are packed N times and every
// task reads the next copy: N = 40 puts ResNet-50's deep layers' weights beyond L3, as in the
// model, where other layers' tensors evict them between tasks; N = 1 keeps them in cache.
// `Conv2D.packedProductDeepWeights` draws its line from these runs and the model's profiles.
//
//   clang -O3 -I Sources/CKernels/include -I Sources/CKernels Benchmarks/packed_product_tasks.c \
//     Sources/CKernels/packed_product.c Sources/CKernels/patch_gather.c -o /tmp/packed_product_tasks
//   COPIES=40 /tmp/packed_product_tasks IN OUT SIDE KERNEL STRIDE COLUMNS[xROWTASKS]...
//   e.g. ResNet-50's 3x3/2 -> 512x7x7: COPIES=40 /tmp/packed_product_tasks 512 512 14 3 2 32 200
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depthwise.h"
#include "packed_product.h"
#include "pointwise.h"
#include "harness.h"

enum { MAXIMUM_CONFIGURATIONS = 32, MAXIMUM_COPIES = 64 };

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: %s IN OUT SIDE KERNEL STRIDE COLUMNS[xROWTASKS]...\n", argv[0]);
    return 2;
  }
  const int in_channels = atoi(argv[1]), out_channels = atoi(argv[2]), side = atoi(argv[3]);
  const int kernel = atoi(argv[4]), stride = atoi(argv[5]), samples = 4, pad = kernel / 2;
  const int out_side = (side + 2 * pad - kernel) / stride + 1;
  const nnc_patch_shape shape = {in_channels, side, side, out_side, out_side, kernel, kernel, stride, stride,
                                 1, 1, pad, pad};
  const int patch = in_channels * kernel * kernel;
  const long inputs = (long)samples * in_channels * side * side, outputs = (long)samples * out_channels * out_side * out_side;
  float *input = tensor(inputs * sizeof(float)), *weight = tensor((long)out_channels * patch * sizeof(float));
  float *output = tensor(outputs * sizeof(float));
  for (long i = 0; i < inputs; i++) input[i] = (float)(i * 7919 % 1000 - 500) / 500;
  for (long i = 0; i < (long)out_channels * patch; i++) weight[i] = (float)(i * 104729 % 1000 - 500) / 5000;
  int copies = getenv("COPIES") ? atoi(getenv("COPIES")) : 1;
  copies = copies < 1 ? 1 : copies > MAXIMUM_COPIES ? MAXIMUM_COPIES : copies;
  float *packed[MAXIMUM_COPIES];
  for (int c = 0; c < copies; c++) {
    packed[c] = tensor(nnc_packed_product_weight_floats(out_channels, patch) * sizeof(float));
    nnc_packed_product_pack(out_channels, patch, weight, packed[c]);
  }
  __builtin_cpu_init();
  const int isa = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")
                      ? NNC_DEPTHWISE_AVX512
                      : NNC_DEPTHWISE_AVX2;
  const long total = (long)samples * out_side * out_side;
  const double flops = 2.0 * patch * out_channels * total;
  const int configurations = argc - 6 < MAXIMUM_CONFIGURATIONS ? argc - 6 : MAXIMUM_CONFIGURATIONS;
  int columns[MAXIMUM_CONFIGURATIONS], row_tasks[MAXIMUM_CONFIGURATIONS], rows[MAXIMUM_CONFIGURATIONS];
  double best[MAXIMUM_CONFIGURATIONS];
  float *work[MAXIMUM_CONFIGURATIONS];
  for (int a = 0; a < configurations; a++) {
    const char *x = strchr(argv[a + 6], 'x');
    columns[a] = atoi(argv[a + 6]);
    row_tasks[a] = x ? atoi(x + 1) : 1;
    const int blocks = (out_channels + NNC_PACKED_PRODUCT_CHANNELS - 1) / NNC_PACKED_PRODUCT_CHANNELS;
    rows[a] = (blocks + row_tasks[a] - 1) / row_tasks[a] * NNC_PACKED_PRODUCT_CHANNELS;
    work[a] = tensor(nnc_packed_product_work_floats(patch, columns[a], out_channels) * sizeof(float));
    best[a] = 1e30;
  }
  // IN_PLACE=1 lets groups read their terms in place where they can (`packedProductReadsInPlace`).
  const int in_place = getenv("IN_PLACE") ? atoi(getenv("IN_PLACE")) : 0;
  const int rounds = getenv("REPS") ? atoi(getenv("REPS")) : 15;
  int turn = 0;
  for (int round = 0; round < rounds; round++) {
    for (int a = 0; a < configurations; a++) {
      const double start = cpu_seconds();
      for (long first = 0; first < total; first += columns[a]) {
        const int n = total - first < columns[a] ? (int)(total - first) : columns[a];
        for (int r0 = 0; r0 < out_channels; r0 += rows[a])
          nnc_packed_product_forward(isa, &shape, out_channels, packed[turn++ % copies], input, first, n, r0,
                                     out_channels - r0 < rows[a] ? out_channels - r0 : rows[a], output, 0, 0, 0,
                                     NNC_POINTWISE_RELU, in_place, work[a]);
      }
      const double t = cpu_seconds() - start;
      if (t < best[a]) best[a] = t;
    }
  }
  printf("%d -> %d on %dx%d, %dx%d/%d, %d samples, %d weight cop%s, %s\n", in_channels, out_channels, side, side,
         kernel, kernel, stride, samples, copies, copies == 1 ? "y" : "ies", isa == NNC_DEPTHWISE_AVX512 ? "AVX-512" : "AVX2");
  for (int a = 0; a < configurations; a++)
    printf("  tasks of %4d columns x %d row task%s: %6.1f GFLOP/s\n", columns[a], row_tasks[a],
           row_tasks[a] == 1 ? " " : "s", flops / best[a] * 1e-9);
  return 0;
}
