#include "direct_conv.h"

#include "depthwise.h"
#include "pointwise.h"

#include <stdlib.h>
#include <string.h>

// The epilogue the kernels apply as they store (direct_conv_finish.h): `scale` and `bias` (either
// NULL) indexed by filter from the kernel's first, `affine` whether either is there, `activation`
// an NNC_POINTWISE_* code.
typedef struct {
  const float *scale, *bias;
  int affine, activation;
} nnc_dc_epilogue;

// The portable variant passes 8-float vectors between always-inlined helpers only.
#pragma clang diagnostic ignored "-Wpsabi"

// Filters per block: 2 × 6 accumulators, two input vectors and a broadcast fill 15 of AVX2's 16
// vector registers.
#define NNC_DC_BLOCK 6
// Output positions of a row at most per block of the filter-vector kernel: 6 × 2 accumulators, two
// weight vectors and a broadcast, as above.
#define NNC_DC_RUN 6

// The input is copied, zero-padded, into planes padded_width wide, and the output is computed over
// whole padded rows ("wide" positions oy · padded_width + ox, the columns ox ≥ out_width discarded):
// then every tap of every position is one contiguous offset, ki · padded_width + kj, from the position.
typedef struct {
  int in_channels, kernel_height, kernel_width;
  int padded_height, padded_width;
  // Wide positions computed, a multiple of 16, and floats between padded planes (enough for the
  // reads of the last positions past the plane's end).
  int positions, plane_stride;
} nnc_dc_layout;

static nnc_dc_layout nnc_dc_layout_of(const nnc_direct_conv_shape *s) {
  nnc_dc_layout l;
  l.in_channels = s->in_channels;
  l.kernel_height = s->kernel_height;
  l.kernel_width = s->kernel_width;
  l.padded_height = s->out_height + s->kernel_height - 1;
  l.padded_width = s->out_width + s->kernel_width - 1;
  l.positions = (s->out_height * l.padded_width + 15) / 16 * 16;
  const int reach = l.positions + (s->kernel_height - 1) * l.padded_width + s->kernel_width - 1;
  const int plane = l.padded_height * l.padded_width;
  l.plane_stride = ((reach > plane ? reach : plane) + 7) / 8 * 8;
  return l;
}

long nnc_direct_conv_scratch_count(const nnc_direct_conv_shape *shape) {
  const nnc_dc_layout l = nnc_dc_layout_of(shape);
  return (long)l.in_channels * l.plane_stride + (long)NNC_DC_BLOCK * l.positions;
}

// Output positions of a row per block of the AVX-512 filter-vector kernel, at most and at least: a
// 16-float vector per position holds all 16 filters, so a run needs 8 or so accumulators to cover
// the multiply-adds' latency on two units, and 12 of them, a weight vector and a broadcast fit 32
// registers with room.
#define NNC_DC_WIDE_RUN 12
#define NNC_DC_WIDE_RUN_MINIMUM 7

#if defined(__x86_64__)
// The longest run of NNC_DC_WIDE_RUN_MINIMUM to NNC_DC_WIDE_RUN positions that divides a row, or 0.
static int nnc_dc_wide_run(const nnc_direct_conv_shape *s) {
  for (int run = NNC_DC_WIDE_RUN; run >= NNC_DC_WIDE_RUN_MINIMUM; run--)
    if (s->out_width % run == 0) return run;
  return 0;
}
#endif

// Floats per vector of each variant of direct_conv_body.h.
#define NNC_DC_LANES_portable 8
#define NNC_DC_LANES_avx2 8
#define NNC_DC_LANES_avx512 16
#define NNC_VARIANT_BODY "direct_conv_body.h"
#include "isa_variants.h"



