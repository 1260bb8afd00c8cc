// The channels-last (NHWC) depthwise forward kernel (`nnc_depthwise_nhwc_forward`) next to the NCHW
// path DepthwiseConv2D.forward runs today (`nnc_depthwise_forward_channels`, blocks of 8 interleaved
// channels, for output rows of at most 14 pixels; `nnc_depthwise_forward_plane` per plane otherwise),
// on MobileNetV2's 3x3 depthwise shapes at 64x64 input, batch 32, linear with bias: one thread, best
// of 30 runs of the thread's own CPU time (other processes on a busy machine do not inflate it), the
// two kernels alternating within each run, each timed cold (data evicted by the other kernel) and warm
// (right after its own previous call). "max diff" is the largest |NHWC − NCHW| over the outputs.
// With the one-thread roofline of Benchmarks/roofline.c (its fma_gflops_1_thread and
// read_gbytes_1_thread) as arguments it prints each kernel's share of the bound
// min(peak, bandwidth × FLOPs / byte), bytes = (input + output floats) × 4:
//   clang -O3 -I Sources/CKernels/include Benchmarks/depthwise_channels_last.c Sources/CKernels/depthwise.c
//     Sources/CKernels/depthwise_nhwc.c -o depthwise_channels_last
//   ./depthwise_channels_last [PEAK_GFLOPS READ_GBS [ISA]]
// ISA is portable, avx2 or avx512 (default: the best this CPU runs, as DepthwiseInstructionSet.best).
#include "depthwise_nhwc.h"
#include "pointwise.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double thread_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static float uniform(void) { return (float)rand() / 2147483648.0f - 0.5f; }

