// The direct convolution's kernels, written once over GCC/Clang vector types of DC_LANES floats (8;
// 16 with AVX-512) and included by direct_conv.c once per instruction set (isa_variants.h): NNC_ISA
// names the variant, NNC_DC_LANES_<isa> its vector width. Each lane adds the same products in the
// same order whatever the width, so the AVX2 and AVX-512 variants give the same bits. Not a public
// header: it defines functions.

#define NNC_DC_CAT2(a, b) a##_##b
#define NNC_DC_CAT(a, b) NNC_DC_CAT2(a, b)
#define DC_FN(name) NNC_DC_CAT(name, NNC_ISA)
#define DC_LANES NNC_DC_CAT(NNC_DC_LANES, NNC_ISA)

typedef float DC_FN(nnc_dc_v) __attribute__((vector_size(DC_LANES * 4)));
typedef float DC_FN(nnc_dc_vu) __attribute__((vector_size(DC_LANES * 4), aligned(4)));
typedef int DC_FN(nnc_dc_vi) __attribute__((vector_size(DC_LANES * 4)));
#define DC_V DC_FN(nnc_dc_v)
#define DC_VU DC_FN(nnc_dc_vu)
#define DC_VI DC_FN(nnc_dc_vi)

#include "direct_conv_finish.h"