void nnc_direct_conv_sample(int isa, const nnc_direct_conv_shape *s, const float *input, const float *weight,
                            const float *scale, const float *bias, int activation, float *output, float *scratch) {
  const nnc_dc_layout l = nnc_dc_layout_of(s);
  float *padded = scratch;
  float *wide = scratch + (long)l.in_channels * l.plane_stride;
  // Padded planes: zeros, then the input rows at (pad_top, pad_left), cut to the padded extent.
  memset(padded, 0, sizeof(float) * (size_t)l.in_channels * (size_t)l.plane_stride);
  const int first = s->pad_left > 0 ? s->pad_left : 0;
  const int skip = s->pad_left < 0 ? -s->pad_left : 0;
  int columns = s->in_width - skip;
  if (columns > l.padded_width - first) columns = l.padded_width - first;
  for (int c = 0; c < s->in_channels; c++) {
    const float *plane = input + (long)c * s->in_height * s->in_width;
    float *target = padded + (long)c * l.plane_stride;
    for (int iy = 0; iy < s->in_height && columns > 0; iy++) {
      const int row = iy + s->pad_top;
      if (row < 0 || row >= l.padded_height) continue;
      memcpy(target + (long)row * l.padded_width + first, plane + (long)iy * s->in_width + skip,
             sizeof(float) * (size_t)columns);
    }
  }
  const int filter_floats = s->in_channels * s->kernel_height * s->kernel_width;
  const int out_plane = s->out_height * s->out_width;
  for (int o = 0; o < s->out_channels; o += NNC_DC_BLOCK) {
    const int count = s->out_channels - o < NNC_DC_BLOCK ? s->out_channels - o : NNC_DC_BLOCK;
    const nnc_dc_epilogue e = {scale ? scale + o : 0, bias ? bias + o : 0, scale || bias, activation};
    NNC_VARIANT_CALL(isa, nnc_dc_filters, &l, padded, weight + (long)o * filter_floats, &e, wide, count);
    // The wide rows into the output's, dropping the columns past its width: a loop of moves. A memcpy
    // call per row of 28 floats showed in a profile of LeNet-5's inference as 9 % of its time (half
    // its first layer's kernel).
    for (int r = 0; r < count; r++) {
      float *target = output + (long)(o + r) * out_plane;
      const float *source = wide + (long)r * l.positions;
      for (int oy = 0; oy < s->out_height; oy++, target += s->out_width, source += l.padded_width)
        for (int ox = 0; ox < s->out_width; ox++) target[ox] = source[ox];
    }
  }
}

// The longest run of at most NNC_DC_RUN output positions that divides a row.
static int nnc_dc_run(const nnc_direct_conv_shape *s) {
  int run = NNC_DC_RUN;
  while (s->out_width % run) run--;
  return run;
}

// Runs of 3 positions and more: with fewer, two weight loads and a broadcast per one or two
// multiply-adds made the kernel slower than the wide rows (LeNet's 10x10 output: runs of 5, 7.4 → 5.6
// us a sample on AVX2; an 11-wide output, runs of 1: 5.2 → 13.4).
int nnc_direct_conv_runs_filter_vectors(const nnc_direct_conv_shape *s) {
  return s->pad_top == 0 && s->pad_left == 0 && s->out_height == s->in_height - s->kernel_height + 1 &&
         s->out_width == s->in_width - s->kernel_width + 1 && s->out_channels % 8 == 0 && nnc_dc_run(s) >= 3;
}

long nnc_direct_conv_packed_filters_count(const nnc_direct_conv_shape *s) {
  return nnc_direct_conv_runs_filter_vectors(s)
             ? (long)s->out_channels * s->in_channels * s->kernel_height * s->kernel_width
             : 0;
}

// Blocks of 16 filters (the last 8 when out_channels is an odd multiple of 8), each [channel][tap][filter].
void nnc_direct_conv_pack_filters(const nnc_direct_conv_shape *s, const float *weight, float *packed) {
  const int rows = s->in_channels * s->kernel_height * s->kernel_width;
  for (int o = 0; o < s->out_channels; o += 16) {
    const int filters = s->out_channels - o >= 16 ? 16 : 8;
    float *block = packed + (long)o * rows;
    for (int row = 0; row < rows; row++)
      for (int f = 0; f < filters; f++) block[(long)row * filters + f] = weight[(long)(o + f) * rows + row];
  }
}

void nnc_direct_conv_sample_packed(int isa, const nnc_direct_conv_shape *s, const float *input, const float *packed,
                                   const float *scale, const float *bias, int activation, float *output) {
  const int rows = s->in_channels * s->kernel_height * s->kernel_width;
  if (!nnc_direct_conv_runs_filter_vectors(s)) abort();
  const int run = nnc_dc_run(s);
#if defined(__x86_64__)
  const int wide_run = nnc_dc_wide_run(s);
#endif
  const int out_plane = s->out_height * s->out_width;
  for (int o = 0; o < s->out_channels; o += 16) {
    const int filters = s->out_channels - o >= 16 ? 16 : 8;
    const nnc_dc_epilogue e = {scale ? scale + o : 0, bias ? bias + o : 0, scale || bias, activation};
    const float *block = packed + (long)o * rows;
    float *planes = output + (long)o * out_plane;
#if defined(__x86_64__)
    if (isa == NNC_DEPTHWISE_AVX512 && filters == 16 && wide_run)
      nnc_dc_filter_block_avx512(s, input, block, &e, planes, 16, wide_run);
    else if (isa >= NNC_DEPTHWISE_AVX2)
      nnc_dc_filter_block_avx2(s, input, block, &e, planes, filters, run);
    else
#endif
      nnc_dc_filter_block_portable(s, input, block, &e, planes, filters, run);
  }
}
