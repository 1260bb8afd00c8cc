#include "direct_conv.h"

#include "depthwise.h"
#include "pointwise.h"

#include <stdlib.h>
#include <string.h>

typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4)));
typedef int v8i __attribute__((vector_size(32)));

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

#define NNC_VARIANT_BODY "direct_conv_body.h"
#define NNC_VARIANT_NO_AVX512
#include "isa_variants.h"

#if defined(__x86_64__)
typedef float v16u __attribute__((vector_size(64), aligned(4)));
typedef float v16 __attribute__((vector_size(64)));
typedef int v16i __attribute__((vector_size(64)));

// Output positions of a row per block of the AVX-512 kernel, at most and at least: a 16-float
// vector per position holds all 16 filters, so a run needs 8 or so accumulators to cover the
// multiply-adds' latency on two units, and 12 of them, a weight vector and a broadcast fit 32
// registers with room.
#define NNC_DC_WIDE_RUN 12
#define NNC_DC_WIDE_RUN_MINIMUM 7

// The longest run of NNC_DC_WIDE_RUN_MINIMUM to NNC_DC_WIDE_RUN positions that divides a row, or 0.
static int nnc_dc_wide_run(const nnc_direct_conv_shape *s) {
  for (int run = NNC_DC_WIDE_RUN; run >= NNC_DC_WIDE_RUN_MINIMUM; run--)
    if (s->out_width % run == 0) return run;
  return 0;
}

#pragma clang attribute push(__attribute__((target("avx2,fma,avx512f,avx512vl,avx512bw,avx512dq"))), \
                             apply_to = function)
#define NNC_ISA avx512
#define NNC_DCF_WIDE
#include "direct_conv_finish.h"
#undef NNC_DCF_WIDE
#undef NNC_ISA

// 16 filters as one vector × `run` positions of a row: per tap one weight load and `run` broadcast
// multiply-adds, where the AVX2 kernel needs two of each per position (LeNet-5's second layer).
// Each lane adds the same products in the same order (c, ki, kj) as nnc_dc_filter_rows, so the
// bits are the AVX2 kernel's. The block goes through a local tile to the filters' planes.
static inline __attribute__((always_inline)) void nnc_dc_wide_rows(const nnc_direct_conv_shape *s, const float *input,
                                                                   const float *packed, const nnc_dc_epilogue *e,
                                                                   float *output, const int run) {
  const int in_plane = s->in_height * s->in_width;
  const int out_plane = s->out_height * s->out_width;
  v16 scales, biases;
  for (int f = 0; f < 16; f++) {
    scales[f] = nnc_dc_scale_avx512(e, f);
    biases[f] = nnc_dc_bias_avx512(e, f);
  }
  const int affine = e->affine, activation = e->activation;
  for (int oy = 0; oy < s->out_height; oy++) {
    for (int ox = 0; ox < s->out_width; ox += run) {
      v16 acc[NNC_DC_WIDE_RUN];
      for (int i = 0; i < run; i++) acc[i] = (v16){0};
      const float *w = packed;
      for (int c = 0; c < s->in_channels; c++) {
        for (int ki = 0; ki < s->kernel_height; ki++) {
          const float *x = input + (long)c * in_plane + (long)(oy + ki) * s->in_width + ox;
          for (int kj = 0; kj < s->kernel_width; kj++, w += 16) {
            const v16 weights = *(const v16u *)w;
            for (int i = 0; i < run; i++) acc[i] += weights * x[kj + i];
          }
        }
      }
      float tile[NNC_DC_WIDE_RUN][16];
      for (int i = 0; i < run; i++) *(v16u *)tile[i] = nnc_dc_finish16_avx512(acc[i], scales, biases, affine, activation);
      float *o = output + (long)oy * s->out_width + ox;
      for (int f = 0; f < 16; f++)
        for (int i = 0; i < run; i++) o[(long)f * out_plane + i] = tile[i][f];
    }
  }
}

static void nnc_dc_wide_block_avx512(const nnc_direct_conv_shape *s, const float *input, const float *packed,
                                     const nnc_dc_epilogue *e, float *output, int run) {
  switch (run) {
  case 12: nnc_dc_wide_rows(s, input, packed, e, output, 12); break;
  case 11: nnc_dc_wide_rows(s, input, packed, e, output, 11); break;
  case 10: nnc_dc_wide_rows(s, input, packed, e, output, 10); break;
  case 9: nnc_dc_wide_rows(s, input, packed, e, output, 9); break;
  case 8: nnc_dc_wide_rows(s, input, packed, e, output, 8); break;
  default: nnc_dc_wide_rows(s, input, packed, e, output, 7); break;
  }
}

