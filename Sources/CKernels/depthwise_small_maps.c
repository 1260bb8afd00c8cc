#include "depthwise_small_maps.h"

#include "kernel_arithmetic.h"

#include <stdlib.h>

typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));

// The portable variant passes 16-float vectors between always-inlined helpers only.
#pragma clang diagnostic ignored "-Wpsabi"

// Blocks of 16 channels whose tap sums a backward call keeps at once, on the stack (36 KiB), whatever
// the channel count.
enum { SM_CHUNK_BLOCKS = 64 };

// 2x2 maps (`depthwise_small_maps_quads.h`): the weight vectors a quad of four channels takes in a
// pass, the quads the forward pass interleaves (its chains of dependent multiply-adds), and the distance in quads (cache lines) the kernels fetch ahead; after a
// sample's last quad the fetch runs on into the next sample's planes, which follow in memory when a
// call covers every channel.
enum { Q2_WEIGHT_VECTORS = 4, Q2_FETCH_AHEAD = 16, Q2_STEP = 4 };
// Quads the backward pass interleaves: two where the 32 vector registers of AVX-512 hold their 8
// accumulators and temporaries; one with 16 registers, where a 16-float vector takes two or four
// (AVX2's backward pass 89 → 78 µs a 960x2x2 layer, one thread, Benchmarks/depthwise_small_maps.c).
#define Q2_BACKWARD_STEP_portable 1
#define Q2_BACKWARD_STEP_avx2 1
#define Q2_BACKWARD_STEP_avx512 2

#define NNC_VARIANT_BODY "depthwise_small_maps_body.h"
#include "isa_variants.h"

int nnc_depthwise_small_maps_runs(const nnc_depthwise_shape *s) {
  const int side = s->in_height;
  if (s->kernel_height != 3 || s->kernel_width != 3 || s->dilation_h != 1 || s->dilation_w != 1 ||
      s->pad_top != 1 || s->pad_left != 1 || s->in_width != side || s->stride_h != s->stride_w)
    return 0;
  const int stride = s->stride_h;
  if (s->out_height != side / stride || s->out_width != side / stride) return 0;
  return (stride == 1 && (side == 2 || side == 4)) || (stride == 2 && (side == 4 || side == 8));
}

long nnc_depthwise_small_maps_weight_floats(const nnc_depthwise_shape *shape, int channels) {
  if (shape->in_height == 2) return (long)(channels + 3) / 4 * Q2_WEIGHT_VECTORS * 16;
  return nnc_depthwise_small_maps_sum_floats(channels);
}

long nnc_depthwise_small_maps_sum_floats(int channels) { return (long)(channels + 15) / 16 * 9 * 16; }

void nnc_depthwise_small_maps_weights(int isa, const nnc_depthwise_shape *shape, const float *kernels, int channels,
                                      int backward, float *lanes) {
  if (!nnc_depthwise_small_maps_runs(shape) || channels < 0) abort();
  NNC_VARIANT_CALL(isa, small_weights, shape->in_height, kernels, channels, backward, lanes);
}

void nnc_depthwise_small_maps_forward(int isa, const nnc_depthwise_shape *shape, const float *input,
                                      const float *lanes, const float *biases, int channels, int samples,
                                      long input_sample_stride, long output_sample_stride, float *output) {
  if (!nnc_depthwise_small_maps_runs(shape) || channels < 0 || samples < 0) abort();
  NNC_VARIANT_CALL(isa, small_forward, shape->in_height, shape->stride_h, input, (const v16u *)lanes, biases,
                   channels, samples, input_sample_stride, output_sample_stride, output);
}

void nnc_depthwise_small_maps_backward(int isa, const nnc_depthwise_shape *shape, const float *input,
                                       const float *grad_output, const float *lanes, int channels, int samples,
                                       long input_sample_stride, long grad_output_sample_stride,
                                       float *grad_input, float *sums) {
  if (!nnc_depthwise_small_maps_runs(shape) || channels < 0 || samples < 0) abort();
  NNC_VARIANT_CALL(isa, small_backward, shape->in_height, shape->stride_h, input, grad_output, (const v16u *)lanes,
                   channels, samples, input_sample_stride, grad_output_sample_stride, grad_input, sums);
}

void nnc_depthwise_small_maps_add_sums(int isa, const float *sums, int groups, long group_stride, int channels,
                                       float *grad_weight) {
  if (groups < 0 || channels < 0) abort();
  NNC_VARIANT_CALL(isa, small_add_sums, sums, groups, group_stride, channels, grad_weight);
}
