#include "patch_gather.h"

#include "kernel_arithmetic.h"

#include <string.h>

// One pixel's patch. A row whose kernel columns all lie inside the input copies them without
// checks, as one copy of 4 floats (rows of 1 to 3 taps) or of 8 (4 to 8 taps: ResNet's 7x7 stem)
// when the input row has that many floats to read; the copy then runs up to 4 floats past the row's
// taps, into slots written next or the patches' slack. A 7-tap row copied float by float cost
// more than the product of its patch.
static inline void gather_patch(const nnc_patch_shape *s, const float *sample, int oy, int ox, float *patch) {
  const long in_plane = (long)s->in_height * s->in_width;
  const int kw = s->kernel_width, dw = s->dilation_w;
  const int first_column = ox * s->stride_w - s->pad_left;
  const int last_column = first_column + (kw - 1) * dw;
  const int inside = first_column >= 0 && last_column < s->in_width;
  const int quad = inside && dw == 1 && kw < 4 && first_column + 4 <= s->in_width;
  const int octet = inside && dw == 1 && kw >= 4 && kw <= 8 && first_column + 8 <= s->in_width;
  float *out = patch;
  for (int c = 0; c < s->in_channels; c++) {
    const float *plane = sample + c * in_plane;
    for (int ky = 0; ky < s->kernel_height; ky++, out += kw) {
      const int iy = oy * s->stride_h - s->pad_top + ky * s->dilation_h;
      if (iy < 0 || iy >= s->in_height) {
        for (int kx = 0; kx < kw; kx++) out[kx] = 0;
        continue;
      }
      const float *row = plane + (long)iy * s->in_width;
      if (quad) {
        memcpy(out, row + first_column, 4 * sizeof(float));
      } else if (octet) {
        memcpy(out, row + first_column, 8 * sizeof(float));
      } else if (inside) {
        for (int kx = 0; kx < kw; kx++) out[kx] = row[first_column + kx * dw];
      } else {
        for (int kx = 0; kx < kw; kx++) {
          const int ix = first_column + kx * dw;
          out[kx] = ix >= 0 && ix < s->in_width ? row[ix] : 0;
        }
      }
    }
  }
}

// Pixels ox in [from, to) of output row oy whose every tap lies inside the input with room for a
// `copy`-float copy of each kernel row (dilation 1 along the row): the copies of `gather_patch`
// without its checks, kernel row i (channel, row) at `row_offsets[i]` from the window's corner,
// `copy` a constant at each call so that each is one vector move. MobileNetV2's stem spent as long
// gathering its patches as multiplying them.
static inline void gather_interior(const nnc_patch_shape *s, const float *sample, int oy, int from, int to,
                                   float *patches, const long *row_offsets, const int copy) {
  const int kw = s->kernel_width, rows = s->in_channels * s->kernel_height, patch = rows * kw;
  const float *origin = sample + (long)(oy * s->stride_h - s->pad_top) * s->in_width - s->pad_left;
  for (int ox = from; ox < to; ox++, patches += patch) {
    const float *base = origin + ox * s->stride_w;
    for (int i = 0; i < rows; i++) memcpy(patches + i * kw, base + row_offsets[i], (size_t)copy * sizeof(float));
  }
}

