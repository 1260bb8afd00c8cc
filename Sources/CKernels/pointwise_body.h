// The channels-first direct pointwise kernel's blocks and panel loop (`pointwise.c`), written once
// over GCC/Clang vector types and included once per instruction set: NNC_ISA names the variant,
// PW_WIDE_<isa> is 1 where 16-float vectors are native (AVX-512). Not a public header: it defines
// functions.
//
// Vectors run over pixels and the weights are broadcast, so each channel's outputs leave the
// registers as whole runs of its plane. Every output is acc = 0, then acc = acc + weight · input for
// each k in increasing order (one expression, so FMA where the target has it), then the epilogue of
// `pointwise_finish_body.h`: the same operations in any block, vector width or tail, so the AVX2
// and AVX-512 variants give the same bits.

#define NNC_CAT2(a, b) a##_##b
#define NNC_CAT(a, b) NNC_CAT2(a, b)
#define FN(name) NNC_CAT(name, NNC_ISA)
#define PW_IS_WIDE NNC_CAT(PW_WIDE, NNC_ISA)

#include "pointwise_finish_body.h"

// 16 outputs of one channel into out (its shortcut at r, or NULL), epilogue applied.
PWN_INLINE void FN(store16)(pwn_v16 acc, float s, float b, int affine, int activation, float *out, const float *r) {
#if PW_IS_WIDE
  *(pwn_v16 *)out = FN(finish16)(acc, affine, (pwn_v16){0} + s, (pwn_v16){0} + b, activation, r);
#else
  const pwn_v8 low = __builtin_shufflevector(acc, acc, 0, 1, 2, 3, 4, 5, 6, 7);
  const pwn_v8 high = __builtin_shufflevector(acc, acc, 8, 9, 10, 11, 12, 13, 14, 15);
  *(pwn_v8 *)out = FN(finish8)(low, affine, (pwn_v8){0} + s, (pwn_v8){0} + b, activation, r);
  *(pwn_v8 *)(out + 8) = FN(finish8)(high, affine, (pwn_v8){0} + s, (pwn_v8){0} + b, activation, r ? r + 8 : 0);
#endif
}

// Outputs of CHANNELS channels × 16 · STRIPS pixels: `x` the first strip of the packed panel
// ([strip][k][16], strips 16 · k_count floats apart), `w` the first channel's weights, `out` and
// `r` (the shortcut, or NULL) the first channel's first pixel, rows `stride` apart.
#define PW_BLOCK(CHANNELS, STRIPS)                                                                                   \
  PWN_INLINE void FN(pw_block_##CHANNELS##_##STRIPS)(int k_count, const float *w, const float *x, float *out,        \
                                                     long stride, const float *r, const float *s, const float *b,   \
                                                     int affine, int activation) {                                  \
    pwn_v16 acc[CHANNELS][STRIPS];                                                                                   \
    for (int c = 0; c < CHANNELS; c++)                                                                               \
      for (int j = 0; j < STRIPS; j++) acc[c][j] = (pwn_v16){0};                                                     \
    for (int k = 0; k < k_count; k++) {                                                                              \
      pwn_v16 values[STRIPS];                                                                                        \
      for (int j = 0; j < STRIPS; j++) values[j] = *(const pwn_v16 *)(x + (long)j * 16 * k_count + k * 16);         \
      for (int c = 0; c < CHANNELS; c++) {                                                                           \
        const float weight = w[(long)c * k_count + k];                                                               \
        for (int j = 0; j < STRIPS; j++) acc[c][j] = acc[c][j] + weight * values[j];                                 \
      }                                                                                                              \
    }                                                                                                                \
    for (int c = 0; c < CHANNELS; c++)                                                                               \
      for (int j = 0; j < STRIPS; j++)                                                                               \
        FN(store16)(acc[c][j], s[c], b[c], affine, activation, out + c * stride + 16 * j,                            \
                    r ? r + c * stride + 16 * j : 0);                                                                \
  }

