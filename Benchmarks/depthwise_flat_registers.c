// The flat depthwise kernels' register variants (Sources/CKernels/depthwise_flat_registers_body.h)
// against the general flat kernels they replace (`nnc_depthwise_flat_use_registers(table, 0)`), on
// MobileNetV2's 3x3 maps at 64x64 input, batch 32: forward, then both gradients, called as
// DepthwiseConv2D calls them (planes with expanded weights a sixteenth of the channels over the
// batch, others per sample and block of 4,096 output floats), on one thread, best of 40 runs of the thread's CPU time.
// The data stay in the caches between runs (1–9 MB a shape): this times the kernels, not the
// memory they wait on inside a model. Also checks that both give the same bits. Clang, as SwiftPM
// builds the kernels:
//   clang -O2 -I Sources/CKernels/include Benchmarks/depthwise_flat_registers.c \
//     Sources/CKernels/depthwise_flat.c Sources/CKernels/depthwise.c -o depthwise_flat_registers
//   ./depthwise_flat_registers [portable|avx2|avx512]
#include "depthwise.h"
#include "depthwise_flat.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double thread_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static float uniform(void) { return (float)rand() / (float)RAND_MAX - 0.5f; }

static void *aligned(size_t bytes) { return aligned_alloc(64, (bytes + 63) / 64 * 64); }

typedef struct {
  double forward, backward;
  float *output, *grad_input, *grad_weight;
} timing;

// One shape with one table: the best forward and backward times, and the results of the last run.
static timing run(int isa, const void *table, int size, int stride, int channels, int batch, const float *in,
                  const float *grad_output, const float *kernels, const float *biases) {
  const int out = size / stride;
  const long in_plane = (long)size * size, out_plane = (long)out * out;
  const long in_stride = channels * in_plane, out_stride = channels * out_plane;
  const size_t expanded_floats = nnc_depthwise_flat_expanded_floats(table, channels);
  float *expanded = expanded_floats ? aligned(sizeof(float) * expanded_floats) : NULL;
  // DepthwiseConv2D's tasks: forward over the batch with expanded weights, backward on planes under
  // 64 pixels; else per sample.
  const int quantum = nnc_depthwise_flat_channel_quantum(table);
  const int batch_block = (channels / 16 + quantum - 1) / quantum * quantum, sample_block = (int)(4096 / out_plane);
  const int forward_batch = expanded_floats > 0, backward_batch = out_plane < 64;
  const int forward_block = forward_batch ? batch_block : sample_block;
  const int backward_block = backward_batch ? batch_block : sample_block;
  const size_t work_floats = nnc_depthwise_flat_work_floats(table, batch_block > sample_block ? batch_block : sample_block, 1);
  float *work = malloc(sizeof(float) * work_floats), *partial = malloc(sizeof(float) * channels * 9);
  timing t = {1e9, 1e9, malloc(sizeof(float) * batch * out_stride), malloc(sizeof(float) * batch * in_stride),
              calloc((size_t)channels * 9, sizeof(float))};
  for (int r = 0; r < 40; r++) {
    double start = thread_seconds();
    if (expanded) nnc_depthwise_flat_expand(table, kernels, biases, channels, expanded);
    for (int first = 0; first < channels; first += forward_block) {
      const int count = channels - first < forward_block ? channels - first : forward_block;
      const float *lanes = expanded ? expanded + nnc_depthwise_flat_expanded_floats(table, first) : NULL;
      for (int n = 0; n < (forward_batch ? 1 : batch); n++)
        nnc_depthwise_flat_forward(isa, table, in + n * in_stride + first * in_plane, kernels + first * 9,
                                   biases + first, lanes, count, forward_batch ? batch : 1, in_stride, out_stride,
                                   t.output + n * out_stride + first * out_plane, work);
    }
    double middle = thread_seconds();
    if (expanded) nnc_depthwise_flat_expand(table, kernels, NULL, channels, expanded);
    memset(t.grad_weight, 0, sizeof(float) * channels * 9);
    for (int first = 0; first < channels; first += backward_block) {
      const int count = channels - first < backward_block ? channels - first : backward_block;
      const float *lanes = expanded ? expanded + nnc_depthwise_flat_expanded_floats(table, first) : NULL;
      for (int n = 0; n < (backward_batch ? 1 : batch); n++) {
        nnc_depthwise_flat_backward(isa, table, in + n * in_stride + first * in_plane,
                                    grad_output + n * out_stride + first * out_plane, kernels + first * 9, lanes,
                                    count, backward_batch ? batch : 1, in_stride, out_stride,
                                    t.grad_input + n * in_stride + first * in_plane, partial, work);
        for (int i = 0; i < count * 9; i++) t.grad_weight[first * 9 + i] += partial[i];
      }
    }
    double end = thread_seconds();
    if (middle - start < t.forward) t.forward = middle - start;
    if (end - middle < t.backward) t.backward = end - middle;
  }
  free(expanded);
  free(work);
  free(partial);
  return t;
}

