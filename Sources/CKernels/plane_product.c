#include "plane_product.h"

#include "depthwise.h"
#include "kernel_arithmetic.h"
#include "pointwise.h"

#include <string.h>

#include "pointwise_lanes.h"

enum { CHANNELS = NNC_PLANE_PRODUCT_CHANNELS, COLUMNS = NNC_PLANE_PRODUCT_COLUMNS };

static long padded_channels(int out_channels) { return nnc_padded_filters(out_channels, CHANNELS); }

long nnc_plane_product_weight_floats(int out_channels, int in_channels) {
  return padded_channels(out_channels) * in_channels;
}

void nnc_plane_product_pack(int out_channels, int in_channels, const float *weight, float *packed) {
  nnc_pack_filter_blocks(out_channels, in_channels, CHANNELS, weight, packed);
}

void nnc_plane_product_pack_transposed(int out_channels, int in_channels, const float *weight_t, float *packed) {
  for (int m0 = 0; m0 < out_channels; m0 += CHANNELS) {
    float *target = packed + (long)m0 * in_channels;
    const int rows = nnc_min(CHANNELS, out_channels - m0);
    for (int k = 0; k < in_channels; k++) {
      const float *source = weight_t + (long)k * out_channels + m0;
      for (int i = 0; i < CHANNELS; i++) target[(long)k * CHANNELS + i] = i < rows ? source[i] : 0;
    }
  }
}

static long column_floats(int in_channels, int columns) {
  return (long)(columns + COLUMNS - 1) / COLUMNS * COLUMNS * in_channels;
}

long nnc_plane_product_work_floats(int in_channels, int columns, int out_channels) {
  return column_floats(in_channels, columns) + 2 * padded_channels(out_channels) + 2 * CHANNELS * COLUMNS;
}

#define PL_WIDE_portable 0
#define PL_WIDE_avx2 0
#define PL_WIDE_avx512 1
#define NNC_VARIANT_BODY "plane_product_body.h"
#include "isa_variants.h"

void nnc_plane_product_forward(int isa, int in_channels, int out_channels, int plane, const float *packed_weight,
                               const float *input, long first_column, int column_count, int first_row,
                               int row_count, float *output, const float *shortcut, const float *scale,
                               const float *bias, int activation, float *work) {
  // Scales and biases padded to whole blocks (absent ones 1 and 0), as the packed product pads them.
  const long padded = padded_channels(out_channels);
  float *columns = work, *s = columns + column_floats(in_channels, column_count), *b = s + padded, *spare = b + padded;
  const int affine = nnc_pad_affine(scale, bias, out_channels, padded, s, b);
  NNC_VARIANT_CALL(isa, pl_forward, in_channels, out_channels, plane, packed_weight, input, first_column,
                   column_count, first_row, row_count, output, shortcut, s, b, affine, activation, columns, spare);
}
