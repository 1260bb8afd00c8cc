#include "pointwise.h"

#include "depthwise.h"
#include "kernel_arithmetic.h"

#include <stdlib.h>

typedef float pw_v8 __attribute__((vector_size(32), aligned(4)));

// The portable variant passes 8-float vectors between always-inlined helpers only.
#pragma clang diagnostic ignored "-Wpsabi"

#define PW_INLINE static inline __attribute__((always_inline))

// Pixels per packed panel, and the input channels the packed buffer holds (the callers' limit,
// `Conv2D.directPointwiseMaximumInputs`).
#define PW_PANEL 128
#define PW_MAX_INPUTS 64

// The epilogue of 8 outputs: the affine step then the activation, by masks so that the comparisons
// are those of the scalar `pw_finish`.
#define PW_FINISH_VECTOR(ISA)                                                                     \
  PW_INLINE pw_v8 pw_finish_vector_##ISA(pw_v8 v, int affine, float s, float b, int activation) { \
    if (affine) v = v * s + b;                                                                   \
    if (activation == NNC_POINTWISE_RELU) {                                                      \
      v = NNC_LANES8_RELU(v);                                                                    \
    } else if (activation == NNC_POINTWISE_RELU6) {                                              \
      v = NNC_LANES8_ZERO_AT_OR_BELOW(v);                                                        \
      v = NNC_LANES8_CLAMP_SIX(v);                                                               \
    }                                                                                            \
    return v;                                                                                    \
  }

#define PW_FINISH_SCALAR(ISA)                                                                  \
  PW_INLINE float pw_finish_##ISA(float v, int affine, float s, float b, int activation) {    \
    if (affine) v = v * s + b;                                                                \
    if (activation == NNC_POINTWISE_RELU) {                                                   \
      if (v < 0) v = 0;                                                                       \
    } else if (activation == NNC_POINTWISE_RELU6) {                                           \
      if (v <= 0) v = 0;                                                                      \
      if (v > 6) v = 6;                                                                       \
    }                                                                                         \
    return v;                                                                                 \
  }

// Outputs of CHANNELS channels × 16 pixels from p on: 2 × CHANNELS vector accumulators, each input
// vector loaded once per k for all the channels.
#define PW_BLOCK(ISA, CHANNELS)                                                                          \
  PW_INLINE void pw_block_##CHANNELS##_##ISA(int in_channels, const float *w, const float *x,             \
                                             float *out, long output_stride,                             \
                                             const float *s, const float *b, int affine, int activation) { \
    pw_v8 acc[CHANNELS][2];                                                                              \
    for (int c = 0; c < CHANNELS; c++) acc[c][0] = acc[c][1] = (pw_v8){0};                               \
    for (int k = 0; k < in_channels; k++) {                                                              \
      const pw_v8 x0 = *(const pw_v8 *)(x + k * 16);                                                     \
      const pw_v8 x1 = *(const pw_v8 *)(x + k * 16 + 8);                                                 \
      for (int c = 0; c < CHANNELS; c++) {                                                               \
        const float weight = w[c * in_channels + k];                                                     \
        acc[c][0] = acc[c][0] + weight * x0;                                                             \
        acc[c][1] = acc[c][1] + weight * x1;                                                             \
      }                                                                                                  \
    }                                                                                                    \
    for (int c = 0; c < CHANNELS; c++) {                                                                 \
      *(pw_v8 *)(out + c * output_stride) = pw_finish_vector_##ISA(acc[c][0], affine, s[c], b[c], activation);     \
      *(pw_v8 *)(out + c * output_stride + 8) = pw_finish_vector_##ISA(acc[c][1], affine, s[c], b[c], activation); \
    }                                                                                                    \
  }

