// The weight gradient of a 1x1 (pointwise) convolution over channels-first samples, in C for the
// instruction sets of the other kernels (chosen at run time, the same ISA codes): a sum of dot
// products along each sample's planes, where OpenBLAS's product packed both operands on every call
// for a few outputs per packed float.
#ifndef NNC_POINTWISE_GRADIENT_H
#define NNC_POINTWISE_GRADIENT_H

#ifdef __cplusplus
extern "C" {
#endif

/// grad_weight[o · in_channels + i] += Σ_n Σ_p grad_output[n · grad_output_stride + o · pixels + p] ·
/// input[n · input_stride + i · pixels + p] for o < out_channels and i < in_channels. Each sum runs
/// in 16 lanes (lane l takes the pixels p ≡ l mod 16 of every sample, samples in order, pixels in
/// increasing order), then the lanes in a fixed tree, so results depend on the instruction set only
/// (the AVX2 and AVX-512 variants give the same bits), never on how a caller splits the outputs.
/// `isa` is an NNC_DEPTHWISE_* code.
void nnc_pointwise_weight_gradient(int isa, int out_channels, int in_channels, int pixels, int samples,
                                   const float *grad_output, long grad_output_stride, const float *input,
                                   long input_stride, float *grad_weight);

#ifdef __cplusplus
}
#endif

#endif
