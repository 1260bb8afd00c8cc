// Depthwise 3x3 convolutions (padding 1, multiplier 1) on the smallest maps of MobileNet-style
// networks — 2x2 and 4x4 at stride 1, 4x4 → 2x2 and 8x8 → 4x4 at stride 2 — with vectors over 16
// channels: each block of 16 channels' planes (NCHW) is transposed in registers into one vector per
// pixel, every tap is then a whole vector (no shuffle per tap, no tap outside the map computed), and
// the block is transposed back on the way out; 2x2 maps instead keep four channels' planes as they
// lie in memory, a vector per quad of channels, and broadcast each input pixel within its channel's
// lanes. The flat kernels' vectors over pixels spend most of their work there on shuffles and on
// taps that fall in the padding (5 of 9 on a 2x2 map), and their weight gradient keeps one
// accumulator per pixel lane and tap.
//
// Output and input gradient: each output adds its taps in increasing order from the bias (or +0),
// skipping taps outside the map, which the flat kernels add as w · 0 to a sum that is never −0: the
// same bits as theirs. Weight gradient: for each channel and tap, the products of a call's samples
// in order, pixel by pixel in row order (2x2 maps: per pair of output and input pixel, the samples
// in order, then the pairs by output pixel) — deterministic, but not the flat kernels' order.
//
// Compiled three times (portable, AVX2 with FMA, AVX-512) through `isa_variants.h`, always as
// 16-lane vectors, every lane one channel (one channel's pixel on 2x2 maps). AVX2 and AVX-512 give the same bits (both fuse each
// multiply-add); the portable build rounds each product apart, so its results differ in the last
// bits, as the other depthwise kernels' do.
#ifndef NNC_DEPTHWISE_SMALL_MAPS_H
#define NNC_DEPTHWISE_SMALL_MAPS_H

#include "depthwise.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Whether these kernels run `shape` (the plane geometry, as for the other depthwise kernels): a 3x3
/// kernel, dilation 1, padding 1 on top and left, square maps of 2x2 or 4x4 at stride 1 (output the
/// size of the input) or 4x4 → 2x2 or 8x8 → 4x4 at stride 2.
int nnc_depthwise_small_maps_runs(const nnc_depthwise_shape *shape);

/// Floats of `nnc_depthwise_small_maps_weights`' layout of `channels` channels' kernels for `shape`; a
/// call starting at channel `first` (a multiple of 16) reads the layout from lanes + this of `first`.
long nnc_depthwise_small_maps_weight_floats(const nnc_depthwise_shape *shape, int channels);

/// The kernels of `channels` channels (channel c's nine taps at kernels + 9c) as the kernels for
/// `shape` read them in the forward pass (`backward` 0) or the backward pass, once per layer and
/// pass. 64-byte aligned `lanes` make each vector one cache line. Per block of 16 channels, tap t's 16
/// weights at lanes + (9b + t) · 16, for either pass; on 2x2 maps, per quad of 4 channels, four
/// vectors of 16 (lane 4c + pixel). Lanes past the last channel 0.
void nnc_depthwise_small_maps_weights(int isa, const nnc_depthwise_shape *shape, const float *kernels, int channels,
                                      int backward, float *lanes);

/// Floats of one backward call's weight-gradient sums over `channels` channels (9 · 16 a block of 16).
long nnc_depthwise_small_maps_sum_floats(int channels);

/// output = bias + the convolution, for `channels` channels (any count) of `samples` samples: sample n's
/// planes at input + n · input_sample_stride and output + n · output_sample_stride, the kernels at
/// `lanes` (`nnc_depthwise_small_maps_weights` from the call's first channel, which starts a block of
/// 16) and channel c's bias biases[c] (0 when `biases` is NULL).
void nnc_depthwise_small_maps_forward(int isa, const nnc_depthwise_shape *shape, const float *input,
                                      const float *lanes, const float *biases, int channels, int samples,
                                      long input_sample_stride, long output_sample_stride, float *output);

/// Both gradients of the same call's planes from `grad_output`: the input gradient overwritten into
/// `grad_input` (skipped when NULL), and, when `sums` is not NULL, the weight gradient over the call's
/// samples overwritten into `sums` (channel c's tap t at sums[(9 · (c / 16) + t) · 16 + c % 16], lanes
/// past the last channel 0).
void nnc_depthwise_small_maps_backward(int isa, const nnc_depthwise_shape *shape, const float *input,
                                       const float *grad_output, const float *lanes, int channels, int samples,
                                       long input_sample_stride, long grad_output_sample_stride,
                                       float *grad_input, float *sums);

/// grad_weight[9c + t] += the sum over `groups` backward calls' `sums` (call g's at sums + g ·
/// group_stride, each in the layout of `nnc_depthwise_small_maps_backward`) of channel c's tap t:
/// 0 plus the calls' sums in call order, then added to the weight gradient.
void nnc_depthwise_small_maps_add_sums(int isa, const float *sums, int groups, long group_stride, int channels,
                                       float *grad_weight);

#ifdef __cplusplus
}
#endif

#endif
