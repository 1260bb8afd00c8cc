// Times the strided stem (`nnc_strided_stem_forward`, its phase split included) against the packed
// product reading the same layer in place (`nnc_packed_product_forward`, tasks of 328 columns as
// `Conv2D.packedProductTasks` cuts ResNet-50's stem), one thread, 4 samples, best of 5, on AVX-512
// where the CPU has it and on AVX2, and checks that both give the same bits. Arguments: input side,
// kernel side, filters (default ResNet's stem: 224, 7, 64).
//
//   clang -O3 -I Sources/CKernels/include -I Sources/CKernels Benchmarks/strided_stem.c \
//     Sources/CKernels/strided_stem.c Sources/CKernels/packed_product.c Sources/CKernels/patch_gather.c \
//     -o /tmp/strided_stem && /tmp/strided_stem [side kernel filters]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "depthwise.h"
#include "packed_product.h"
#include "pointwise.h"
#include "strided_stem.h"
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
int main(int argc, char **argv) {
  const int samples = 4, C = 3, H = argc > 1 ? atoi(argv[1]) : 224, K = argc > 2 ? atoi(argv[2]) : 7, M = argc > 3 ? atoi(argv[3]) : 64, pad = K / 2;
  const int OH = (H + 2 * pad - K) / 2 + 1, OW = OH, patch = C * K * K;
  float *input = aligned_alloc(64, sizeof(float) * samples * C * H * H), *weight = malloc(sizeof(float) * M * patch);
  float *expected = aligned_alloc(64, sizeof(float) * samples * M * OH * OW), *output = aligned_alloc(64, sizeof(float) * samples * M * OH * OW);
  float scale[512], bias[512];
  for (long i = 0; i < (long)samples * C * H * H; i++) input[i] = (float)(i * 7919 % 1000 - 500) / 500;
  for (long i = 0; i < (long)M * patch; i++) weight[i] = (float)(i * 104729 % 1000 - 500) / 5000;
  for (int i = 0; i < M; i++) scale[i] = 1 + i % 3 * 0.1f, bias[i] = i % 5 * 0.01f;
  const nnc_patch_shape shape = {C, H, H, OH, OW, K, K, 2, 2, 1, 1, pad, pad};
  float *packed = malloc(sizeof(float) * nnc_packed_product_weight_floats(M, patch));
  nnc_packed_product_pack(M, patch, weight, packed);
  const int columns = 328; float *work = malloc(sizeof(float) * nnc_packed_product_work_floats(patch, columns, M));
  const long total = (long)samples * OH * OW; const double flops = 2.0 * patch * M * total;
  __builtin_cpu_init();
  const int wide = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  for (int isa = wide ? NNC_DEPTHWISE_AVX512 : NNC_DEPTHWISE_AVX2; isa >= NNC_DEPTHWISE_AVX2; isa--) {
  double best = 1e9;
  for (int r = 0; r < 5; r++) { double t = now();
    for (long c = 0; c < total; c += columns) nnc_packed_product_forward(isa, &shape, M, packed, input, c, (int)(total - c < columns ? total - c : columns), 0, M, expected, 0, scale, bias, NNC_POINTWISE_RELU, 1, work);
    t = now() - t; if (t < best) best = t; }
  printf("%s packed product %.1f GFLOP/s (%.2f ms)\n", isa == NNC_DEPTHWISE_AVX512 ? "AVX-512" : "AVX2", flops / best * 1e-9, best * 1e3);
  const nnc_strided_stem_shape ss = {C, H, H, OH, OW, K, K, pad, pad};
  float *phases = aligned_alloc(64, sizeof(float) * nnc_strided_stem_phase_floats(&ss));
  float *spacked = malloc(sizeof(float) * nnc_strided_stem_weight_floats(M, patch));
  nnc_strided_stem_pack(M, patch, weight, spacked);
  const int rows = 2 * OH + K - 2;
  best = 1e9; double split = 1e9;
  for (int r = 0; r < 5; r++) { double t = now(), ts = 0;
    for (int n = 0; n < samples; n++) {
      double t0 = now();
      nnc_strided_stem_split(&ss, input + (long)n * C * H * H, 0, rows, phases);
      ts += now() - t0;
      nnc_strided_stem_forward(isa, &ss, M, spacked, phases, 0, OH, output + (long)n * M * OH * OW, scale, bias, NNC_POINTWISE_RELU);
    }
    t = now() - t; if (t < best) best = t; if (ts < split) split = ts; }
  printf("%s strided stem %.1f GFLOP/s (%.2f ms, split %.2f ms) %s\n", isa == NNC_DEPTHWISE_AVX512 ? "AVX-512" : "AVX2", flops / best * 1e-9, best * 1e3, split * 1e3,
         memcmp(output, expected, sizeof(float) * samples * M * OH * OW) ? "DIFFERENT BITS" : "same bits");
  }
  return 0;
}