void nnc_gather_patches(const nnc_patch_shape *s, const float *input, long first_pixel, int count,
                        float *patches) {
  const long out_plane = (long)s->out_height * s->out_width;
  const long sample_floats = (long)s->in_channels * s->in_height * s->in_width;
  const int patch = s->in_channels * s->kernel_height * s->kernel_width;
  const int kw = s->kernel_width;
  // The copy width of the interior path (0: none) and its columns [column_from, column_to): the
  // output columns whose kernel rows start inside the input and have `copy` floats to read.
  enum { max_rows = 64 };
  const int rows = s->in_channels * s->kernel_height;
  const int copy = s->dilation_w != 1 || rows > max_rows ? 0 : kw < 4 ? 4 : kw <= 8 ? 8 : 0;
  long row_offsets[max_rows];
  for (int i = 0; i < rows && i < max_rows; i++)
    row_offsets[i] = (long)(i / s->kernel_height) * s->in_height * s->in_width +
                     (long)(i % s->kernel_height) * s->dilation_h * s->in_width;
  const int column_from = (s->pad_left + s->stride_w - 1) / s->stride_w;
  const int reach = s->in_width - copy + s->pad_left;
  const int column_to = copy && reach >= 0 ? nnc_min(s->out_width, reach / s->stride_w + 1) : 0;
  long n = first_pixel / out_plane;
  const long position = first_pixel % out_plane;
  int oy = (int)(position / s->out_width), ox = (int)(position % s->out_width);
  for (int r = 0; r < count;) {
    const float *sample = input + n * sample_floats;
    const int end = ox + nnc_min(count - r, s->out_width - ox);
    const int top = oy * s->stride_h - s->pad_top;
    const int rows_inside = top >= 0 && top + (s->kernel_height - 1) * s->dilation_h < s->in_height;
    const int from = rows_inside ? nnc_max(ox, nnc_min(column_from, end)) : end;
    const int to = rows_inside ? nnc_max(from, nnc_min(column_to, end)) : end;
    for (; ox < from; ox++, r++) gather_patch(s, sample, oy, ox, patches + (long)r * patch);
    if (to > from) {
      if (copy == 4) gather_interior(s, sample, oy, from, to, patches + (long)r * patch, row_offsets, 4);
      else gather_interior(s, sample, oy, from, to, patches + (long)r * patch, row_offsets, 8);
      r += to - from;
      ox = to;
    }
    for (; ox < end; ox++, r++) gather_patch(s, sample, oy, ox, patches + (long)r * patch);
    if (ox == s->out_width) {
      ox = 0;
      if (++oy == s->out_height) oy = 0, n++;
    }
  }
}

// Eight pixels' rows of eight channels (r[i][j]: pixel i, channel j) into eight channels' runs of
// eight pixels (`nnc_transpose8x8`), then the shortcut and ReLU as the scalar loop of
// `nnc_transpose_rows` applies them.
static inline void transpose_8x8(const float *rows, int channels, float *out, long plane, const float *shortcut,
                                 int relu) {
  nnc_lanes8 r[8];
  for (int i = 0; i < 8; i++) memcpy(&r[i], rows + (long)i * channels, sizeof(nnc_lanes8));
  nnc_transpose8x8(r);
  for (int j = 0; j < 8; j++) {
    nnc_lanes8 v = r[j];
    if (shortcut) {
      nnc_lanes8 a;
      memcpy(&a, shortcut + j * plane, sizeof a);
      v = v + a;
      if (relu) v = NNC_LANES8_ZERO_AT_OR_BELOW(v);
    }
    memcpy(out + j * plane, &v, sizeof v);
  }
}

void nnc_transpose_rows(const float *rows, int count, int channels, float *target, long plane,
                        const float *shortcut, int relu) {
  for (int first = 0; first < count; first += 8) {
    const int block = count - first < 8 ? count - first : 8;
    int c = 0;
    if (block == 8) {
      for (; c + 8 <= channels; c += 8)
        transpose_8x8(rows + (long)first * channels + c, channels, target + c * plane + first, plane,
                      shortcut ? shortcut + c * plane + first : 0, relu);
    }
    for (; c < channels; c++) {
      float *out = target + c * plane + first;
      const float *in = rows + (long)first * channels + c;
      if (shortcut) {
        const float *r = shortcut + c * plane + first;
        for (int i = 0; i < block; i++) {
          float v = in[(long)i * channels] + r[i];
          if (relu && v <= 0) v = 0;
          out[i] = v;
        }
      } else {
        for (int i = 0; i < block; i++) out[i] = in[(long)i * channels];
      }
    }
  }
}
