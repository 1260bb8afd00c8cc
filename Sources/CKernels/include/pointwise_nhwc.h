// A direct 1x1 (pointwise) convolution of channels-last (NHWC) pixels for few input channels, the
// NHWC counterpart of `nnc_pointwise_forward`: OpenBLAS's product of a narrow [pixels, k] matrix
// passes over the output several times (zeroing, accumulating, the epilogue); here each block of
// 4 pixels × 16 outputs (8 × 32 with AVX-512) is summed in registers and written once, epilogue
// applied. Compiled for any x86-64 or ARM CPU, with AVX2 and FMA, and with AVX-512, chosen at run
// time like the depthwise kernels.
#ifndef NNC_POINTWISE_NHWC_H
#define NNC_POINTWISE_NHWC_H

#ifdef __cplusplus
extern "C" {
#endif

/// The weights packed for the kernel (`nnc_pointwise_nhwc_pack`): the output channels in blocks of
/// 16 while 16 remain, then of 8, then single channels; block [o, o + width) at packed + o · k holds
/// weight[o + j][c] at c · width + j, so the kernel reads each block's weights in order.
void nnc_pointwise_nhwc_pack(int out_channels, int in_channels, const float *weight, float *packed);

/// output[p · out_channels + o] = activation(s[o] · Σ_k input[p · in_channels + k] ·
/// weight[o][k] + b[o] [+ shortcut[p · out_channels + o]]) for p < pixels, the weights as
/// `nnc_pointwise_nhwc_pack` packs them,
/// the sum over k in increasing order; `activation` is an NNC_POINTWISE_* code (with a shortcut,
/// linear or ReLU as x ≤ 0 → 0, the residual addition's). With `scale` and `bias` both NULL no
/// affine step runs; otherwise a NULL scale is 1 and a NULL bias 0. `shortcut` may be NULL. Each
/// output's arithmetic is the same wherever it falls in a vector or a tail, so the AVX2 and AVX-512
/// variants give the same bits. `isa` is an NNC_DEPTHWISE_* code.
void nnc_pointwise_nhwc_forward(int isa, int out_channels, int in_channels, int pixels,
                                const float *packed_weight, const float *input, float *output,
                                const float *shortcut, const float *scale, const float *bias, int activation);

#ifdef __cplusplus
}
#endif

#endif
