#include "patch_gather.h"

#include <string.h>

// One pixel's patch. A row whose kernel columns all lie inside the input copies them without
// checks, 4 at a time when the row has a fourth float to read (the copy then runs a float past the
// row's taps, into slots written next).
static inline void gather_patch(const nnc_patch_shape *s, const float *sample, int oy, int ox, float *patch) {
  const long in_plane = (long)s->in_height * s->in_width;
  const int kw = s->kernel_width, dw = s->dilation_w;
  const int first_column = ox * s->stride_w - s->pad_left;
  const int last_column = first_column + (kw - 1) * dw;
  const int inside = first_column >= 0 && last_column < s->in_width;
  const int quad = inside && dw == 1 && kw < 4 && first_column + 4 <= s->in_width;
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

void nnc_gather_patches(const nnc_patch_shape *s, const float *input, long first_pixel, int count,
                        float *patches) {
  const long out_plane = (long)s->out_height * s->out_width;
  const long sample_floats = (long)s->in_channels * s->in_height * s->in_width;
  const int patch = s->in_channels * s->kernel_height * s->kernel_width;
  long n = first_pixel / out_plane;
  const long position = first_pixel % out_plane;
  int oy = (int)(position / s->out_width), ox = (int)(position % s->out_width);
  for (int r = 0; r < count; r++) {
    gather_patch(s, input + n * sample_floats, oy, ox, patches + (long)r * patch);
    if (++ox == s->out_width) {
      ox = 0;
      if (++oy == s->out_height) oy = 0, n++;
    }
  }
}

void nnc_transpose_rows(const float *rows, int count, int channels, float *target, long plane,
                        const float *shortcut, int relu) {
  for (int first = 0; first < count; first += 8) {
    const int block = count - first < 8 ? count - first : 8;
    for (int c = 0; c < channels; c++) {
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
