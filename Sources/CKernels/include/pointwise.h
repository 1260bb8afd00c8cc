// A direct 1x1 (pointwise) convolution of one sample for few input channels, in C so that it compiles
// for any x86-64 or ARM CPU, with AVX2 and FMA, and with AVX-512, chosen at run time like the
// depthwise kernels (`nnc_depthwise_avx2_available`, the same ISA codes). With few input channels, OpenBLAS's
// product is bound by its passes over the output (zeroing it for beta = 0, accumulating, then the
// epilogue's pass): here each output is summed in registers and written once, epilogue applied.
#ifndef NNC_POINTWISE_H
#define NNC_POINTWISE_H

#ifdef __cplusplus
extern "C" {
#endif

/// What `nnc_pointwise_forward` applies last: none, ReLU (x < 0 → 0) or ReLU6 (x ≤ 0 → 0, x > 6 → 6,
/// so NaN stays NaN and −0 becomes 0, as the runtime's ReLU6 does).
enum { NNC_POINTWISE_LINEAR = 0, NNC_POINTWISE_RELU = 1, NNC_POINTWISE_RELU6 = 2 };

/// `in_channels` is at most 64. output[o · output_stride + p] = activation(s[o] · Σ_k weight[o ·
/// in_channels + k] · input[k · input_stride + p] + b[o] [+ shortcut[o · output_stride + p]]) for
/// o < out_channels and p < pixels, the sum over k in increasing order, then the epilogue of the
/// channels-last pointwise kernel (with a shortcut the activation is linear or ReLU, as x ≤ 0 → 0,
/// the runtime's after an addition). With `scale` and `bias` both NULL no affine step runs;
/// otherwise a NULL scale is 1 and a NULL bias 0. Every output's arithmetic is the same wherever it
/// falls in a vector or a tail, so results depend on the instruction set only (the AVX2 and AVX-512
/// variants give the same bits). `isa` is an NNC_DEPTHWISE_* code.
void nnc_pointwise_forward(int isa, int out_channels, int in_channels, int pixels, const float *weight,
                           const float *input, long input_stride, float *output, long output_stride,
                           const float *shortcut, const float *scale, const float *bias, int activation);

#ifdef __cplusplus
}
#endif

#endif