// nnc_dc_block with 16-float vectors: `count` filters over 32 wide positions at a time (two vectors
// a filter, 12 accumulators for 6), the last 16 alone; the same sums in the same order per lane.
static inline __attribute__((always_inline)) void nnc_dc_wide_positions(const nnc_dc_layout *l, const float *padded,
                                                                        const float *weight,
                                                                        const nnc_dc_epilogue *e, float *wide,
                                                                        const int count) {
  const int taps = l->kernel_height * l->kernel_width;
  const int filter_stride = l->in_channels * taps;
  v16 scales[NNC_DC_BLOCK], biases[NNC_DC_BLOCK];
  for (int r = 0; r < count; r++) {
    scales[r] = (v16){0} + nnc_dc_scale_avx512(e, r);
    biases[r] = (v16){0} + nnc_dc_bias_avx512(e, r);
  }
  const int affine = e->affine, activation = e->activation;
  for (int p = 0; p < l->positions; p += 32) {
    const int two = p + 32 <= l->positions;
    v16 low[NNC_DC_BLOCK], high[NNC_DC_BLOCK];
    for (int r = 0; r < count; r++) low[r] = high[r] = (v16){0};
    for (int c = 0; c < l->in_channels; c++) {
      const float *plane = padded + (long)c * l->plane_stride + p;
      const float *w = weight + c * taps;
      for (int ki = 0; ki < l->kernel_height; ki++) {
        for (int kj = 0; kj < l->kernel_width; kj++) {
          const float *x = plane + ki * l->padded_width + kj;
          const v16 x0 = *(const v16u *)x;
          const int t = ki * l->kernel_width + kj;
          if (two) {
            const v16 x1 = *(const v16u *)(x + 16);
            for (int r = 0; r < count; r++) {
              const float s = w[r * filter_stride + t];
              low[r] += x0 * s;
              high[r] += x1 * s;
            }
          } else {
            for (int r = 0; r < count; r++) low[r] += x0 * w[r * filter_stride + t];
          }
        }
      }
    }
    for (int r = 0; r < count; r++) {
      *(v16u *)(wide + (long)r * l->positions + p) =
        nnc_dc_finish16_avx512(low[r], scales[r], biases[r], affine, activation);
      if (two)
        *(v16u *)(wide + (long)r * l->positions + p + 16) =
          nnc_dc_finish16_avx512(high[r], scales[r], biases[r], affine, activation);
    }
  }
}

static void nnc_dc_wide_filters_avx512(const nnc_dc_layout *l, const float *padded, const float *weight,
                                       const nnc_dc_epilogue *e, float *wide, int count) {
  switch (count) {
  case 1: nnc_dc_wide_positions(l, padded, weight, e, wide, 1); break;
  case 2: nnc_dc_wide_positions(l, padded, weight, e, wide, 2); break;
  case 3: nnc_dc_wide_positions(l, padded, weight, e, wide, 3); break;
  case 4: nnc_dc_wide_positions(l, padded, weight, e, wide, 4); break;
  case 5: nnc_dc_wide_positions(l, padded, weight, e, wide, 5); break;
  default: nnc_dc_wide_positions(l, padded, weight, e, wide, 6); break;
  }
}
#pragma clang attribute pop
#endif


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
#if defined(__x86_64__)
    if (isa == NNC_DEPTHWISE_AVX512)
      nnc_dc_wide_filters_avx512(&l, padded, weight + (long)o * filter_floats, &e, wide, count);
    else if (isa >= NNC_DEPTHWISE_AVX2)
      nnc_dc_filters_avx2(&l, padded, weight + (long)o * filter_floats, &e, wide, count);
    else
#endif
      nnc_dc_filters_portable(&l, padded, weight + (long)o * filter_floats, &e, wide, count);
    // The wide rows into the output's, dropping the columns past its width: a loop of moves, where a
    // memcpy call per row of 28 or 32 floats cost as much as the convolution of LeNet-5's first layer.
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
      nnc_dc_wide_block_avx512(s, input, block, &e, planes, wide_run);
    else if (isa >= NNC_DEPTHWISE_AVX2)
      nnc_dc_filter_block_avx2(s, input, block, &e, planes, filters, run);
    else
#endif
      nnc_dc_filter_block_portable(s, input, block, &e, planes, filters, run);
  }
}
