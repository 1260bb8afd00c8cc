#include "plane_product.h"

#include "depthwise.h"
#include "kernel_arithmetic.h"
#include "pointwise.h"

#include <string.h>

#include "pointwise_lanes.h"

enum { CHANNELS = NNC_PLANE_PRODUCT_CHANNELS, COLUMNS = NNC_PLANE_PRODUCT_COLUMNS };

static long padded_channels(int out_channels) { return (long)(out_channels + CHANNELS - 1) / CHANNELS * CHANNELS; }

long nnc_plane_product_weight_floats(int out_channels, int in_channels) {
  return padded_channels(out_channels) * in_channels;
}

void nnc_plane_product_pack(int out_channels, int in_channels, const float *weight, float *packed) {
  for (int m0 = 0; m0 < out_channels; m0 += CHANNELS) {
    float *block = packed + (long)m0 * in_channels;
    for (int k = 0; k < in_channels; k++)
      for (int i = 0; i < CHANNELS; i++)
        block[k * CHANNELS + i] = m0 + i < out_channels ? weight[(long)(m0 + i) * in_channels + k] : 0;
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
  const int affine = scale != 0 || bias != 0;
  for (long o = 0; o < padded; o++) {
    s[o] = scale && o < out_channels ? scale[o] : 1;
    b[o] = bias && o < out_channels ? bias[o] : 0;
  }
  NNC_VARIANT_CALL(isa, pl_forward, in_channels, out_channels, plane, packed_weight, input, first_column,
                   column_count, first_row, row_count, output, shortcut, s, b, affine, activation, columns, spare);
}
