// The forward depthwise convolution (multiplier 1) in channels-last (NHWC) layout, for inference:
// a pixel's channels are contiguous, so 8 channels of an output pixel are one vector and every tap
// one vector load, without the interleaving the NCHW channel blocks need on small maps. One source
// compiled per instruction set like depthwise.c (the same NNC_DEPTHWISE_* codes); every output's
// sum has a fixed order, so results depend on the instruction set only, never on the thread count.
#ifndef NNC_DEPTHWISE_NHWC_H
#define NNC_DEPTHWISE_NHWC_H

#include "depthwise.h"

#ifdef __cplusplus
extern "C" {
#endif

/// One sample's output rows [row_begin, row_end) of a depthwise convolution with multiplier 1 in NHWC:
/// output[(oy*out_width + ox)*channels + c] = act(bias[c] + Σ over taps (ki, kj) in row-major order, inside the input,
///   of weight[(ki*kernel_width + kj)*channels + c] * input[(iy*in_width + ix)*channels + c]),
/// iy = oy*stride_h - pad_top + ki*dilation_h, ix likewise. bias may be NULL (0). activation is an NNC_POINTWISE_* code
/// (include/pointwise.h: LINEAR, RELU, RELU6 with the same NaN/-0 semantics as pointwise.c). Taps outside the input are
/// skipped. The sum starts at the bias and adds the taps one by one (a·b + c contracted to FMA where the instruction
/// set has it), the same operations for a channel wherever it falls in a vector or the channel tail.
void nnc_depthwise_nhwc_forward(int isa, const nnc_depthwise_shape *shape, int channels, const float *input,
                                const float *weight, const float *bias, int activation, int row_begin, int row_end,
                                float *output);

#ifdef __cplusplus
}
#endif

#endif
