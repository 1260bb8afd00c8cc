// A direct convolution for layers with few input channels × taps (LeNet-style 5×5 layers), where
// im2col + SGEMM multiplies a column matrix 25–150 rows deep by only 6–16 filters: the copy costs as
// much as the product. Compiled, like the depthwise kernels, once for the baseline ISA, once for
// AVX2 with FMA and once for AVX-512 (16-float vectors, the same sums in the same order, so the
// AVX2 bits), chosen at run time (`nnc_depthwise_avx2_available`). One call computes one sample;
// every output sums its taps in a fixed order, so results never depend on the thread count.
#ifndef NNC_DIRECT_CONV_H
#define NNC_DIRECT_CONV_H

#ifdef __cplusplus
extern "C" {
#endif

/// A stride-1, undilated, ungrouped convolution of one sample: output[o][oy][ox] = Σ over c, ki, kj
/// (in that order) of weight[o][c][ki][kj] · input[c][oy − pad_top + ki][ox − pad_left + kj], the
/// taps outside the input reading 0.
typedef struct {
  int in_channels, in_height, in_width, out_channels, out_height, out_width;
  int kernel_height, kernel_width, pad_top, pad_left;
} nnc_direct_conv_shape;

/// Floats of scratch `nnc_direct_conv_sample` needs for `shape`.
long nnc_direct_conv_scratch_count(const nnc_direct_conv_shape *shape);

/// The convolution of one sample (input in_channels × in_height × in_width, weight out_channels ×
/// in_channels × kernel_height × kernel_width) into `output` (out_channels × out_height ×
/// out_width), each output then activation(sum · scale[o] + bias[o]) with the multiplication and
/// the addition rounded apart (no affine step when both are NULL; otherwise a NULL scale is 1 and a
/// NULL bias 0; `activation` an NNC_POINTWISE_* code). `isa` is an NNC_DEPTHWISE_* code; `scratch`
/// holds `nnc_direct_conv_scratch_count` floats.
void nnc_direct_conv_sample(int isa, const nnc_direct_conv_shape *shape, const float *input, const float *weight,
                            const float *scale, const float *bias, int activation, float *output, float *scratch);

/// Whether `nnc_direct_conv_sample_packed` runs `shape`: no padding (the output exactly the input
/// less the kernel), filters in a multiple of 8, and an output width with a divisor from 3 to 6.
int nnc_direct_conv_runs_filter_vectors(const nnc_direct_conv_shape *shape);

/// Floats of the packed weights of `shape` (`nnc_direct_conv_pack_filters`), 0 when it does not run
/// the filter-vector kernel.
long nnc_direct_conv_packed_filters_count(const nnc_direct_conv_shape *shape);

/// Weights out_channels × in_channels × kernel_height × kernel_width → blocks of 16 filters (the last
/// of 8 for an odd multiple of 8), each [in_channel][tap][filter]: once per call of a layer.
void nnc_direct_conv_pack_filters(const nnc_direct_conv_shape *shape, const float *weight, float *packed);

/// `nnc_direct_conv_sample` for shapes `nnc_direct_conv_runs_filter_vectors` accepts, from packed
/// weights: 16 filters × 6 output positions in registers (AVX-512: 16 filters a vector × 7 to 12
/// positions, where the row has such a divisor), the input read in place. The same sums in the same
/// order, so the same bits; the same epilogue. Needs no scratch.
void nnc_direct_conv_sample_packed(int isa, const nnc_direct_conv_shape *shape, const float *input,
                                   const float *packed, const float *scale, const float *bias, int activation,
                                   float *output);

#ifdef __cplusplus
}
#endif

#endif
