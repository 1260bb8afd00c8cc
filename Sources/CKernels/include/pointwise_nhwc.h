// A direct 1x1 (pointwise) convolution of channels-last (NHWC) pixels for few input channels, the
// NHWC counterpart of `nnc_pointwise_forward`: OpenBLAS's product of a narrow [pixels, k] matrix
// passes over the output several times (zeroing, accumulating, the epilogue); here each block of
// 4 pixels × 16 outputs is summed in registers and written once, epilogue applied. Compiled for any
// x86-64 or ARM CPU and with AVX2 and FMA, chosen at run time like the depthwise kernels.
#ifndef NNC_POINTWISE_NHWC_H
#define NNC_POINTWISE_NHWC_H

#ifdef __cplusplus
extern "C" {
#endif

/// output[p · out_channels + o] = activation(s[o] · Σ_k input[p · in_channels + k] ·
/// weight_transposed[k · out_channels + o] + b[o] [+ shortcut[p · out_channels + o]]) for p < pixels,
/// the sum over k in increasing order; `activation` is an NNC_POINTWISE_* code (with a shortcut,
/// linear or ReLU as x ≤ 0 → 0, the residual addition's). With `scale` and `bias` both NULL no
/// affine step runs; otherwise a NULL scale is 1 and a NULL bias 0. `shortcut` may be NULL. Each
/// output's arithmetic is the same wherever it falls in a vector or a tail. `isa` is an
/// NNC_DEPTHWISE_* code (AVX-512 runs the AVX2 variant).
void nnc_pointwise_nhwc_forward(int isa, int out_channels, int in_channels, int pixels,
                                const float *weight_transposed, const float *input, float *output,
                                const float *shortcut, const float *scale, const float *bias, int activation);

#ifdef __cplusplus
}
#endif

#endif