int main(int argc, char **argv) {
  // Input size, stride, channels: MobileNetV2's maps at 64x64 input the register variants run.
  const int shapes[][3] = {{32, 1, 32}, {16, 1, 144}, {8, 1, 192}, {8, 2, 192},
                           {4, 1, 384}, {4, 1, 576}, {4, 2, 576}, {2, 1, 960}, {32, 2, 96}, {16, 2, 144}};
  const int batch = 32;
  int isa = nnc_depthwise_avx512_available() ? NNC_DEPTHWISE_AVX512
            : nnc_depthwise_avx2_available() ? NNC_DEPTHWISE_AVX2
                                             : NNC_DEPTHWISE_PORTABLE;
  if (argc > 1) isa = !strcmp(argv[1], "portable") ? NNC_DEPTHWISE_PORTABLE
                      : !strcmp(argv[1], "avx2")   ? NNC_DEPTHWISE_AVX2
                                                   : isa;
  const char *names[] = {"portable", "avx2", "avx512"};
  printf("instruction set: %s; 3x3, padding 1, batch %d, one thread, best of 40; GFLOP/s (18 a tap sum forward, "
         "36 backward)\n",
         names[isa], batch);
  printf("%-14s %28s %28s\n", "shape", "forward: general  registers", "backward: general  registers");
  int differ = 0;
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const int size = shapes[s][0], stride = shapes[s][1], channels = shapes[s][2], out = size / stride;
    const nnc_depthwise_shape g = {size, size, out, out, 3, 3, stride, stride, 1, 1, 1, 1};
    const size_t bytes = nnc_depthwise_flat_table_bytes(&g);
    void *tables[2] = {aligned(bytes), aligned(bytes)};
    if (!nnc_depthwise_flat_table(&g, tables[0]) || !nnc_depthwise_flat_table(&g, tables[1])) return 1;
    nnc_depthwise_flat_use_registers(tables[0], 0);
    const long inputs = (long)batch * channels * size * size, outputs = (long)batch * channels * out * out;
    float *in = malloc(sizeof(float) * inputs), *grad_output = malloc(sizeof(float) * outputs);
    float *kernels = malloc(sizeof(float) * channels * 9), *biases = malloc(sizeof(float) * channels);
    for (long i = 0; i < inputs; i++) in[i] = uniform();
    for (long i = 0; i < outputs; i++) grad_output[i] = uniform();
    for (int i = 0; i < channels * 9; i++) kernels[i] = uniform();
    for (int i = 0; i < channels; i++) biases[i] = uniform();
    timing t[2];
    for (int m = 0; m < 2; m++) t[m] = run(isa, tables[m], size, stride, channels, batch, in, grad_output, kernels, biases);
    const int same = !memcmp(t[0].output, t[1].output, sizeof(float) * outputs) &&
                     !memcmp(t[0].grad_input, t[1].grad_input, sizeof(float) * inputs) &&
                     !memcmp(t[0].grad_weight, t[1].grad_weight, sizeof(float) * channels * 9);
    differ |= !same;
    const double flops = 18.0 * outputs;
    char shape[32];
    snprintf(shape, sizeof shape, "%dx%dx%d s%d", channels, out, out, stride);
    printf("%-14s %18.1f %10.1f %18.1f %10.1f%s\n", shape, flops / t[0].forward / 1e9, flops / t[1].forward / 1e9,
           2 * flops / t[0].backward / 1e9, 2 * flops / t[1].backward / 1e9, same ? "" : "  RESULTS DIFFER");
    for (int m = 0; m < 2; m++) {
      free(t[m].output);
      free(t[m].grad_input);
      free(t[m].grad_weight);
      free(tables[m]);
    }
    free(in);
    free(grad_output);
    free(kernels);
    free(biases);
  }
  return differ;
}
