// The channels-last pointwise kernel, written once over GCC/Clang vector types and included by
// pointwise_nhwc.c once per instruction set: NNC_ISA names the variant, the including file sets the
// target attributes and, per variant, PWN_WIDE_<isa>: 1 where 16-float vectors are native
// (AVX-512). Not a public header: it defines functions.
//
// Every output is acc = 0, then acc = acc + input · weight for each input channel in increasing
// order (one expression, so FMA where the target has it), then the epilogue: the same operations
// whether the output sits in a 16-lane vector, an 8-lane one or the scalar tail, so the AVX2 and
// AVX-512 variants give the same bits.

#define NNC_CAT2(a, b) a##_##b
#define NNC_CAT(a, b) NNC_CAT2(a, b)
#define FN(name) NNC_CAT(name, NNC_ISA)
#define PWN_IS_WIDE NNC_CAT(PWN_WIDE, NNC_ISA)

#include "pointwise_finish_body.h"

// PIXELS pixels × LANES·VECTORS outputs from output channel o on, in LANES-lane vectors of TYPE,
// finished by FINISH: each weight vector loaded once per input channel for all the pixels, each
// input broadcast once for all the vectors. `wt` is the block's packed weights (blocks of 16 outputs,
// [k][16], or one block of 8): vector v's lie in block v·LANES / 16 at lane (v·LANES) mod 16, read in
// order; `r` is the shortcut aligned with `out`, or NULL. 8-lane 4 × 2 is 8 accumulators, with the
// two weight vectors and a broadcast 11 of AVX2's 16 registers; 16-lane 8 × 2 is 16 of AVX-512's
// 32, two weight loads and eight broadcasts feeding 16 fused multiply-adds where 4 × 2 loads six for
// eight.
#define PWN_BLOCK(NAME, TYPE, LANES, FINISH, PIXELS, VECTORS)                                               \
  PWN_INLINE void FN(NAME##_##PIXELS##_##VECTORS)(int k, int n, const float *wt, const float *x, float *out,  \
                                                  const float *r, const float *s, const float *b, int affine, \
                                                  int activation) {                                         \
    const int width = LANES * VECTORS < 16 ? LANES * VECTORS : 16;                                           \
    TYPE acc[PIXELS][VECTORS];                                                                               \
    for (int p = 0; p < PIXELS; p++)                                                                         \
      for (int v = 0; v < VECTORS; v++) acc[p][v] = (TYPE){0};                                               \
    for (int c = 0; c < k; c++) {                                                                            \
      TYPE w[VECTORS];                                                                                       \
      for (int v = 0; v < VECTORS; v++)                                                                      \
        w[v] = *(const TYPE *)(wt + (long)(v * LANES / 16) * 16 * k + (long)c * width + v * LANES % 16);     \
      for (int p = 0; p < PIXELS; p++) {                                                                     \
        const float input = x[(long)p * k + c];                                                              \
        for (int v = 0; v < VECTORS; v++) acc[p][v] = acc[p][v] + input * w[v];                              \
      }                                                                                                      \
    }                                                                                                        \
    for (int p = 0; p < PIXELS; p++)                                                                         \
      for (int v = 0; v < VECTORS; v++)                                                                      \
        *(TYPE *)(out + (long)p * n + LANES * v) =                                                           \
            FINISH(acc[p][v], affine, *(const TYPE *)(s + LANES * v), *(const TYPE *)(b + LANES * v),         \
                   activation, r ? r + (long)p * n + LANES * v : 0);                                         \
  }

// One output channel of PIXELS pixels: the same sum, in the same order, as a vector lane.
#define PWN_COLUMN(PIXELS)                                                                                   \
  PWN_INLINE void FN(column_##PIXELS)(int k, int n, const float *wt, const float *x, float *out,             \
                                      const float *r, float s, float b, int affine, int activation) {        \
    for (int p = 0; p < PIXELS; p++) {                                                                       \
      float acc = 0;                                                                                         \
      for (int c = 0; c < k; c++) acc = acc + x[(long)p * k + c] * wt[c];                                    \
      out[(long)p * n] = FN(finish1)(acc, affine, s, b, activation, r ? r + (long)p * n : 0);                \
    }                                                                                                        \
  }

