// A channels-first convolution as a product of weights packed once by columns of the im2col matrix
// packed per task, for inference: output[n][o][p] = activation(s[o] · Σ_k weight[o][k] · column(n,
// p)[k] + b[o]) with k over (input channel, kernel row, kernel column). OpenBLAS's product for
// the same layers (ResNet-50's 1x1 and strided ones) zeroes the output (beta = 0), packs both
// operands on every call and leaves the epilogue to another pass over the output: 14 % of
// ResNet-50's inference time beside its kernel's 56 %. Here the weights are packed once per run,
// each task packs its own columns straight from the input (no im2col matrix), and every output is
// summed in registers — 8 columns × 32 channels a tile, vectors over the channels as in the
// channels-last pointwise kernel — then transposed into its plane and written once, epilogue
// applied. Columns run across samples, so 7x7 and 8x8 maps fill the tiles. Compiled for any x86-64
// or ARM CPU, with AVX2 and FMA, and with AVX-512, chosen at run time like the depthwise kernels.
#ifndef NNC_PACKED_PRODUCT_H
#define NNC_PACKED_PRODUCT_H

#include "patch_gather.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Output channels per block of packed weights, and columns per group of packed columns.
enum { NNC_PACKED_PRODUCT_CHANNELS = 32, NNC_PACKED_PRODUCT_GROUP = 8 };

/// Floats of the packed weights: output channels rounded up to a block, times the patch length.
long nnc_packed_product_weight_floats(int out_channels, int patch);

/// weight[o][k] (o < out_channels, k < patch) into blocks of NNC_PACKED_PRODUCT_CHANNELS channels,
/// each [patch][32] with the missing channels of the last block 0.
void nnc_packed_product_pack(int out_channels, int patch, const float *weight, float *packed);

/// Floats of the work area of a task of `columns` columns: its packed column groups, then room for
/// its channels' scales and biases.
long nnc_packed_product_work_floats(int patch, int columns, int out_channels);

/// Columns [first_column, first_column + column_count) (counted across the batch: sample, output
/// row, output column) of output channels [first_row, first_row + row_count) (first_row a multiple
/// of NNC_PACKED_PRODUCT_CHANNELS) of the convolution of `input` (the whole NCHW batch, `shape` one
/// sample's geometry, ungrouped) with the packed weights of `out_channels` filters, into `output`
/// (NCHW): activation(s[o] · Σ_k + b[o] [+ shortcut]), the sum over k in increasing order from 0,
/// then the epilogue of the channels-last pointwise kernel (`activation` an NNC_POINTWISE_* code;
/// with a shortcut, NCHW like `output`, linear or ReLU as x ≤ 0 → 0). With `scale` and `bias` both
/// NULL no affine step runs; otherwise a NULL scale is 1 and a NULL bias 0. Each output's arithmetic
/// is the same whatever task, panel or vector computes it, so results depend on the instruction set
/// only (the AVX2 and AVX-512 variants give the same bits). With `in_place` (stride 1 or 2 along
/// the rows, samples of at most INT_MAX floats; otherwise ignored), a group of 8 columns in one output row whose taps all lie inside the input reads its
/// terms from the input where they are instead of packing them: the same values in the same order,
/// so the same bits. `work` holds `nnc_packed_product_work_floats(patch, column_count, out_channels)`
/// floats.
void nnc_packed_product_forward(int isa, const nnc_patch_shape *shape, int out_channels,
                                const float *packed_weight, const float *input, long first_column,
                                int column_count, int first_row, int row_count, float *output,
                                const float *shortcut, const float *scale, const float *bias, int activation,
                                int in_place, float *work);

#ifdef __cplusplus
}
#endif

#endif
