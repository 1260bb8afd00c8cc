// A channels-first pointwise convolution (1x1, stride 1, unpadded) for inference, with vectors along
// the output planes: output[n][o][p] = activation(s[o] · Σ_k weight[o][k] · input[n][k][p] + b[o]
// [+ shortcut]). The packed product (`packed_product.h`) keeps vectors over output channels, so each
// tile is transposed 8 × 8 into the planes and written as rows of 8 columns across 32 planes; with 64
// input channels that transposed epilogue is a quarter of the work. Here a tile is 6 output channels
// × 64 columns (24 accumulators of 16 lanes on AVX-512: four column loads and six weight broadcasts
// feed 24 fused multiply-adds), written straight into 6 planes as whole vectors with the epilogue
// applied; columns run across the batch, so tiles cross samples' ends (those go through a spare tile)
// and 7x7 or 14x14 maps waste nothing. One thread of an AVX-512 Xeon, 4 samples
// (`Benchmarks/plane_product.c`, GFLOP/s): 64 -> 256 on 56x56 with a residual addition 115 against
// the packed product's 66, 128 -> 512 on 28x28 with one 130-145 against 111-115, 1024 -> 256 on 14x14
// 127-139 against 151-155; the AVX2 variants 64-83 against 46-64 on every shape. Compiled for any
// x86-64 or ARM CPU, with AVX2 and FMA, and with AVX-512, chosen at run time like the other kernels.
#ifndef NNC_PLANE_PRODUCT_H
#define NNC_PLANE_PRODUCT_H

#ifdef __cplusplus
extern "C" {
#endif

/// Output channels per block of packed weights, and columns of a plane per tile.
enum { NNC_PLANE_PRODUCT_CHANNELS = 6, NNC_PLANE_PRODUCT_COLUMNS = 64 };

/// Floats of the packed weights: output channels rounded up to a block, times the input channels.
long nnc_plane_product_weight_floats(int out_channels, int in_channels);

/// weight[o][k] (o < out_channels, k < in_channels) into blocks of NNC_PLANE_PRODUCT_CHANNELS
/// channels, each [in_channels][6], the missing channels of the last block 0.
void nnc_plane_product_pack(int out_channels, int in_channels, const float *weight, float *packed);

/// The same blocks from the transposed matrix: `weight_t` is [in_channels][out_channels], filter o's
/// weight k at weight_t[k · out_channels + o] (a product by a matrix's transpose, read as it lies).
void nnc_plane_product_pack_transposed(int out_channels, int in_channels, const float *weight_t, float *packed);

/// Floats of the work area of a call for `columns` columns: their packed tiles, the channels' scales
/// and biases, and a ragged tile's output and shortcut.
long nnc_plane_product_work_floats(int in_channels, int columns, int out_channels);

/// Columns [first_column, first_column + column_count) (counted across the batch: sample, then
/// position in its plane of `plane` floats) of output channels [first_row, first_row + row_count) (first_row a multiple of
/// NNC_PLANE_PRODUCT_CHANNELS) of the pointwise convolution of `input` (the whole NCHW batch of
/// `in_channels` channels) with the packed weights of `out_channels` filters, into `output` (NCHW):
/// activation(s[o] · Σ_k + b[o] [+ shortcut]), the sum over k in increasing order from 0, then the
/// epilogue of the packed product (`activation` an NNC_POINTWISE_* code; with a shortcut, NCHW like
/// `output`, linear or ReLU as x ≤ 0 → 0). With `scale` and `bias` both NULL no affine step runs;
/// otherwise a NULL scale is 1 and a NULL bias 0. Each output's arithmetic is the same as the packed
/// product's and the same whatever task, tile or vector computes it, so results depend on the
/// instruction set only (the AVX2 and AVX-512 variants give the same bits). `work` holds
/// `nnc_plane_product_work_floats(in_channels, column_count, out_channels)` floats.
void nnc_plane_product_forward(int isa, int in_channels, int out_channels, int plane, const float *packed_weight,
                               const float *input, long first_column, int column_count, int first_row,
                               int row_count, float *output, const float *shortcut, const float *scale,
                               const float *bias, int activation, float *work);

#ifdef __cplusplus
}
#endif

#endif