PWN_BLOCK(block8, pwn_v8, 8, FN(finish8), 4, 2)
PWN_BLOCK(block8, pwn_v8, 8, FN(finish8), 4, 1)
PWN_BLOCK(block8, pwn_v8, 8, FN(finish8), 1, 2)
PWN_BLOCK(block8, pwn_v8, 8, FN(finish8), 1, 1)
PWN_BLOCK(block8, pwn_v8, 8, FN(finish8), 8, 1)
PWN_COLUMN(4)
PWN_COLUMN(1)
#if PWN_IS_WIDE
PWN_BLOCK(block16, pwn_v16, 16, FN(finish16), 8, 2)
PWN_BLOCK(block16, pwn_v16, 16, FN(finish16), 8, 1)
PWN_BLOCK(block16, pwn_v16, 16, FN(finish16), 4, 2)
PWN_BLOCK(block16, pwn_v16, 16, FN(finish16), 4, 1)
PWN_BLOCK(block16, pwn_v16, 16, FN(finish16), 1, 2)
PWN_BLOCK(block16, pwn_v16, 16, FN(finish16), 1, 1)

// 8 pixels × 24 outputs (a block of 16 and the block of 8 after it: MobileNetV2's 24-channel
// projections): 16 sums, each input broadcast once for a 16- and an 8-lane multiply-add. Each
// output's arithmetic is block16's and block8's, so the same bits. (`Benchmarks/pointwise_channels_last.c`,
// one Xeon core, 144 -> 24 at 16x16: 0.51 ms; separate 8 × 16 and 8 × 8 blocks 0.65, four-pixel
// blocks for the 8 as before 0.82.)
PWN_INLINE void FN(block24_8)(int k, int n, const float *wt, const float *x, float *out, const float *r,
                              const float *s, const float *b, int affine, int activation) {
  const float *wide = wt, *narrow = wt + 16L * k;
  pwn_v16 high[8];
  pwn_v8 low[8];
  for (int p = 0; p < 8; p++) high[p] = (pwn_v16){0}, low[p] = (pwn_v8){0};
  for (int c = 0; c < k; c++) {
    const pwn_v16 w16 = *(const pwn_v16 *)(wide + (long)c * 16);
    const pwn_v8 w8 = *(const pwn_v8 *)(narrow + (long)c * 8);
    for (int p = 0; p < 8; p++) {
      const float input = x[(long)p * k + c];
      high[p] = high[p] + input * w16;
      low[p] = low[p] + input * w8;
    }
  }
  for (int p = 0; p < 8; p++) {
    const float *shortcut = r ? r + (long)p * n : 0;
    *(pwn_v16 *)(out + (long)p * n) =
        FN(finish16)(high[p], affine, *(const pwn_v16 *)s, *(const pwn_v16 *)b, activation, shortcut);
    *(pwn_v8 *)(out + (long)p * n + 16) = FN(finish8)(low[p], affine, *(const pwn_v8 *)(s + 16),
                                                     *(const pwn_v8 *)(b + 16), activation,
                                                     shortcut ? shortcut + 16 : 0);
  }
}
#endif

