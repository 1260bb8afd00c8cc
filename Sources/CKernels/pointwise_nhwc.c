#include "pointwise_nhwc.h"

#include "depthwise.h"
#include "kernel_arithmetic.h"
#include "pointwise.h"

typedef float pwn_v8 __attribute__((vector_size(32), aligned(4)));

// The portable variant passes 8-float vectors between always-inlined helpers only.
#pragma clang diagnostic ignored "-Wpsabi"

#define PWN_INLINE static inline __attribute__((always_inline))

// Register blocks are 4 pixels × 16 outputs: 8 accumulators, with the two weight
// vectors and a broadcast input 11 of AVX2's 16 registers.

// The epilogue of 8 outputs (one per lane, each with its channel's scale and bias), with the
// comparisons of `pwn_finish`: ReLU x < 0 → 0, ReLU6 x ≤ 0 → 0 then x > 6 → 6, NaN kept.
#define PWN_FINISH_VECTOR(ISA)                                                                          \
  PWN_INLINE pwn_v8 pwn_finish_vector_##ISA(pwn_v8 v, int affine, pwn_v8 s, pwn_v8 b, int activation,   \
                                            const float *r) {                                          \
    if (affine) v = v * s + b;                                                                         \
    if (r) {                                                                                           \
      v = v + *(const pwn_v8 *)r;                                                                      \
      if (activation == NNC_POINTWISE_RELU) v = NNC_LANES8_ZERO_AT_OR_BELOW(v);                        \
    } else if (activation == NNC_POINTWISE_RELU) {                                                     \
      v = NNC_LANES8_RELU(v);                                                                          \
    } else if (activation == NNC_POINTWISE_RELU6) {                                                    \
      v = NNC_LANES8_ZERO_AT_OR_BELOW(v);                                                              \
      v = NNC_LANES8_CLAMP_SIX(v);                                                                     \
    }                                                                                                  \
    return v;                                                                                          \
  }

#define PWN_FINISH_SCALAR(ISA)                                                                          \
  PWN_INLINE float pwn_finish_##ISA(float v, int affine, float s, float b, int activation, const float *r) { \
    if (affine) v = v * s + b;                                                                         \
    if (r) {                                                                                           \
      v = v + *r;                                                                                      \
      if (activation == NNC_POINTWISE_RELU && v <= 0) v = 0;                                           \
    } else if (activation == NNC_POINTWISE_RELU) {                                                     \
      if (v < 0) v = 0;                                                                     \
    } else if (activation == NNC_POINTWISE_RELU6) {                                         \
      if (v <= 0) v = 0;                                                                    \
      if (v > 6) v = 6;                                                                     \
    }                                                                                       \
    return v;                                                                               \
  }

// PIXELS pixels × 8·VECTORS outputs from output channel o on: each weight vector loaded once per
// input channel for all the pixels, each input broadcast once for all the vectors. `wt` is the
// block's packed weights ([k][8·VECTORS], read in order); `r` the shortcut aligned with `out`, or NULL.
#define PWN_BLOCK(ISA, PIXELS, VECTORS)                                                                      \
  PWN_INLINE void pwn_block_##PIXELS##_##VECTORS##_##ISA(int k, int n, const float *wt, const float *x,       \
                                                         float *out, const float *r, const float *s,         \
                                                         const float *b, int affine, int activation) {       \
    pwn_v8 acc[PIXELS][VECTORS];                                                                             \
    for (int p = 0; p < PIXELS; p++)                                                                         \
      for (int v = 0; v < VECTORS; v++) acc[p][v] = (pwn_v8){0};                                             \
    for (int c = 0; c < k; c++) {                                                                            \
      pwn_v8 w[VECTORS];                                                                                     \
      for (int v = 0; v < VECTORS; v++) w[v] = *(const pwn_v8 *)(wt + (long)c * 8 * VECTORS + 8 * v);       \
      for (int p = 0; p < PIXELS; p++) {                                                                     \
        const float input = x[(long)p * k + c];                                                              \
        for (int v = 0; v < VECTORS; v++) acc[p][v] = acc[p][v] + input * w[v];                              \
      }                                                                                                      \
    }                                                                                                        \
    for (int p = 0; p < PIXELS; p++)                                                                         \
      for (int v = 0; v < VECTORS; v++)                                                                      \
        *(pwn_v8 *)(out + (long)p * n + 8 * v) =                                                             \
            pwn_finish_vector_##ISA(acc[p][v], affine, *(const pwn_v8 *)(s + 8 * v),                         \
                                    *(const pwn_v8 *)(b + 8 * v), activation, r ? r + (long)p * n + 8 * v : 0); \
  }

