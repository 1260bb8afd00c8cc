#include "packed_product.h"

#include "depthwise.h"
#include "kernel_arithmetic.h"
#include "pointwise.h"

#include <limits.h>
#include <string.h>

#include "pointwise_lanes.h"

enum { CHANNELS = NNC_PACKED_PRODUCT_CHANNELS, GROUP = NNC_PACKED_PRODUCT_GROUP };

// Floats of weights a chunk of channels keeps in cache while every column group passes over it.
enum { CHUNK_FLOATS = 64 * 1024 };

static long padded_channels(int out_channels) { return nnc_padded_filters(out_channels, CHANNELS); }

long nnc_packed_product_weight_floats(int out_channels, int patch) { return padded_channels(out_channels) * patch; }

void nnc_packed_product_pack(int out_channels, int patch, const float *weight, float *packed) {
  nnc_pack_filter_blocks(out_channels, patch, CHANNELS, weight, packed);
}

static long column_floats(int patch, int columns) { return (long)(columns + GROUP - 1) / GROUP * GROUP * patch; }

long nnc_packed_product_work_floats(int patch, int columns, int out_channels) {
  return column_floats(patch, columns) + 2 * padded_channels(out_channels);
}

// One tap of a group whose 8 columns lie in one output row: every channel's values at input row y,
// columns x, x + stride_w, …, x + 7 · stride_w, as one or two vector loads where value by value
// cost ResNet-50's 3x3/2 → 128x28x28 layer a tenth of its time (12.1 → 10.9 ms a batch of 8 in an
// alternating profile). Returns 0, having written nothing, where the columns run into the padding or
// the stride is not 1 or 2; rows in the padding are zeros. `sample` is the sample's first float.
static int pack_row_tap(const nnc_patch_shape *s, const float *input, long sample, int y, int x, int taps,
                        float *row) {
  const long in_plane = (long)s->in_height * s->in_width;
  if (y < 0 || y >= s->in_height) {
    for (int channel = 0; channel < s->in_channels; channel++, row += (long)taps * GROUP)
      *(pwn_v8 *)row = (pwn_v8){0};
    return 1;
  }
  if (x < 0 || x + (GROUP - 1) * s->stride_w >= s->in_width || s->stride_w > 2) return 0;
  const float *source = input + sample + (long)y * s->in_width + x;
  if (s->stride_w == 1) {
    for (int channel = 0; channel < s->in_channels; channel++, row += (long)taps * GROUP, source += in_plane)
      *(pwn_v8 *)row = *(const pwn_v8 *)source;
  } else {
    // Values 0, 2, …, 14: the even lanes of the run's first 8 and, from a load at 7 (so that nothing
    // past value 14 is read), the odd lanes.
    for (int channel = 0; channel < s->in_channels; channel++, row += (long)taps * GROUP, source += in_plane)
      *(pwn_v8 *)row = __builtin_shufflevector(*(const pwn_v8 *)source, *(const pwn_v8 *)(source + 7), 0, 2, 4, 6, 9,
                                              11, 13, 15);
  }
  return 1;
}

// Group g's columns into group + [k][8]: each column's source, then per k its 8 values (a run of
// one sample's plane as one 8-float copy when the source is a pointwise input), 0 past `n`.
static void pack_group(const nnc_patch_shape *s, const float *input, long column, int n, int pointwise,
                       float *group) {
  const long in_plane = (long)s->in_height * s->in_width;
  const long sample_floats = s->in_channels * in_plane;
  const int out_plane = s->out_height * s->out_width;
  if (pointwise && n == GROUP && column % out_plane + GROUP <= out_plane) {
    const float *source = input + column / out_plane * sample_floats + column % out_plane;
    for (int k = 0; k < s->in_channels; k++) memcpy(group + k * GROUP, source + k * in_plane, GROUP * sizeof(float));
    return;
  }
  long origin_sample[GROUP];
  int origin_y[GROUP], origin_x[GROUP];
  for (int j = 0; j < n; j++) {
    const long c = column + j;
    const int position = (int)(c % out_plane);
    origin_sample[j] = c / out_plane * sample_floats;
    origin_y[j] = position / s->out_width * s->stride_h - s->pad_top;
    origin_x[j] = position % s->out_width * s->stride_w - s->pad_left;
  }
  // Per kernel tap, each column's input offset (−1 where the tap falls in the padding or the column
  // lies past the task's end), then that tap's value of every input channel.
  const int taps = s->kernel_height * s->kernel_width;
  // A whole group within one output row reads each tap's 8 values from one input row, evenly spaced.
  const int one_row = n == GROUP && origin_sample[0] == origin_sample[GROUP - 1] && origin_y[0] == origin_y[GROUP - 1];
  long offset[GROUP];
  for (int ky = 0; ky < s->kernel_height; ky++) {
    for (int kx = 0; kx < s->kernel_width; kx++) {
      if (one_row && pack_row_tap(s, input, origin_sample[0], origin_y[0] + ky * s->dilation_h,
                                  origin_x[0] + kx * s->dilation_w, taps,
                                  group + (long)(ky * s->kernel_width + kx) * GROUP))
        continue;
      for (int j = 0; j < GROUP; j++) {
        offset[j] = -1;
        if (j >= n) continue;
        const int y = origin_y[j] + ky * s->dilation_h, x = origin_x[j] + kx * s->dilation_w;
        if (y >= 0 && y < s->in_height && x >= 0 && x < s->in_width)
          offset[j] = origin_sample[j] + (long)y * s->in_width + x;
      }
      float *row = group + (long)(ky * s->kernel_width + kx) * GROUP;
      for (int channel = 0; channel < s->in_channels; channel++, row += (long)taps * GROUP) {
        const float *plane = input + channel * in_plane;
        for (int j = 0; j < GROUP; j++) row[j] = offset[j] >= 0 ? plane[offset[j]] : 0;
      }
    }
  }
}

