// Direct depthwise-convolution kernels over one plane (one sample, one channel) or a block of up to
// 8 channels in NCHW layout, in C so that one source compiles three times: for any x86-64 or ARM CPU,
// with AVX2 and FMA, and with AVX-512, chosen at run time (`nnc_depthwise_avx2_available`,
// `nnc_depthwise_avx512_available`). Swift has no per-function target attributes.
// The caller runs planes in parallel; every function here sums in a fixed order, so results depend
// on the instruction set only, never on the thread count.
#ifndef NNC_DEPTHWISE_H
#define NNC_DEPTHWISE_H

#ifdef __cplusplus
extern "C" {
#endif

/// The geometry of one plane's convolution: output[oy][ox] = Σ kernel[ki][kj] ·
/// input[oy·stride_h − pad_top + ki·dilation_h][ox·stride_w − pad_left + kj·dilation_w] over the taps
/// that fall inside the input. Padding may be negative (the input-gradient call uses that).
typedef struct {
  int in_height, in_width, out_height, out_width;
  int kernel_height, kernel_width, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
} nnc_depthwise_shape;

/// Which compiled variant runs: 0 portable (the compiler's baseline vector ISA), 1 AVX2 with FMA,
/// 2 AVX-512 (F, VL, BW, DQ; the same 8-lane code as AVX2, the same operations in the same order).
enum { NNC_DEPTHWISE_PORTABLE = 0, NNC_DEPTHWISE_AVX2 = 1, NNC_DEPTHWISE_AVX512 = 2 };

/// 1 when the CPU and the OS support AVX2 and FMA (CPUID and XGETBV), else 0.
int nnc_depthwise_avx2_available(void);

/// 1 when the CPU supports AVX2, FMA and AVX-512 F, VL, BW and DQ and the OS saves the opmask and
/// ZMM registers (XCR0 bits 5-7), else 0.
int nnc_depthwise_avx512_available(void);

/// output = bias + the convolution of `input` with `kernel`, or output += the convolution when
/// `accumulate` is nonzero (then `bias` is ignored). `output` is out_height × out_width floats.
void nnc_depthwise_forward_plane(int isa, const nnc_depthwise_shape *shape, const float *input,
                                 const float *kernel, float bias, int accumulate, float *output);

/// `nnc_depthwise_forward_plane` (without accumulation) of `channels` (1 to 8) planes at once, one per
/// vector lane, for small maps: plane c is read from
/// input + c · in_height · in_width and written to output + c · out_height · out_width, with the
/// kernel at kernels + c · kernel_height · kernel_width and the bias biases[c] (0 when `biases` is
/// NULL). Each plane's result has the same bits as `nnc_depthwise_forward_plane` gives it.
void nnc_depthwise_forward_channels(int isa, const nnc_depthwise_shape *shape, const float *input,
                                    const float *kernels, const float *biases, int channels, float *output);

/// The input gradient (overwritten, as `nnc_depthwise_input_gradient_plane` without accumulation) of
/// `channels` (1 to 8) planes at once, one per vector lane, laid out as in
/// `nnc_depthwise_forward_channels`: each input pixel gathers, taps in order, the output gradients
/// that read it. For small maps.
void nnc_depthwise_input_gradient_channels(int isa, const nnc_depthwise_shape *shape, const float *grad_output,
                                           const float *kernels, int channels, float *grad_input);

/// The weight gradient of `channels` (1 to 8) planes at once over `samples` samples, each laid out
/// as in `nnc_depthwise_forward_channels`, sample n's planes at input + n · input_sample_stride and
/// grad_output + n · grad_output_sample_stride: sums[c · taps + t] += Σ grad_output · input over the
/// planes of channel c for tap t, one vector lane per channel summed sample by sample in row order.
/// For small maps.
void nnc_depthwise_weight_gradient_channels(int isa, const nnc_depthwise_shape *shape, const float *input,
                                            const float *grad_output, int samples, long input_sample_stride,
                                            long grad_output_sample_stride, int channels, float *sums);

/// The input gradient of one plane: grad_input = (or += when `accumulate` is nonzero) the adjoint of
/// the convolution applied to `grad_output`. At stride 1 that is itself a convolution (of
/// `grad_output` with the flipped kernel), run by the forward kernel; stride 2 (undilated columns)
/// gathers each input's taps by column phase; other strides scatter each output's gradient onto the
/// inputs it read.
void nnc_depthwise_input_gradient_plane(int isa, const nnc_depthwise_shape *shape, const float *grad_output,
                                        const float *kernel, int accumulate, float *grad_input);

/// sums[ki · kernel_width + kj] = Σ grad_output[oy][ox] · input[...] over the plane, for every tap:
/// one plane's share of the weight gradient, each tap summed in a fixed order.
void nnc_depthwise_weight_gradient_plane(int isa, const nnc_depthwise_shape *shape, const float *input,
                                         const float *grad_output, float *sums);

#ifdef __cplusplus
}
#endif

#endif
