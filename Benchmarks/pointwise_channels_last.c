// Times the channels-last pointwise product two ways on MobileNetV2's 1x1 layers at 64x64 input,
// batch 32, on one thread (its own CPU time, best of N): the direct kernel
// (`nnc_pointwise_nhwc_forward`; its AVX2 variant, and its AVX-512 one where the CPU has it) and
// OpenBLAS's SGEMM (row-major, weights transposed) in
// tasks of `Conv2D.channelsLastPointwiseRows` pixels followed by the per-row epilogue, as the
// runtime runs them. The output sets where `Conv2D.runsDirectChannelsLastPointwise` draws its line.
//
//   clang -O3 -I Sources/CKernels/include Benchmarks/pointwise_channels_last.c \
//     Sources/CKernels/pointwise_nhwc.c Sources/CKernels/depthwise.c -lopenblas -o /tmp/pwb && /tmp/pwb
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "depthwise.h"
#include "pointwise.h"
#include "pointwise_nhwc.h"

static double cpu_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int rows_per_task(int n) {
  int cache_rows = (64 * 1024 / (n > 0 ? n : 1)) / 16 * 16;
  int rows = cache_rows < 512 ? cache_rows : 512;
  return rows > 64 ? rows : 64;
}

// ReLU6 epilogue with scale and bias, per pixel row, as `channelsLastEpilogue` computes it.
static void epilogue(float *row, int n, const float *s, const float *b) {
  for (int o = 0; o < n; o++) {
    float v = row[o] * s[o] + b[o];
    if (v <= 0) v = 0;
    if (v > 6) v = 6;
    row[o] = v;
  }
}

int main(void) {
  openblas_set_num_threads(1);
  // (pixels per sample, k, n) of MobileNetV2's 1x1 layers at 64x64 input.
  const int shapes[][3] = {{1024, 32, 16}, {1024, 16, 96}, {256, 96, 24},  {256, 24, 144}, {256, 144, 24},
                           {64, 144, 32},  {64, 32, 192},  {64, 192, 32},  {16, 192, 64},  {16, 64, 384},
                           {16, 384, 64},  {16, 384, 96},  {16, 96, 576},  {16, 576, 96},  {4, 576, 160},
                           {4, 160, 960},  {4, 960, 160},  {4, 960, 320},  {4, 320, 1280}};
  const int batch = 32, repeats = 15;
  const int isa = nnc_depthwise_avx2_available() ? NNC_DEPTHWISE_AVX2 : NNC_DEPTHWISE_PORTABLE;
  const int wide = nnc_depthwise_avx512_available();
  printf("pixels x k -> n        direct ms  GFLOP/s   avx512 ms  GFLOP/s   openblas ms  GFLOP/s   direct/openblas\n");
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    const int pixels = shapes[i][0] * batch, k = shapes[i][1], n = shapes[i][2];
    float *x = malloc(sizeof(float) * pixels * k), *w = malloc(sizeof(float) * k * n);
    float *wt = malloc(sizeof(float) * k * n), *y = malloc(sizeof(float) * pixels * n);
    float *s = malloc(sizeof(float) * n), *b = malloc(sizeof(float) * n);
    for (long j = 0; j < (long)pixels * k; j++) x[j] = (float)((j * 7919) % 1000) / 1000.0f - 0.5f;
    for (long j = 0; j < (long)k * n; j++) w[j] = (float)((j * 104729) % 1000) / 1000.0f - 0.5f;
    for (int o = 0; o < n; o++) s[o] = 1.0f + o * 0.001f, b[o] = 0.01f * o;
    nnc_pointwise_nhwc_pack(n, k, w, wt);
    const int rows = rows_per_task(n);
    double best_direct = 1e9, best_wide = 1e9, best_blas = 1e9;
    for (int r = 0; r < repeats; r++) {
      double t0 = cpu_seconds();
      for (int first = 0; first < pixels; first += rows) {
        int count = pixels - first < rows ? pixels - first : rows;
        nnc_pointwise_nhwc_forward(isa, n, k, count, wt, x + (long)first * k, y + (long)first * n, 0, s, b,
                                   NNC_POINTWISE_RELU6);
      }
      double tw = cpu_seconds();
      for (int first = 0; wide && first < pixels; first += rows) {
        int count = pixels - first < rows ? pixels - first : rows;
        nnc_pointwise_nhwc_forward(NNC_DEPTHWISE_AVX512, n, k, count, wt, x + (long)first * k, y + (long)first * n,
                                   0, s, b, NNC_POINTWISE_RELU6);
      }
      double t1 = cpu_seconds();
      for (int first = 0; first < pixels; first += rows) {
        int count = pixels - first < rows ? pixels - first : rows;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, count, n, k, 1, x + (long)first * k, k, w, k, 0,
                    y + (long)first * n, n);
        for (int p = first; p < first + count; p++) epilogue(y + (long)p * n, n, s, b);
      }
      double t2 = cpu_seconds();
      if (tw - t0 < best_direct) best_direct = tw - t0;
      if (t1 - tw < best_wide) best_wide = t1 - tw;
      if (t2 - t1 < best_blas) best_blas = t2 - t1;
    }
    const double flops = 2.0 * pixels * k * n;
    printf("%5d x %4d -> %4d   %9.3f  %7.1f   %9.3f  %7.1f   %11.3f  %7.1f   %6.2f\n", shapes[i][0], k, n,
           best_direct * 1e3, flops / best_direct * 1e-9, wide ? best_wide * 1e3 : 0, wide ? flops / best_wide * 1e-9 : 0,
           best_blas * 1e3, flops / best_blas * 1e-9, best_direct / best_blas);
    free(x), free(w), free(wt), free(y), free(s), free(b);
  }
  return 0;
}