// 4 channels × 16 pixels everywhere, and on AVX-512 4 channels × 32 pixels where the panel allows:
// 8 accumulators of 16 lanes, two input loads and four broadcasts feeding 8 fused multiply-adds.
// (8 × 32 and 4 × 64 blocks ran ResNet-50's 64 → 256 expansion on 56x56 maps 12–38 % slower: more
// rows written at once.)
PW_BLOCK(4, 1)
PW_BLOCK(1, 1)
#if PW_IS_WIDE
PW_BLOCK(4, 2)
#endif

// The blocks of output channels [0, out_channels) over `width` pixels of a packed panel from
// `panel` on (`width` a multiple of 16).
PWN_INLINE void FN(pw_panel)(int out_channels, int in_channels, int width, const float *weight, const float *packed,
                             float *output, long output_stride, const float *shortcut, const float *scales,
                             const float *biases, int affine, int activation) {
  int o = 0;
  for (; o + 4 <= out_channels; o += 4) {
    const float *w = weight + (long)o * in_channels;
    const long at = o * output_stride;
    int strip = 0;
#if PW_IS_WIDE
    for (; strip + 32 <= width; strip += 32)
      FN(pw_block_4_2)(in_channels, w, packed + strip * in_channels, output + at + strip, output_stride,
                       shortcut ? shortcut + at + strip : 0, scales + o, biases + o, affine, activation);
#endif
    for (; strip < width; strip += 16)
      FN(pw_block_4_1)(in_channels, w, packed + strip * in_channels, output + at + strip, output_stride,
                       shortcut ? shortcut + at + strip : 0, scales + o, biases + o, affine, activation);
  }
  for (; o < out_channels; o++) {
    const long at = o * output_stride;
    for (int strip = 0; strip < width; strip += 16)
      FN(pw_block_1_1)(in_channels, weight + (long)o * in_channels, packed + strip * in_channels, output + at + strip,
                       output_stride, shortcut ? shortcut + at + strip : 0, scales + o, biases + o, affine,
                       activation);
  }
}

static void FN(pw_forward)(int out_channels, int in_channels, int pixels, const float *weight, const float *input,
                           long input_stride, float *output, long output_stride, const float *shortcut,
                           const float *scales, const float *biases, int affine, int activation, float *packed) {
  const int whole = pixels - pixels % 16;
  for (int panel = 0; panel < whole; panel += PW_PANEL) {
    const int width = whole - panel < PW_PANEL ? whole - panel : PW_PANEL;
    for (int strip = 0; strip < width; strip += 16)
      for (int k = 0; k < in_channels; k++)
        for (int i = 0; i < 16; i++)
          packed[strip * in_channels + k * 16 + i] = input[k * input_stride + panel + strip + i];
    FN(pw_panel)(out_channels, in_channels, width, weight, packed, output + panel, output_stride,
                 shortcut ? shortcut + panel : 0, scales, biases, affine, activation);
  }
  if (whole == pixels) return;
  // The last pixels as one strip padded with zeros, a channel at a time through a 16-float row (so
  // nothing is written past them), with the same sum and epilogue per output as the others (7x7
  // maps leave 1 pixel of 49 and 17x17 ones 1 of 289, which one at a time cost MobileNetV2-style
  // expansions a third of their time).
  const int tail = pixels - whole;
  for (int k = 0; k < in_channels; k++)
    for (int i = 0; i < 16; i++) packed[k * 16 + i] = i < tail ? input[k * input_stride + whole + i] : 0;
  float row[16], shortcut_row[16];
  for (int o = 0; o < out_channels; o++) {
    const long at = o * output_stride + whole;
    if (shortcut)
      for (int i = 0; i < 16; i++) shortcut_row[i] = i < tail ? shortcut[at + i] : 0;
    FN(pw_block_1_1)(in_channels, weight + (long)o * in_channels, packed, row, 16, shortcut ? shortcut_row : 0,
                     scales + o, biases + o, affine, activation);
    for (int i = 0; i < tail; i++) output[at + i] = row[i];
  }
}

#undef PW_BLOCK
#undef PW_IS_WIDE
#undef FN
#undef NNC_CAT
#undef NNC_CAT2