// One output channel of PIXELS pixels: the same sum, in the same order, as a vector lane.
#define PWN_COLUMN(ISA, PIXELS)                                                                         \
  PWN_INLINE void pwn_column_##PIXELS##_##ISA(int k, int n, const float *wt, const float *x, float *out,  \
                                              const float *r, float s, float b, int affine, int activation) { \
    for (int p = 0; p < PIXELS; p++) {                                                                  \
      float acc = 0;                                                                                    \
      for (int c = 0; c < k; c++) acc = acc + x[(long)p * k + c] * wt[c];                                \
      out[(long)p * n] = pwn_finish_##ISA(acc, affine, s, b, activation, r ? r + (long)p * n : 0);       \
    }                                                                                                   \
  }

#define PWN_PIXEL_ROW(ISA, PIXELS)                                                                           \
  PWN_INLINE void pwn_row_##PIXELS##_##ISA(int k, int n, const float *wt, const float *x, float *out,          \
                                           const float *r, const float *s, const float *b, int affine,       \
                                           int activation) {                                                 \
    int o = 0;                                                                                               \
    for (; o + 16 <= n; o += 16)                                                                             \
      pwn_block_##PIXELS##_2_##ISA(k, n, wt + (long)o * k, x, out + o, r ? r + o : 0, s + o, b + o, affine,    \
                                   activation);                                                              \
    for (; o + 8 <= n; o += 8)                                                                               \
      pwn_block_##PIXELS##_1_##ISA(k, n, wt + (long)o * k, x, out + o, r ? r + o : 0, s + o, b + o, affine,    \
                                   activation);                                                              \
    for (; o < n; o++)                                                                                       \
      pwn_column_##PIXELS##_##ISA(k, n, wt + (long)o * k, x, out + o, r ? r + o : 0, s[o], b[o], affine,       \
                                  activation);                                                               \
  }

#define PWN_FORWARD(ISA)                                                                                    \
  PWN_FINISH_VECTOR(ISA)                                                                                    \
  PWN_FINISH_SCALAR(ISA)                                                                                    \
  PWN_BLOCK(ISA, 4, 2)                                                                                      \
  PWN_BLOCK(ISA, 4, 1)                                                                                      \
  PWN_BLOCK(ISA, 1, 2)                                                                                      \
  PWN_BLOCK(ISA, 1, 1)                                                                                      \
  PWN_COLUMN(ISA, 4)                                                                                        \
  PWN_COLUMN(ISA, 1)                                                                                        \
  PWN_PIXEL_ROW(ISA, 4)                                                                                     \
  PWN_PIXEL_ROW(ISA, 1)                                                                                     \
  static void pwn_forward_##ISA(int n, int k, int pixels, const float *wt, const float *input, float *output, \
                                const float *shortcut, const float *s, const float *b, int affine,           \
                                int activation) {                                                           \
    int p = 0;                                                                                              \
    for (; p + 4 <= pixels; p += 4)                                                                         \
      pwn_row_4_##ISA(k, n, wt, input + (long)p * k, output + (long)p * n,                                  \
                      shortcut ? shortcut + (long)p * n : 0, s, b, affine, activation);                     \
    for (; p < pixels; p++)                                                                                 \
      pwn_row_1_##ISA(k, n, wt, input + (long)p * k, output + (long)p * n,                                  \
                      shortcut ? shortcut + (long)p * n : 0, s, b, affine, activation);                     \
  }

PWN_FORWARD(portable)

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
PWN_FORWARD(avx2)
#pragma clang attribute pop
#endif

void nnc_pointwise_nhwc_pack(int out_channels, int in_channels, const float *weight, float *packed) {
  int o = 0;
  while (o < out_channels) {
    const int width = out_channels - o >= 16 ? 16 : out_channels - o >= 8 ? 8 : 1;
    float *block = packed + (long)o * in_channels;
    for (int c = 0; c < in_channels; c++)
      for (int j = 0; j < width; j++) block[c * width + j] = weight[(long)(o + j) * in_channels + c];
    o += width;
  }
}

void nnc_pointwise_nhwc_forward(int isa, int out_channels, int in_channels, int pixels,
                                const float *packed_weight, const float *input, float *output,
                                const float *shortcut, const float *scale, const float *bias, int activation) {
  // Absent scales and biases become 1 and 0 per channel, so the blocks need no branches on them.
  float ones[out_channels > 0 ? out_channels : 1], zeros[out_channels > 0 ? out_channels : 1];
  const int affine = scale != 0 || bias != 0;
  if (!scale || !bias) {
    for (int o = 0; o < out_channels; o++) ones[o] = 1, zeros[o] = 0;
  }
  const float *s = scale ? scale : ones, *b = bias ? bias : zeros;
#if defined(__x86_64__)
  // No AVX-512 build: a CPU with AVX-512 has AVX2 and FMA and runs that variant.
  if (isa >= NNC_DEPTHWISE_AVX2) {
    pwn_forward_avx2(out_channels, in_channels, pixels, packed_weight, input, output, shortcut, s, b, affine,
                     activation);
    return;
  }
#endif
  pwn_forward_portable(out_channels, in_channels, pixels, packed_weight, input, output, shortcut, s, b,
                       affine, activation);
}