// `count` (1 to NNC_DC_BLOCK) filters over the padded planes, 2 · DC_LANES positions of the wide
// output at a time (the last DC_LANES alone where the positions end there): each tap is one
// broadcast weight times two unaligned input vectors per filter, the sums staying in registers
// across every channel and tap, the epilogue applied before the store. Called with a constant
// `count`, so the filter loops unroll.
static inline __attribute__((always_inline)) void DC_FN(nnc_dc_block)(const nnc_dc_layout *l, const float *padded,
                                                                      const float *weight,
                                                                      const nnc_dc_epilogue *e, float *wide,
                                                                      const int count) {
  const int taps = l->kernel_height * l->kernel_width;
  const int filter_stride = l->in_channels * taps;
  DC_V scales[NNC_DC_BLOCK], biases[NNC_DC_BLOCK];
  for (int r = 0; r < count; r++) {
    scales[r] = (DC_V){0} + DC_FN(nnc_dc_scale)(e, r);
    biases[r] = (DC_V){0} + DC_FN(nnc_dc_bias)(e, r);
  }
  const int affine = e->affine, activation = e->activation;
  for (int p = 0; p < l->positions; p += 2 * DC_LANES) {
    const int two = p + 2 * DC_LANES <= l->positions;
    DC_V low[NNC_DC_BLOCK], high[NNC_DC_BLOCK];
    for (int r = 0; r < count; r++) low[r] = high[r] = (DC_V){0};
    for (int c = 0; c < l->in_channels; c++) {
      const float *plane = padded + (long)c * l->plane_stride + p;
      const float *w = weight + c * taps;
      for (int ki = 0; ki < l->kernel_height; ki++) {
        for (int kj = 0; kj < l->kernel_width; kj++) {
          const float *x = plane + ki * l->padded_width + kj;
          const DC_V x0 = *(const DC_VU *)x;
          const int t = ki * l->kernel_width + kj;
          if (two) {
            const DC_V x1 = *(const DC_VU *)(x + DC_LANES);
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
      *(DC_VU *)(wide + (long)r * l->positions + p) =
        DC_FN(nnc_dc_finish)(low[r], scales[r], biases[r], affine, activation);
      if (two)
        *(DC_VU *)(wide + (long)r * l->positions + p + DC_LANES) =
          DC_FN(nnc_dc_finish)(high[r], scales[r], biases[r], affine, activation);
    }
  }
}

static void DC_FN(nnc_dc_filters)(const nnc_dc_layout *l, const float *padded, const float *weight,
                                  const nnc_dc_epilogue *e, float *wide, int count) {
  switch (count) {
  case 1: DC_FN(nnc_dc_block)(l, padded, weight, e, wide, 1); break;
  case 2: DC_FN(nnc_dc_block)(l, padded, weight, e, wide, 2); break;
  case 3: DC_FN(nnc_dc_block)(l, padded, weight, e, wide, 3); break;
  case 4: DC_FN(nnc_dc_block)(l, padded, weight, e, wide, 4); break;
  case 5: DC_FN(nnc_dc_block)(l, padded, weight, e, wide, 5); break;
  default: DC_FN(nnc_dc_block)(l, padded, weight, e, wide, 6); break;
  }
}

// Unpadded layers with filters in multiples of 8: `filters` (DC_LANES or 2 · DC_LANES) filters in
// one or two vectors × `run` consecutive output positions of a row in registers, every position
// reading the input where it lies (no padded copy, no columns past the output's width). The weights
// come packed [channel][tap][filter] (`nnc_direct_conv_pack_filters`). Each sum adds the same
// products in the same order (c, ki, kj) as nnc_dc_block, so both give the same bits. `run` divides
// the output's width (a constant: one pointer and fixed offsets keep the accumulators in
// registers); the block goes through a local tile, epilogue applied, to the filters' planes.
static inline __attribute__((always_inline)) void DC_FN(nnc_dc_filter_rows)(const nnc_direct_conv_shape *s,
                                                                            const float *input,
                                                                            const float *packed,
                                                                            const nnc_dc_epilogue *e, float *output,
                                                                            const int filters, const int run) {
  const int in_plane = s->in_height * s->in_width;
  const int out_plane = s->out_height * s->out_width, two = filters > DC_LANES;
  DC_V scales[2], biases[2];
  for (int f = 0; f < DC_LANES; f++) {
    scales[0][f] = DC_FN(nnc_dc_scale)(e, f);
    biases[0][f] = DC_FN(nnc_dc_bias)(e, f);
    scales[1][f] = two ? DC_FN(nnc_dc_scale)(e, DC_LANES + f) : 1;
    biases[1][f] = two ? DC_FN(nnc_dc_bias)(e, DC_LANES + f) : 0;
  }
  const int affine = e->affine, activation = e->activation;
  for (int oy = 0; oy < s->out_height; oy++) {
    for (int ox = 0; ox < s->out_width; ox += run) {
      DC_V low[NNC_DC_WIDE_RUN], high[NNC_DC_WIDE_RUN];
      for (int i = 0; i < run; i++) low[i] = high[i] = (DC_V){0};
      const float *w = packed;
      for (int c = 0; c < s->in_channels; c++) {
        for (int ki = 0; ki < s->kernel_height; ki++) {
          const float *x = input + (long)c * in_plane + (long)(oy + ki) * s->in_width + ox;
          for (int kj = 0; kj < s->kernel_width; kj++, w += filters) {
            const DC_V w0 = *(const DC_VU *)w, w1 = two ? *(const DC_VU *)(w + DC_LANES) : (DC_V){0};
            for (int i = 0; i < run; i++) {
              low[i] += w0 * x[kj + i];
              if (two) high[i] += w1 * x[kj + i];
            }
          }
        }
      }
      float tile[NNC_DC_WIDE_RUN][2 * DC_LANES];
      for (int i = 0; i < run; i++) {
        *(DC_VU *)tile[i] = DC_FN(nnc_dc_finish)(low[i], scales[0], biases[0], affine, activation);
        if (two) *(DC_VU *)(tile[i] + DC_LANES) = DC_FN(nnc_dc_finish)(high[i], scales[1], biases[1], affine, activation);
      }
      float *o = output + (long)oy * s->out_width + ox;
      for (int f = 0; f < filters; f++)
        for (int i = 0; i < run; i++) o[(long)f * out_plane + i] = tile[i][f];
    }
  }
}

static void DC_FN(nnc_dc_filter_block)(const nnc_direct_conv_shape *s, const float *input, const float *packed,
                                       const nnc_dc_epilogue *e, float *output, int filters, int run) {
#define NNC_DC_RUN_CASE(r)                                                        \
  case r:                                                                         \
    if (filters == 2 * DC_LANES)                                                  \
      DC_FN(nnc_dc_filter_rows)(s, input, packed, e, output, 2 * DC_LANES, r);    \
    else                                                                          \
      DC_FN(nnc_dc_filter_rows)(s, input, packed, e, output, DC_LANES, r);        \
    break;
#if DC_LANES == 16
#define NNC_DC_WIDE_CASE(r)                                                       \
  case r: DC_FN(nnc_dc_filter_rows)(s, input, packed, e, output, DC_LANES, r); break;
  // 16 filters (one vector; blocks of 8 take the AVX2 variant) × runs of 7 to 12 (`nnc_dc_wide_run`),
  // so that a run's sums cover the multiply-adds' latency.
  switch (run) {
    NNC_DC_WIDE_CASE(12)
    NNC_DC_WIDE_CASE(11)
    NNC_DC_WIDE_CASE(10)
    NNC_DC_WIDE_CASE(9)
    NNC_DC_WIDE_CASE(8)
    default: NNC_DC_WIDE_CASE(7)
  }
  (void)filters;
#undef NNC_DC_WIDE_CASE
#else
  // Runs of 3 to 6 (`nnc_direct_conv_runs_filter_vectors`).
  switch (run) {
    NNC_DC_RUN_CASE(6)
    NNC_DC_RUN_CASE(5)
    NNC_DC_RUN_CASE(4)
    default: NNC_DC_RUN_CASE(3)
  }
#endif
#undef NNC_DC_RUN_CASE
}

#undef DC_V
#undef DC_VU
#undef DC_VI
#undef DC_LANES
#undef DC_FN
#undef NNC_DC_CAT
#undef NNC_DC_CAT2