// Where a full group of columns from `column` reads its terms in place, or NULL: its 8 columns in
// one output row of one sample and every tap of them inside the input, stride 1 or 2 along the row.
// The group's window corner (its first column's first tap) is returned; term q of column c is then
// at corner + xo[q] + c · stride_w.
static const float *in_place_origin(const nnc_patch_shape *s, const float *input, long column) {
  const int out_plane = s->out_height * s->out_width;
  const int position = (int)(column % out_plane);
  const int oy = position / s->out_width, ox = position % s->out_width;
  if (ox + GROUP > s->out_width) return 0;
  const int y = oy * s->stride_h - s->pad_top, x = ox * s->stride_w - s->pad_left;
  if (y < 0 || y + (s->kernel_height - 1) * s->dilation_h >= s->in_height) return 0;
  if (x < 0 || x + (GROUP - 1) * s->stride_w + (s->kernel_width - 1) * s->dilation_w >= s->in_width) return 0;
  const long sample = column / out_plane;
  return input + (sample * s->in_channels * s->in_height + y) * (long)s->in_width + x;
}

#define PP_WIDE_portable 0
#define PP_WIDE_avx2 0
#define PP_WIDE_avx512 1
#define NNC_VARIANT_BODY "packed_product_body.h"
#include "isa_variants.h"

void nnc_packed_product_forward(int isa, const nnc_patch_shape *shape, int out_channels,
                                const float *packed_weight, const float *input, long first_column,
                                int column_count, int first_row, int row_count, float *output,
                                const float *shortcut, const float *scale, const float *bias, int activation,
                                int in_place, float *work) {
  const int patch = shape->in_channels * shape->kernel_height * shape->kernel_width;
  const int pointwise = shape->kernel_height == 1 && shape->kernel_width == 1 && shape->stride_h == 1 &&
                        shape->stride_w == 1 && shape->pad_top == 0 && shape->pad_left == 0 &&
                        shape->out_height == shape->in_height && shape->out_width == shape->in_width;
  // Scales and biases padded to whole blocks (absent ones 1 and 0), so the tiles load them as
  // vectors without branches.
  const long padded = padded_channels(out_channels);
  float *s = work + column_floats(patch, column_count), *b = s + padded;
  const int affine = nnc_pad_affine(scale, bias, out_channels, padded, s, b);
  const int chunk = nnc_max(1, CHUNK_FLOATS / (patch * CHANNELS)) * CHANNELS;
  // Each term's offset from a window's corner (input channel, kernel row, kernel column), for the
  // groups that read their terms in place.
  in_place = in_place && shape->stride_w <= 2 &&
             (long)shape->in_channels * shape->in_height * shape->in_width <= INT_MAX;
  int xo[in_place ? patch : 1];
  if (in_place) {
    const int taps = shape->kernel_height * shape->kernel_width;
    for (int q = 0; q < patch; q++) {
      const int channel = q / taps, ky = q % taps / shape->kernel_width, kx = q % shape->kernel_width;
      xo[q] = (channel * shape->in_height + ky * shape->dilation_h) * shape->in_width + kx * shape->dilation_w;
    }
  }
  NNC_VARIANT_CALL(isa, pp_forward, shape, input, pointwise, patch, out_channels, packed_weight, work, first_column,
                   column_count, first_row, row_count, chunk, in_place ? xo : 0, output, shortcut, s, b, affine,
                   activation);
}
