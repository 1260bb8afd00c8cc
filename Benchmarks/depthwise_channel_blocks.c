// The two forward depthwise kernels of Sources/CKernels on MobileNetV2-like 3x3 shapes (batch 32):
// one call per plane (`nnc_depthwise_forward_plane`) against one call per block of 8 interleaved
// channels (`nnc_depthwise_forward_channels`), on one thread, best of 30 runs of the thread's own CPU
// time (so other processes on a busy machine do not inflate it). `DepthwiseConv2D.runsChannelBlocks`
// picks its map-width threshold from these figures. Clang (as SwiftPM builds the kernels: the AVX2
// variant's target attribute is a clang pragma):
//   clang -O2 -I Sources/CKernels/include Benchmarks/depthwise_channel_blocks.c Sources/CKernels/depthwise.c
//     -o depthwise_channel_blocks && ./depthwise_channel_blocks
#include "depthwise.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double thread_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static float uniform(void) { return (float)rand() / (float)RAND_MAX - 0.5f; }

int main(void) {
  // Input size, stride and channels: MobileNetV2's small maps at 64x64 and 224x224 input, and 16x16.
  const int shapes[][3] = {{2, 1, 960}, {4, 2, 576}, {4, 1, 384}, {8, 2, 192}, {8, 1, 192},
                           {14, 1, 192}, {28, 2, 144}, {16, 1, 144}};
  const int batch = 32, runs = 30;
  const int isa = nnc_depthwise_avx2_available() ? NNC_DEPTHWISE_AVX2 : NNC_DEPTHWISE_PORTABLE;
  printf("instruction set: %s; 3x3, padding 1, batch %d, one thread, best of %d\n",
         isa == NNC_DEPTHWISE_AVX2 ? "avx2" : "portable", batch, runs);
  for (size_t c = 0; c < sizeof shapes / sizeof shapes[0]; c++) {
    const int size = shapes[c][0], stride = shapes[c][1], channels = shapes[c][2];
    const int out = (size + 2 - 3) / stride + 1;
    const nnc_depthwise_shape g = {size, size, out, out, 3, 3, stride, stride, 1, 1, 1, 1};
    const long planes = (long)batch * channels, in_plane = size * size, out_plane = out * out;
    float *in = malloc(sizeof(float) * planes * in_plane), *output = malloc(sizeof(float) * planes * out_plane);
    float *kernels = malloc(sizeof(float) * channels * 9), *biases = malloc(sizeof(float) * channels);
    if (!in || !output || !kernels || !biases) return 1;
    for (long i = 0; i < planes * in_plane; i++) in[i] = uniform();
    for (int i = 0; i < channels * 9; i++) kernels[i] = uniform();
    for (int i = 0; i < channels; i++) biases[i] = uniform();
    double best_planes = 1e9, best_blocks = 1e9;
    for (int run = 0; run < runs; run++) {
      double start = thread_seconds();
      for (long p = 0; p < planes; p++) {
        const int channel = (int)(p % channels);
        nnc_depthwise_forward_plane(isa, &g, in + p * in_plane, kernels + channel * 9, biases[channel], 0,
                                    output + p * out_plane);
      }
      double middle = thread_seconds();
      for (long p = 0; p < planes; p += 8) {
        const int channel = (int)(p % channels), count = channels - channel < 8 ? channels - channel : 8;
        nnc_depthwise_forward_channels(isa, &g, in + p * in_plane, kernels + channel * 9, biases + channel, count,
                                       output + p * out_plane);
      }
      double end = thread_seconds();
      if (middle - start < best_planes) best_planes = middle - start;
      if (end - middle < best_blocks) best_blocks = end - middle;
    }
    const double flop = 2.0 * 9 * planes * out_plane;
    printf("%4dx%2dx%-2d stride %d -> %2dx%-2d  planes %6.3f ms %5.1f GFLOP/s  channel blocks %6.3f ms %5.1f GFLOP/s"
           "  %.2fx\n",
           channels, size, size, stride, out, out, best_planes * 1e3, flop / best_planes * 1e-9, best_blocks * 1e3,
           flop / best_blocks * 1e-9, best_planes / best_blocks);
    free(in);
    free(output);
    free(kernels);
    free(biases);
  }
  return 0;
}