int main(int argc, char **argv) {
  const double peak = argc > 2 ? atof(argv[1]) : 0, bandwidth = argc > 2 ? atof(argv[2]) : 0;
  // Channels, input size, stride: every 3x3 depthwise layer shape of MobileNetV2 at 64x64 input.
  const int shapes[][3] = {{32, 32, 1}, {96, 32, 2}, {144, 16, 1}, {144, 16, 2}, {192, 8, 1},
                           {192, 8, 2}, {384, 4, 1}, {576, 4, 1}, {576, 4, 2}, {960, 2, 1}};
  const int batch = 32, runs = 30;
  // The variant DepthwiseInstructionSet.best picks, or the one the third argument names.
  const char *names[] = {"portable", "avx2", "avx512"};
  int isa = nnc_depthwise_avx512_available()  ? NNC_DEPTHWISE_AVX512
            : nnc_depthwise_avx2_available() ? NNC_DEPTHWISE_AVX2
                                             : NNC_DEPTHWISE_PORTABLE;
  for (int i = 0; argc > 3 && i <= isa; i++)
    if (strcmp(argv[3], names[i]) == 0) isa = i;
  printf("instruction set: %s; 3x3, padding 1, batch %d, one thread, best of %d CPU times\n", names[isa], batch,
         runs);
  if (peak > 0) printf("roofline: peak %.1f GFLOP/s, read bandwidth %.1f GB/s\n", peak, bandwidth);
  printf("%-22s %9s %9s %6s | %9s %9s %6s | %6s %9s\n", "shape         data", "NCHW ms", "GFLOP/s", "bound", "NHWC ms",
         "GFLOP/s", "bound", "speedup", "max diff");
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const int channels = shapes[s][0], size = shapes[s][1], stride = shapes[s][2];
    const int out = (size + 2 - 3) / stride + 1;
    const nnc_depthwise_shape g = {size, size, out, out, 3, 3, stride, stride, 1, 1, 1, 1};
    const long in_plane = (long)size * size, out_plane = (long)out * out;
    const long in_count = batch * channels * in_plane, out_count = batch * channels * out_plane;
    float *nchw = malloc(sizeof(float) * in_count), *nhwc = malloc(sizeof(float) * in_count);
    float *out_nchw = malloc(sizeof(float) * out_count), *out_nhwc = malloc(sizeof(float) * out_count);
    float *kernels = malloc(sizeof(float) * channels * 9), *taps = malloc(sizeof(float) * channels * 9);
    float *biases = malloc(sizeof(float) * channels);
    if (!nchw || !nhwc || !out_nchw || !out_nhwc || !kernels || !taps || !biases) return 1;
    for (long i = 0; i < in_count; i++) nchw[i] = uniform();
    for (int n = 0; n < batch; n++)
      for (int c = 0; c < channels; c++)
        for (long p = 0; p < in_plane; p++)
          nhwc[(n * in_plane + p) * channels + c] = nchw[(n * channels + c) * in_plane + p];
    for (int i = 0; i < channels * 9; i++) kernels[i] = uniform();
    for (int c = 0; c < channels; c++)
      for (int t = 0; t < 9; t++) taps[t * channels + c] = kernels[c * 9 + t];
    for (int c = 0; c < channels; c++) biases[c] = uniform();
    // Each kernel twice in a row: the first call finds its data evicted by the other kernel's
    // (cold: streamed from memory), the second finds what the cache kept of its own last call (warm:
    // as when the layer before just wrote the input; the last-level cache holds a layer's batch here).
    double best[2][2] = {{1e9, 1e9}, {1e9, 1e9}};  // [kernel: NCHW, NHWC][cold, warm]
    for (int run = 0; run < runs; run++) {
      for (int kernel = 0; kernel < 2; kernel++) {
        for (int pass = 0; pass < 2; pass++) {
          double start = thread_seconds();
          if (kernel == 1) {
            for (int n = 0; n < batch; n++)
              nnc_depthwise_nhwc_forward(isa, &g, channels, nhwc + n * in_plane * channels, taps, biases,
                                         NNC_POINTWISE_LINEAR, 0, out, out_nhwc + n * out_plane * channels);
          } else if (out <= 14) {
            for (long p = 0; p < (long)batch * channels; p += 8) {
              const int channel = (int)(p % channels), count = channels - channel < 8 ? channels - channel : 8;
              nnc_depthwise_forward_channels(isa, &g, nchw + p * in_plane, kernels + channel * 9, biases + channel,
                                             count, out_nchw + p * out_plane);
            }
          } else {
            for (long p = 0; p < (long)batch * channels; p++) {
              const int channel = (int)(p % channels);
              nnc_depthwise_forward_plane(isa, &g, nchw + p * in_plane, kernels + channel * 9, biases[channel], 0,
                                          out_nchw + p * out_plane);
            }
          }
          const double seconds = thread_seconds() - start;
          if (seconds < best[kernel][pass]) best[kernel][pass] = seconds;
        }
      }
    }
    double diff = 0;
    for (int n = 0; n < batch; n++)
      for (int c = 0; c < channels; c++)
        for (long p = 0; p < out_plane; p++)
          diff = fmax(diff, fabs(out_nhwc[(n * out_plane + p) * channels + c] -
                                 out_nchw[(n * channels + c) * out_plane + p]));
    const double flop = 2.0 * 9 * batch * channels * out_plane;
    const double bytes = 4.0 * (in_count + out_count);
    const double bound = peak > 0 ? fmin(peak, bandwidth * flop / bytes) : 0;
    char name[64];
    snprintf(name, sizeof name, "%dx%dx%d s%d", channels, size, size, stride);
    for (int pass = 0; pass < 2; pass++) {
      const double nchw_s = best[0][pass], nhwc_s = best[1][pass];
      const double rate_nchw = flop / nchw_s * 1e-9, rate_nhwc = flop / nhwc_s * 1e-9;
      printf("%-17s %-4s %9.3f %9.1f %5.0f%% | %9.3f %9.1f %5.0f%% | %5.2fx %9.1e\n", pass ? "" : name,
             pass ? "warm" : "cold", nchw_s * 1e3, rate_nchw, bound > 0 ? 100 * rate_nchw / bound : 0, nhwc_s * 1e3,
             rate_nhwc, bound > 0 ? 100 * rate_nhwc / bound : 0, nchw_s / nhwc_s, diff);
    }
    free(nchw);
    free(nhwc);
    free(out_nchw);
    free(out_nhwc);
    free(kernels);
    free(taps);
    free(biases);
  }
  return 0;
}
