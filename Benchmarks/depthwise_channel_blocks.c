// The depthwise kernels of Sources/CKernels on MobileNetV2-like 3x3 shapes (batch 32): forward, one
// call per plane (`nnc_depthwise_forward_plane`) against one call per block of 8 interleaved
// channels (`nnc_depthwise_forward_channels`), then backward (input and weight gradient) the same
// two ways, on one thread, best of 30 runs of the thread's own CPU time (so other processes on a
// busy machine do not inflate it). `DepthwiseConv2D.runsChannelBlocks` picks its map-width threshold
// from these figures. Clang (as SwiftPM builds the kernels: the AVX2 variant's target attribute is a
// clang pragma):
//   clang -O2 -I Sources/CKernels/include Benchmarks/depthwise_channel_blocks.c Sources/CKernels/depthwise.c
//     -o depthwise_channel_blocks && ./depthwise_channel_blocks
// -DPLANES_ONLY leaves out the channel-block calls, so that the per-plane kernels of an older
// depthwise.c (before the backward channel blocks) can be timed with the same program.
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
                           {14, 1, 192}, {28, 2, 144}, {16, 1, 144}, {16, 2, 144}, {32, 2, 96}, {32, 1, 32}};
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
    float *grad_output = malloc(sizeof(float) * planes * out_plane), *grad_input = malloc(sizeof(float) * planes * in_plane);
    float *grad_weight = malloc(sizeof(float) * channels * 9);
    if (!grad_output || !grad_input || !grad_weight) return 1;
    for (long i = 0; i < planes * out_plane; i++) grad_output[i] = uniform();
    double best_planes = 1e9, best_blocks = 1e9, best_backward_planes = 1e9, best_backward_blocks = 1e9;
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
      // Backward as DepthwiseConv2D.backward runs it: input gradient per plane, weight gradient per
      // channel summed over the batch; or both per block of 8 channels.
      start = thread_seconds();
      for (long p = 0; p < planes; p++)
        nnc_depthwise_input_gradient_plane(isa, &g, grad_output + p * out_plane, kernels + (p % channels) * 9, 0,
                                           grad_input + p * in_plane);
      for (int channel = 0; channel < channels; channel++) {
        float total[9] = {0}, sums[9];
        for (int n = 0; n < batch; n++) {
          const long p = (long)n * channels + channel;
          nnc_depthwise_weight_gradient_plane(isa, &g, in + p * in_plane, grad_output + p * out_plane, sums);
          for (int t = 0; t < 9; t++) total[t] += sums[t];
        }
        for (int t = 0; t < 9; t++) grad_weight[channel * 9 + t] = total[t];
      }
      middle = thread_seconds();
#ifndef PLANES_ONLY
      for (long p = 0; p < planes; p += 8) {
        const int channel = (int)(p % channels), count = channels - channel < 8 ? channels - channel : 8;
        nnc_depthwise_input_gradient_channels(isa, &g, grad_output + p * out_plane, kernels + channel * 9, count,
                                              grad_input + p * in_plane);
      }
      for (int channel = 0; channel < channels; channel += 8) {
        const int count = channels - channel < 8 ? channels - channel : 8;
        for (int t = 0; t < count * 9; t++) grad_weight[channel * 9 + t] = 0;
        nnc_depthwise_weight_gradient_channels(isa, &g, in + channel * in_plane, grad_output + channel * out_plane,
                                               batch, channels * in_plane, channels * out_plane, count,
                                               grad_weight + channel * 9);
      }
#endif
      end = thread_seconds();
      if (middle - start < best_backward_planes) best_backward_planes = middle - start;
      if (end - middle < best_backward_blocks) best_backward_blocks = end - middle;
    }
    const double flop = 2.0 * 9 * planes * out_plane;  // forward; each gradient as much again
    printf("%4dx%2dx%-2d stride %d -> %2dx%-2d  planes %6.3f ms %5.1f GFLOP/s  channel blocks %6.3f ms %5.1f GFLOP/s"
           "  %.2fx\n",
           channels, size, size, stride, out, out, best_planes * 1e3, flop / best_planes * 1e-9, best_blocks * 1e3,
           flop / best_blocks * 1e-9, best_planes / best_blocks);
    printf("%29s backward planes %6.3f ms %5.1f GFLOP/s  channel blocks %6.3f ms %5.1f GFLOP/s  %.2fx\n", "",
           best_backward_planes * 1e3, 2 * flop / best_backward_planes * 1e-9, best_backward_blocks * 1e3,
           2 * flop / best_backward_blocks * 1e-9, best_backward_planes / best_backward_blocks);
    free(in);
    free(output);
    free(kernels);
    free(biases);
    free(grad_output);
    free(grad_input);
    free(grad_weight);
  }
  return 0;
}
