// Times the two channels-first pointwise kernels of inference plans on ResNet-50's stride-1 1x1
// layers, one thread (its own CPU time, best of N), 4 samples (a thread's half of a batch of 8): the
// packed product (`nnc_packed_product_forward`, vectors over output channels, tiles transposed into
// the planes) and the plane product (`nnc_plane_product_forward`, vectors along the planes), on
// AVX-512 where the CPU has it and on AVX2, and checks that both give the same bits. Hot caches and
// one thread: `Conv2D.runsPlaneProduct` draws its line from ResNet-50's profiles instead, where the
// 56x56 layers gained more than here and the 14x14 and 28x28 reductions lost.
//
//   clang -O3 -I Sources/CKernels/include -I Sources/CKernels Benchmarks/plane_product.c \
//     Sources/CKernels/plane_product.c Sources/CKernels/packed_product.c Sources/CKernels/patch_gather.c \
//     -o /tmp/plane_product && /tmp/plane_product [samples] [repetitions]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depthwise.h"
#include "packed_product.h"
#include "plane_product.h"
#include "pointwise.h"
#include "harness.h"

typedef struct {
  int in_channels, out_channels, side, shortcut, relu;
} layer;

int main(int argc, char **argv) {
  const layer layers[] = {{64, 256, 56, 1, 1},  {64, 256, 56, 0, 0},  {64, 64, 56, 0, 1},   {256, 64, 56, 0, 1},
                          {256, 128, 56, 0, 1}, {128, 512, 28, 1, 1},  {512, 128, 28, 0, 1}, {512, 256, 28, 0, 1},
                          {256, 1024, 14, 1, 1}, {1024, 256, 14, 0, 1}, {2048, 512, 7, 0, 1}};
  const int samples = argc > 1 ? atoi(argv[1]) : 4, repetitions = argc > 2 ? atoi(argv[2]) : 5;
  __builtin_cpu_init();
  const int wide = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  printf("GFLOP/s, one thread, %d samples%s\n", samples, wide ? "" : " (no AVX-512: AVX2 only)");
  for (unsigned l = 0; l < sizeof layers / sizeof *layers; l++) {
    const layer y = layers[l];
    const int plane = y.side * y.side, k = y.in_channels, m = y.out_channels;
    const long inputs = (long)samples * k * plane, outputs = (long)samples * m * plane;
    float *input = tensor(inputs * sizeof(float)), *weight = tensor((long)m * k * sizeof(float));
    float *shortcut = tensor(outputs * sizeof(float)), *expected = tensor(outputs * sizeof(float));
    float *output = tensor(outputs * sizeof(float)), *scale = tensor(m * sizeof(float)), *bias = tensor(m * sizeof(float));
    for (long i = 0; i < inputs; i++) input[i] = (float)(i * 7919 % 1000 - 500) / 500;
    for (long i = 0; i < (long)m * k; i++) weight[i] = (float)(i * 104729 % 1000 - 500) / 5000;
    for (long i = 0; i < outputs; i++) shortcut[i] = (float)(i * 31 % 100 - 50) / 50;
    for (int i = 0; i < m; i++) scale[i] = 1 + i % 3 * 0.1f, bias[i] = i % 5 * 0.01f;
    const int activation = y.relu ? NNC_POINTWISE_RELU : NNC_POINTWISE_LINEAR;
    const float *r = y.shortcut ? shortcut : 0;
    const double flops = 2.0 * k * m * plane * samples;

    // The packed product in tasks of its column budget (`Conv2D.packedProductTasks`), all channels.
    float *packed = tensor(nnc_packed_product_weight_floats(m, k) * sizeof(float));
    nnc_packed_product_pack(m, k, weight, packed);
    const nnc_patch_shape shape = {k, y.side, y.side, y.side, y.side, 1, 1, 1, 1, 1, 1, 0, 0};
    const int group_limit = 48 * 1024 / (k * NNC_PACKED_PRODUCT_GROUP);
    const int columns = (group_limit > 4 ? group_limit : 4) * NNC_PACKED_PRODUCT_GROUP;
    float *work = tensor(nnc_packed_product_work_floats(k, columns, m) * sizeof(float));
    const long total = (long)samples * plane;
    printf("%4d -> %4d on %2dx%-2d%s", k, m, y.side, y.side, y.shortcut ? " +shortcut" : "          ");
    const int isas[] = {NNC_DEPTHWISE_AVX512, NNC_DEPTHWISE_AVX2};
    const char *names[] = {"AVX-512", "AVX2"};
    for (int v = wide ? 0 : 1; v < 2; v++) {
      double best = 1e9;
      for (int t = 0; t < repetitions; t++) {
        const double start = cpu_seconds();
        for (long c = 0; c < total; c += columns)
          nnc_packed_product_forward(isas[v], &shape, m, packed, input, c, (int)(total - c < columns ? total - c : columns),
                                     0, m, v == 0 || !wide ? expected : output, r, scale, bias, activation, 0, work);
        const double seconds = cpu_seconds() - start;
        if (seconds < best) best = seconds;
      }
      printf("  packed %s %6.1f", names[v], flops / best * 1e-9);
    }

    float *plane_packed = tensor(nnc_plane_product_weight_floats(m, k) * sizeof(float));
    nnc_plane_product_pack(m, k, weight, plane_packed);
    const int tile_limit = 48 * 1024 / (k * NNC_PLANE_PRODUCT_COLUMNS);
    const int run = (tile_limit > 1 ? tile_limit : 1) * NNC_PLANE_PRODUCT_COLUMNS;
    float *plane_work = tensor(nnc_plane_product_work_floats(k, run, m) * sizeof(float));
    for (int v = wide ? 0 : 1; v < 2; v++) {
      double best = 1e9;
      for (int t = 0; t < repetitions; t++) {
        memset(output, 0, outputs * sizeof(float));
        const double start = cpu_seconds();
        for (long c = 0; c < total; c += run)
          nnc_plane_product_forward(isas[v], k, m, plane, plane_packed, input, c, (int)(total - c < run ? total - c : run),
                                    0, m, output, r, scale, bias, activation, plane_work);
        const double seconds = cpu_seconds() - start;
        if (seconds < best) best = seconds;
      }
      const int same = memcmp(output, expected, outputs * sizeof(float)) == 0;
      printf("  plane %s %6.1f%s", names[v], flops / best * 1e-9, same ? "" : " (DIFFERENT BITS)");
    }
    printf("\n");
    free(input), free(weight), free(shortcut), free(expected), free(output), free(scale), free(bias);
    free(packed), free(work), free(plane_packed), free(plane_work);
  }
  return 0;
}