#define PW_FORWARD(ISA)                                                                                 \
  PW_FINISH_VECTOR(ISA)                                                                                 \
  PW_FINISH_SCALAR(ISA)                                                                                 \
  PW_BLOCK(ISA, 4)                                                                                      \
  PW_BLOCK(ISA, 1)                                                                                      \
  static void pw_forward_##ISA(int out_channels, int in_channels, int pixels, const float *weight,      \
                               const float *input, long input_stride, float *output, long output_stride, \
                               const float *scales, const float *biases, int affine, int activation) {  \
    const int whole = pixels - pixels % 16;                                                             \
    /* Panels of up to 128 pixels, packed strip by strip ([strip][k][16], at most 32 KiB): the input  \
       rows of NCHW planes lie a plane apart, and planes of 1,024 floats put every row of a strip in \
       the same L1 set. Each block of 4 channels then runs along the panel, so the output is        \
       written as 4 sequential streams. */                                                          \
    float packed[PW_PANEL * PW_MAX_INPUTS] __attribute__((aligned(32)));                               \
    for (int panel = 0; panel < whole; panel += PW_PANEL) {                                             \
      const int width = whole - panel < PW_PANEL ? whole - panel : PW_PANEL;                            \
      for (int strip = 0; strip < width; strip += 16)                                                   \
        for (int k = 0; k < in_channels; k++)                                                           \
          for (int i = 0; i < 16; i++)                                                                  \
            packed[strip * in_channels + k * 16 + i] = input[k * input_stride + panel + strip + i];     \
      int o = 0;                                                                                        \
      for (; o + 4 <= out_channels; o += 4)                                                             \
        for (int strip = 0; strip < width; strip += 16)                                                 \
          pw_block_4_##ISA(in_channels, weight + (long)o * in_channels, packed + strip * in_channels,   \
                           output + o * output_stride + panel + strip, output_stride, scales + o,       \
                           biases + o, affine, activation);                                             \
      for (; o < out_channels; o++)                                                                     \
        for (int strip = 0; strip < width; strip += 16)                                                 \
          pw_block_1_##ISA(in_channels, weight + (long)o * in_channels, packed + strip * in_channels,   \
                           output + o * output_stride + panel + strip, output_stride, scales + o,       \
                           biases + o, affine, activation);                                             \
    }                                                                                                   \
    /* The last pixels one at a time: the same sum and epilogue per output as in the vectors. */        \
    for (int o = 0; o < out_channels; o++) {                                                            \
      for (int p = whole; p < pixels; p++) {                                                            \
        float acc = 0;                                                                                  \
        for (int k = 0; k < in_channels; k++)                                                           \
          acc = acc + weight[(long)o * in_channels + k] * input[k * input_stride + p];                  \
        output[o * output_stride + p] = pw_finish_##ISA(acc, affine, scales[o], biases[o], activation); \
      }                                                                                                 \
    }                                                                                                   \
  }

PW_FORWARD(portable)

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
PW_FORWARD(avx2)
#pragma clang attribute pop
#endif

void nnc_pointwise_forward(int isa, int out_channels, int in_channels, int pixels, const float *weight,
                           const float *input, long input_stride, float *output, long output_stride,
                           const float *scale, const float *bias, int activation) {
  if (in_channels > PW_MAX_INPUTS) abort();
  // Absent scales and biases become 1 and 0 per channel, so the blocks need no branches on them.
  float ones[out_channels > 0 ? out_channels : 1], zeros[out_channels > 0 ? out_channels : 1];
  const int affine = scale != 0 || bias != 0;
  if (!scale || !bias) {
    for (int o = 0; o < out_channels; o++) ones[o] = 1, zeros[o] = 0;
  }
  const float *s = scale ? scale : ones, *b = bias ? bias : zeros;
#if defined(__x86_64__)
  // No AVX-512 build of this kernel: a CPU with AVX-512 has AVX2 and FMA and runs that variant.
  if (isa >= NNC_DEPTHWISE_AVX2) {
    pw_forward_avx2(out_channels, in_channels, pixels, weight, input, input_stride, output, output_stride, s, b,
                    affine, activation);
    return;
  }
#endif
  pw_forward_portable(out_channels, in_channels, pixels, weight, input, input_stride, output, output_stride, s,
                      b, affine, activation);
}
