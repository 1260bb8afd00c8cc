#include "packed_product.h"

#include "depthwise.h"
#include "kernel_arithmetic.h"
#include "pointwise.h"

#include <string.h>

#include "pointwise_lanes.h"

#define PP_WIDE_portable 0
#define PP_WIDE_avx2 0
#define PP_WIDE_avx512 1
#define NNC_VARIANT_BODY "packed_product_body.h"
#include "isa_variants.h"

enum { ROWS = NNC_PACKED_PRODUCT_ROWS, COLUMNS = NNC_PACKED_PRODUCT_COLUMNS };

long nnc_packed_product_weight_floats(int out_channels, int patch) {
  return (long)(out_channels + ROWS - 1) / ROWS * ROWS * patch;
}

void nnc_packed_product_pack(int out_channels, int patch, const float *weight, float *packed) {
  for (int m0 = 0; m0 < out_channels; m0 += ROWS) {
    float *panel = packed + (long)m0 * patch;
    for (int k = 0; k < patch; k++)
      for (int i = 0; i < ROWS; i++)
        panel[k * ROWS + i] = m0 + i < out_channels ? weight[(long)(m0 + i) * patch + k] : 0;
  }
}

long nnc_packed_product_work_floats(int patch, int columns) {
  return (long)(columns + COLUMNS - 1) / COLUMNS * COLUMNS * patch;
}

// A pointwise convolution's columns are its input's pixels: each panel is copied row by row from
// the planes, one run per sample it spans.
static void pack_pointwise_panel(const nnc_patch_shape *s, const float *input, long column, int n, float *panel) {
  const long plane = (long)s->in_height * s->in_width;
  const long sample_floats = s->in_channels * plane;
  int j = 0;
  while (j < n) {
    const long c = column + j;
    const long position = c % plane;
    const int run = (int)(n - j < plane - position ? n - j : plane - position);
    const float *source = input + c / plane * sample_floats + position;
    for (int k = 0; k < s->in_channels; k++)
      memcpy(panel + (long)k * COLUMNS + j, source + k * plane, (size_t)run * sizeof(float));
    j += run;
  }
  for (int k = 0; k < s->in_channels && n < COLUMNS; k++)
    memset(panel + (long)k * COLUMNS + n, 0, (size_t)(COLUMNS - n) * sizeof(float));
}

// Any other geometry: per kernel tap, each column's input offset (−1 where the tap falls in the
// padding or the column past the task's end), then that tap's row of every input channel.
static void pack_general_panel(const nnc_patch_shape *s, const float *input, long column, int n, float *panel) {
  const long in_plane = (long)s->in_height * s->in_width;
  const long sample_floats = s->in_channels * in_plane;
  const int out_plane = s->out_height * s->out_width;
  const int taps = s->kernel_height * s->kernel_width;
  long origin_sample[COLUMNS];
  int origin_y[COLUMNS], origin_x[COLUMNS];
  for (int j = 0; j < n; j++) {
    const long c = column + j;
    const int position = (int)(c % out_plane);
    origin_sample[j] = c / out_plane * sample_floats;
    origin_y[j] = position / s->out_width * s->stride_h - s->pad_top;
    origin_x[j] = position % s->out_width * s->stride_w - s->pad_left;
  }
  long offset[COLUMNS];
  for (int ky = 0; ky < s->kernel_height; ky++) {
    for (int kx = 0; kx < s->kernel_width; kx++) {
      for (int j = 0; j < COLUMNS; j++) {
        offset[j] = -1;
        if (j >= n) continue;
        const int y = origin_y[j] + ky * s->dilation_h, x = origin_x[j] + kx * s->dilation_w;
        if (y >= 0 && y < s->in_height && x >= 0 && x < s->in_width)
          offset[j] = origin_sample[j] + (long)y * s->in_width + x;
      }
      float *row = panel + (long)(ky * s->kernel_width + kx) * COLUMNS;
      for (int channel = 0; channel < s->in_channels; channel++, row += (long)taps * COLUMNS) {
        const float *plane = input + channel * in_plane;
        for (int j = 0; j < COLUMNS; j++) row[j] = offset[j] >= 0 ? plane[offset[j]] : 0;
      }
    }
  }
}

void nnc_packed_product_forward(int isa, const nnc_patch_shape *shape, int out_channels,
                                const float *packed_weight, const float *input, long first_column,
                                int column_count, int first_row, int row_count, float *output,
                                const float *shortcut, const float *scale, const float *bias, int activation,
                                float *work) {
  const int patch = shape->in_channels * shape->kernel_height * shape->kernel_width;
  const int pointwise = shape->kernel_height == 1 && shape->kernel_width == 1 && shape->stride_h == 1 &&
                        shape->stride_w == 1 && shape->pad_top == 0 && shape->pad_left == 0 &&
                        shape->out_height == shape->in_height && shape->out_width == shape->in_width;
  for (int q = 0; q * COLUMNS < column_count; q++) {
    const int n = nnc_min(COLUMNS, column_count - q * COLUMNS);
    float *panel = work + (long)q * patch * COLUMNS;
    if (pointwise) pack_pointwise_panel(shape, input, first_column + (long)q * COLUMNS, n, panel);
    else pack_general_panel(shape, input, first_column + (long)q * COLUMNS, n, panel);
  }
  // Absent scales and biases become 1 and 0 per channel, so the tiles need no branches on them.
  float ones[out_channels > 0 ? out_channels : 1], zeros[out_channels > 0 ? out_channels : 1];
  const int affine = scale != 0 || bias != 0;
  if (!scale || !bias) {
    for (int o = 0; o < out_channels; o++) ones[o] = 1, zeros[o] = 0;
  }
  const float *s = scale ? scale : ones, *b = bias ? bias : zeros;
  NNC_VARIANT_CALL(isa, pp_forward, patch, out_channels, shape->out_height * shape->out_width, packed_weight, work,
                   first_column, column_count, first_row, row_count, output, shortcut, s, b, affine, activation);
}
