#include "strided_stem.h"

#include "depthwise.h"
#include "kernel_arithmetic.h"
#include "pointwise.h"

#include <string.h>

#include "pointwise_lanes.h"

enum { CHANNELS = NNC_STRIDED_STEM_CHANNELS };

// The split input's rows (padded rows 0 through the last any output reads) and the length of a
// phase's row: whole 16-float vectors of outputs, plus the taps' reach past them.
int nnc_strided_stem_padded_rows(const nnc_strided_stem_shape *s) { return 2 * s->out_height + s->kernel_height - 2; }
static long padded_height(const nnc_strided_stem_shape *s) { return nnc_strided_stem_padded_rows(s); }
static long phase_width(const nnc_strided_stem_shape *s) {
  return (s->out_width + 15) / 16 * 16 + (s->kernel_width - 1) / 2;
}

long nnc_strided_stem_phase_floats(const nnc_strided_stem_shape *s) {
  return (long)s->in_channels * padded_height(s) * 2 * phase_width(s);
}

void nnc_strided_stem_split(const nnc_strided_stem_shape *s, const float *input, int first_row, int row_count,
                            float *phases) {
  const long height = padded_height(s), width = phase_width(s);
  for (int c = 0; c < s->in_channels; c++) {
    for (int py = first_row; py < first_row + row_count; py++) {
      float *even = phases + (c * height + py) * 2 * width, *odd = even + width;
      const int iy = py - s->pad_top;
      if (iy < 0 || iy >= s->in_height) {
        memset(even, 0, 2 * width * sizeof(float));
        continue;
      }
      const float *source = input + ((long)c * s->in_height + iy) * s->in_width;
      for (long j = 0; j < width; j++) {
        const long column = 2 * j - s->pad_left;
        even[j] = column >= 0 && column < s->in_width ? source[column] : 0;
        odd[j] = column + 1 >= 0 && column + 1 < s->in_width ? source[column + 1] : 0;
      }
    }
  }
}

static long padded_channels(int out_channels) { return nnc_padded_filters(out_channels, CHANNELS); }

long nnc_strided_stem_weight_floats(int out_channels, int patch) { return padded_channels(out_channels) * patch; }

void nnc_strided_stem_pack(int out_channels, int patch, const float *weight, float *packed) {
  nnc_pack_filter_blocks(out_channels, patch, CHANNELS, weight, packed);
}

#define SS_WIDE_portable 0
#define SS_WIDE_avx2 0
#define SS_WIDE_avx512 1
#define NNC_VARIANT_BODY "strided_stem_body.h"
#include "isa_variants.h"

void nnc_strided_stem_forward(int isa, const nnc_strided_stem_shape *shape, int out_channels, const float *packed,
                              const float *phases, int first_row, int row_count, float *output, const float *scale,
                              const float *bias, int activation) {
  // Scales and biases padded to whole blocks (absent ones 1 and 0), as the packed product pads them.
  float s[padded_channels(out_channels)], b[padded_channels(out_channels)];
  const int affine = nnc_pad_affine(scale, bias, out_channels, padded_channels(out_channels), s, b);
  NNC_VARIANT_CALL(isa, ss_forward, shape, phase_width(shape), padded_height(shape), out_channels, packed, phases,
                   first_row, row_count, output, s, b, affine, activation);
}
