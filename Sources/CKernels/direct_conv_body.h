// The direct convolution's block kernel, written once over GCC/Clang vector types and included by
// direct_conv.c once per instruction set: NNC_ISA names the variant, the including file sets the
// target attributes. Not a public header: it defines functions.

#define NNC_DC_CAT2(a, b) a##_##b
#define NNC_DC_CAT(a, b) NNC_DC_CAT2(a, b)
#define DC_FN(name) NNC_DC_CAT(name, NNC_ISA)

#include "direct_conv_finish.h"

// `count` (1 to NNC_DC_BLOCK) filters over the padded planes, 16 positions of the wide output at a
// time: each tap is one broadcast weight times two unaligned input vectors per filter, the sums
// staying in registers across every channel and tap. Called with a constant `count`, so the filter
// loops unroll.
static inline __attribute__((always_inline)) void DC_FN(nnc_dc_block)(const nnc_dc_layout *l, const float *padded,
                                                                      const float *weight,
                                                                      const nnc_dc_epilogue *e, float *wide,
                                                                      const int count) {
  const int taps = l->kernel_height * l->kernel_width;
  const int filter_stride = l->in_channels * taps;
  v8 scales[NNC_DC_BLOCK], biases[NNC_DC_BLOCK];
  for (int r = 0; r < count; r++) {
    scales[r] = (v8){0} + DC_FN(nnc_dc_scale)(e, r);
    biases[r] = (v8){0} + DC_FN(nnc_dc_bias)(e, r);
  }
  const int affine = e->affine, activation = e->activation;
  for (int p = 0; p < l->positions; p += 16) {
    v8 low[NNC_DC_BLOCK], high[NNC_DC_BLOCK];
    for (int r = 0; r < count; r++) low[r] = high[r] = (v8){0};
    for (int c = 0; c < l->in_channels; c++) {
      const float *plane = padded + (long)c * l->plane_stride + p;
      const float *w = weight + c * taps;
      for (int ki = 0; ki < l->kernel_height; ki++) {
        for (int kj = 0; kj < l->kernel_width; kj++) {
          const float *x = plane + ki * l->padded_width + kj;
          const v8 x0 = *(const v8u *)x, x1 = *(const v8u *)(x + 8);
          const int t = ki * l->kernel_width + kj;
          for (int r = 0; r < count; r++) {
            const float s = w[r * filter_stride + t];
            low[r] += x0 * s;
            high[r] += x1 * s;
          }
        }
      }
    }
    for (int r = 0; r < count; r++) {
      *(v8u *)(wide + (long)r * l->positions + p) =
        DC_FN(nnc_dc_finish8)(low[r], scales[r], biases[r], affine, activation);
      *(v8u *)(wide + (long)r * l->positions + p + 8) =
        DC_FN(nnc_dc_finish8)(high[r], scales[r], biases[r], affine, activation);
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

// Unpadded layers with filters in multiples of 8: `filters` (8 or 16) filters in one or two vectors
// × `run` consecutive output positions of a row in registers, every position reading the input where
// it lies (no padded copy, no columns past the output's width). The weights come packed
// [channel][tap][filter] (`nnc_direct_conv_pack_filters`). Each sum adds the same products in the
// same order (c, ki, kj) as nnc_dc_block, so both give the same bits. `run` divides the output's
// width (a constant: one pointer and fixed offsets keep the 2 × run accumulators in registers).
static inline __attribute__((always_inline)) void DC_FN(nnc_dc_filter_rows)(const nnc_direct_conv_shape *s,
                                                                            const float *input,
                                                                            const float *packed,
                                                                            const nnc_dc_epilogue *e, float *output,
                                                                            const int filters, const int run) {
  const int in_plane = s->in_height * s->in_width;
  const int out_plane = s->out_height * s->out_width, two = filters > 8;
  v8 scales[2], biases[2];
  for (int f = 0; f < 8; f++) {
    scales[0][f] = DC_FN(nnc_dc_scale)(e, f);
    biases[0][f] = DC_FN(nnc_dc_bias)(e, f);
    scales[1][f] = two ? DC_FN(nnc_dc_scale)(e, 8 + f) : 1;
    biases[1][f] = two ? DC_FN(nnc_dc_bias)(e, 8 + f) : 0;
  }
  const int affine = e->affine, activation = e->activation;
  for (int oy = 0; oy < s->out_height; oy++) {
    for (int ox = 0; ox < s->out_width; ox += run) {
      v8 low[NNC_DC_RUN], high[NNC_DC_RUN];
      for (int i = 0; i < run; i++) low[i] = high[i] = (v8){0};
      const float *w = packed;
      for (int c = 0; c < s->in_channels; c++) {
        for (int ki = 0; ki < s->kernel_height; ki++) {
          const float *x = input + (long)c * in_plane + (long)(oy + ki) * s->in_width + ox;
          for (int kj = 0; kj < s->kernel_width; kj++, w += filters) {
            const v8 w0 = *(const v8u *)w, w1 = two ? *(const v8u *)(w + 8) : (v8){0};
            for (int i = 0; i < run; i++) {
              low[i] += w0 * x[kj + i];
              if (two) high[i] += w1 * x[kj + i];
            }
          }
        }
      }
      for (int i = 0; i < run; i++) {
        low[i] = DC_FN(nnc_dc_finish8)(low[i], scales[0], biases[0], affine, activation);
        if (two) high[i] = DC_FN(nnc_dc_finish8)(high[i], scales[1], biases[1], affine, activation);
      }
      float *o = output + (long)oy * s->out_width + ox;
      for (int i = 0; i < run; i++)
        for (int f = 0; f < filters; f++) o[(long)f * out_plane + i] = f < 8 ? low[i][f] : high[i][f - 8];
    }
  }
}

static void DC_FN(nnc_dc_filter_block)(const nnc_direct_conv_shape *s, const float *input, const float *packed,
                                       const nnc_dc_epilogue *e, float *output, int filters, int run) {
#define NNC_DC_RUN_CASE(r)                                                        \
  case r:                                                                         \
    if (filters == 16)                                                            \
      DC_FN(nnc_dc_filter_rows)(s, input, packed, e, output, 16, r);              \
    else                                                                          \
      DC_FN(nnc_dc_filter_rows)(s, input, packed, e, output, 8, r);               \
    break;
  // Runs of 3 to 6 (`nnc_direct_conv_runs_filter_vectors`).
  switch (run) {
    NNC_DC_RUN_CASE(6)
    NNC_DC_RUN_CASE(5)
    NNC_DC_RUN_CASE(4)
    default: NNC_DC_RUN_CASE(3)
  }
#undef NNC_DC_RUN_CASE
}

#undef DC_FN
#undef NNC_DC_CAT
#undef NNC_DC_CAT2
