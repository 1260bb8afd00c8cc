// A stride-2 convolution over few input channels — an image network's stem (ResNet's 7x7/2 over
// RGB) — for inference, with vectors along the output rows: output[o][y][x] = activation(s[o] ·
// Σ_k weight[o][k] · input(k; 2y, 2x) + b[o]), k over (input channel, kernel row, kernel column) in
// increasing order from 0, then the packed product's epilogue: each output's arithmetic is
// `nnc_packed_product_forward`'s, so the same bits. The packed product transposes tiles of 8
// columns × 32 channels into 32 planes, 32 bytes a plane per tile; here a tile is 4 channels ×
// up to 4 vectors (2 with AVX2) of one output row, written as whole runs of the row. The input is
// first split by column phase, zero-padded (column 2j + p of the padded row at phase p, position
// j), so that a tap's values for consecutive outputs are adjacent. Compiled for any x86-64 or ARM
// CPU, with AVX2 and FMA, and with AVX-512, chosen at run time like the depthwise kernels.
#ifndef NNC_STRIDED_STEM_H
#define NNC_STRIDED_STEM_H

#ifdef __cplusplus
extern "C" {
#endif

/// One sample's geometry: stride 2 along both axes, undilated, ungrouped.
typedef struct {
  int in_channels, in_height, in_width;
  int out_height, out_width;
  int kernel_height, kernel_width;
  int pad_top, pad_left;
} nnc_strided_stem_shape;

/// Output channels per block of packed weights.
enum { NNC_STRIDED_STEM_CHANNELS = 4 };

/// Rows of the padded input the split holds: padded row 0 through the last any output reads.
int nnc_strided_stem_padded_rows(const nnc_strided_stem_shape *shape);

/// Floats of one sample's phase-split input.
long nnc_strided_stem_phase_floats(const nnc_strided_stem_shape *shape);

/// Padded rows [first_row, first_row + row_count) of every channel of one sample (`input`, CHW) into
/// its phase-split copy `phases` (`nnc_strided_stem_phase_floats` floats), zeros in the padding.
void nnc_strided_stem_split(const nnc_strided_stem_shape *shape, const float *input, int first_row, int row_count,
                            float *phases);

/// Floats of the packed weights: output channels rounded up to a block, times the patch length.
long nnc_strided_stem_weight_floats(int out_channels, int patch);

/// weight[o][k] into blocks of NNC_STRIDED_STEM_CHANNELS channels, each [patch][4], the missing
/// channels of the last block 0.
void nnc_strided_stem_pack(int out_channels, int patch, const float *weight, float *packed);

/// Output rows [first_row, first_row + row_count) of every channel of one sample from its split
/// input, into `output` (the sample's CHW output planes). With `scale` and `bias` both NULL no
/// affine step runs; otherwise a NULL scale is 1 and a NULL bias 0. `activation` is an
/// NNC_POINTWISE_* code; `isa` an NNC_DEPTHWISE_* code.
void nnc_strided_stem_forward(int isa, const nnc_strided_stem_shape *shape, int out_channels, const float *packed,
                              const float *phases, int first_row, int row_count, float *output, const float *scale,
                              const float *bias, int activation);

#ifdef __cplusplus
}
#endif

#endif