// The outputs of PIXELS (4 or 1) pixels past the 16-lane blocks, from output channel o on and below
// `end`: the rest of the blocks of 16 in 8-lane pairs, then the block of 8, then single channels.
#define PWN_NARROW_ROW(PIXELS)                                                                               \
  PWN_INLINE void FN(narrow_row_##PIXELS)(int o, int end, int k, int n, const float *wt, const float *x,     \
                                          float *out, const float *r, const float *s, const float *b,        \
                                          int affine, int activation) {                                      \
    for (; o + 16 <= end; o += 16)                                                                           \
      FN(block8_##PIXELS##_2)(k, n, wt + (long)o * k, x, out + o, r ? r + o : 0, s + o, b + o, affine,       \
                              activation);                                                                   \
    for (; o + 8 <= end; o += 8)                                                                             \
      FN(block8_##PIXELS##_1)(k, n, wt + (long)o * k, x, out + o, r ? r + o : 0, s + o, b + o, affine,       \
                              activation);                                                                   \
    for (; o < end; o++)                                                                                     \
      FN(column_##PIXELS)(k, n, wt + (long)o * k, x, out + o, r ? r + o : 0, s[o], b[o], affine, activation); \
  }

PWN_NARROW_ROW(4)
PWN_NARROW_ROW(1)

#if PWN_IS_WIDE
// The blocks of 16 outputs of PIXELS (8, 4 or 1) pixels below `end`, two at a time while two
// remain; returns the first output channel past them.
#define PWN_WIDE_ROW(PIXELS)                                                                                 \
  PWN_INLINE int FN(wide_row_##PIXELS)(int k, int n, int end, const float *wt, const float *x, float *out,   \
                                       const float *r, const float *s, const float *b, int affine,           \
                                       int activation) {                                                     \
    int o = 0;                                                                                               \
    for (; o + 32 <= end; o += 32)                                                                           \
      FN(block16_##PIXELS##_2)(k, n, wt + (long)o * k, x, out + o, r ? r + o : 0, s + o, b + o, affine,      \
                               activation);                                                                  \
    for (; o + 16 <= end; o += 16)                                                                           \
      FN(block16_##PIXELS##_1)(k, n, wt + (long)o * k, x, out + o, r ? r + o : 0, s + o, b + o, affine,      \
                               activation);                                                                  \
    return o;                                                                                                \
  }

PWN_WIDE_ROW(8)
PWN_WIDE_ROW(4)
PWN_WIDE_ROW(1)
#endif

static void FN(pwn_forward)(int n, int k, int pixels, const float *wt, const float *input, float *output,
                            const float *shortcut, const float *s, const float *b, int affine, int activation) {
  int p = 0;
#if PWN_IS_WIDE
  // Eight pixels a block sweep the weights half as often as four; a block of 8 outputs after the
  // 16s joins the last 16 (`block24_8`), other tail outputs stay in 8-lane blocks of four pixels.
  for (; p + 8 <= pixels; p += 8) {
    const float *x = input + (long)p * k, *r = shortcut ? shortcut + (long)p * n : 0;
    float *out = output + (long)p * n;
    int o = 0;
    if (n % 16 == 8 && n >= 24) {
      // The block of 8 past the 16s with the 16 before it, where the four-pixel tail below kept four
      // sums in flight, bound by the adds' latency.
      o = FN(wide_row_8)(k, n, n - 24, wt, x, out, r, s, b, affine, activation);
      FN(block24_8)(k, n, wt + (long)o * k, x, out + o, r ? r + o : 0, s + o, b + o, affine, activation);
      o += 24;
    } else {
      o = FN(wide_row_8)(k, n, n, wt, x, out, r, s, b, affine, activation);
    }
    for (int half = 0; half < 8; half += 4)
      FN(narrow_row_4)(o, n, k, n, wt, x + (long)half * k, out + (long)half * n, r ? r + (long)half * n : 0, s, b,
                       affine, activation);
  }
  for (; p + 4 <= pixels; p += 4) {
    const float *x = input + (long)p * k, *r = shortcut ? shortcut + (long)p * n : 0;
    float *out = output + (long)p * n;
    const int o = FN(wide_row_4)(k, n, n, wt, x, out, r, s, b, affine, activation);
    FN(narrow_row_4)(o, n, k, n, wt, x, out, r, s, b, affine, activation);
  }
  for (; p < pixels; p++) {
    const float *x = input + (long)p * k, *r = shortcut ? shortcut + (long)p * n : 0;
    float *out = output + (long)p * n;
    const int o = FN(wide_row_1)(k, n, n, wt, x, out, r, s, b, affine, activation);
    FN(narrow_row_1)(o, n, k, n, wt, x, out, r, s, b, affine, activation);
  }
#else
  // A block of 8 past the 16s as 8 pixels × 8 (eight sums in flight, where blocks of four pixels
  // had four), the 16s in pairs of four pixels.
  for (; n % 16 == 8 && p + 8 <= pixels; p += 8) {
    const float *x = input + (long)p * k, *r = shortcut ? shortcut + (long)p * n : 0;
    float *out = output + (long)p * n;
    for (int half = 0; half < 8; half += 4)
      FN(narrow_row_4)(0, n - 8, k, n, wt, x + (long)half * k, out + (long)half * n, r ? r + (long)half * n : 0, s,
                       b, affine, activation);
    FN(block8_8_1)(k, n, wt + (long)(n - 8) * k, x, out + n - 8, r ? r + n - 8 : 0, s + n - 8, b + n - 8, affine,
                   activation);
  }
  for (; p + 4 <= pixels; p += 4)
    FN(narrow_row_4)(0, n, k, n, wt, input + (long)p * k, output + (long)p * n,
                     shortcut ? shortcut + (long)p * n : 0, s, b, affine, activation);
  for (; p < pixels; p++)
    FN(narrow_row_1)(0, n, k, n, wt, input + (long)p * k, output + (long)p * n,
                     shortcut ? shortcut + (long)p * n : 0, s, b, affine, activation);
#endif
}

#undef PWN_BLOCK
#undef PWN_COLUMN
#undef PWN_NARROW_ROW
#undef PWN_WIDE_ROW
#undef PWN_IS_WIDE
#undef FN
#undef NNC_CAT
#undef NNC_CAT2
