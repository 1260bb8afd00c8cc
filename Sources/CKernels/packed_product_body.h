// The packed product's register tiles and task loop (`packed_product.c`), written once over GCC/Clang
// vector types and included once per instruction set: NNC_ISA names the variant, PP_WIDE_<isa> is 1
// where 16-float vectors are native (AVX-512). Not a public header: it defines functions.
//
// Vectors run over output channels and the columns are broadcast, as in the channels-last pointwise
// kernel: a tile of 8 columns × 32 channels is 16 accumulators of 16 lanes (AVX-512), two weight
// loads and eight broadcasts feeding 16 fused multiply-adds; the other orientation (vectors over
// columns, weights broadcast) ran at 80–90 % of this one's rate on the same shapes. The tile is then
// transposed, 8 × 8 at a time, into rows of 8 columns per channel for the channels-first output.
//
// Every output is acc = 0, then acc = acc + column value · weight for each k in increasing order
// (one expression, so FMA where the target has it), then v · s + b and the rest of the epilogue of
// `pointwise_finish_body.h` (without its affine step): the same operations in a 16- or 8-lane tile or
// a ragged group, so the AVX2 and AVX-512 variants give the same bits.

#define NNC_CAT2(a, b) a##_##b
#define NNC_CAT(a, b) NNC_CAT2(a, b)
#define FN(name) NNC_CAT(name, NNC_ISA)
#define PP_IS_WIDE NNC_CAT(PP_WIDE, NNC_ISA)

#include "pointwise_finish_body.h"

// Short names for the header's tile sizes within this body.
#define PP_CHANNELS NNC_PACKED_PRODUCT_CHANNELS
#define PP_GROUP NNC_PACKED_PRODUCT_GROUP

// The tile's sums as 8-lane vectors sum[c][j] (column c, channels 8j to 8j + 7 of the block), affine
// step applied, into channel rows: row o of the block (o below `rows`) gets its 8 columns at
// out + o · ldo, with its shortcut (or NULL) at r + o · ldr.
PWN_INLINE void FN(store_tile)(pwn_v8 sum[PP_GROUP][PP_CHANNELS / 8], int rows, float *out, long ldo, const float *r,
                               long ldr, int activation) {
  for (int j = 0; j < PP_CHANNELS / 8 && 8 * j < rows; j++) {
    nnc_lanes8 block[8];
    for (int c = 0; c < 8; c++) block[c] = (nnc_lanes8)sum[c][j];
    nnc_transpose8x8(block);
    for (int i = 0; i < 8 && 8 * j + i < rows; i++) {
      const long o = 8 * j + i;
      *(pwn_v8 *)(out + o * ldo) = FN(finish8)((pwn_v8)block[i], 0, (pwn_v8){0}, (pwn_v8){0}, activation,
                                              r ? r + o * ldr : 0);
    }
  }
}

#if PP_IS_WIDE
// 8 columns × 32 channels: `w` is the block's packed weights ([k][32]), `s` and `b` the block's 32
// scales and biases; column c's term q is XVALUE: the group's packed columns `x` ([k][8]), or read
// in place from the input at x + xo[q] + c · stride (a group of one output row whose taps all lie
// inside the input: no packing).
#define PP_TILE(NAME, XVALUE)                                                                                \
  PWN_INLINE void FN(NAME)(int k, const float *w, const float *x, const int *xo, const float *s,           \
                           const float *b, int affine, int rows, float *out, long ldo, const float *r,     \
                           long ldr, int activation) {                                                     \
    pwn_v16 acc[PP_GROUP][2];                                                                              \
    for (int c = 0; c < PP_GROUP; c++) acc[c][0] = acc[c][1] = (pwn_v16){0};                               \
    for (int q = 0; q < k; q++) {                                                                          \
      const pwn_v16 w0 = *(const pwn_v16 *)(w + (long)q * PP_CHANNELS);                                    \
      const pwn_v16 w1 = *(const pwn_v16 *)(w + (long)q * PP_CHANNELS + 16);                               \
      /* The block's weights 8 terms ahead: ResNet-50's packed-product layers 121.8 -> 116.8 ms a */       \
      /* batch of 8 on an AVX-512 Xeon (every layer but one 1-10 % faster, alternating profiles). */       \
      __builtin_prefetch(w + (long)(q + 8) * PP_CHANNELS);                                                 \
      __builtin_prefetch(w + (long)(q + 8) * PP_CHANNELS + 16);                                            \
      for (int c = 0; c < PP_GROUP; c++) {                                                                 \
        const float value = XVALUE;                                                                        \
        acc[c][0] = acc[c][0] + value * w0;                                                                \
        acc[c][1] = acc[c][1] + value * w1;                                                                \
      }                                                                                                    \
    }                                                                                                      \
    pwn_v8 sum[PP_GROUP][PP_CHANNELS / 8];                                                                 \
    for (int c = 0; c < PP_GROUP; c++) {                                                                   \
      for (int v = 0; v < 2; v++) {                                                                        \
        pwn_v16 value = acc[c][v];                                                                         \
        if (affine) value = value * *(const pwn_v16 *)(s + 16 * v) + *(const pwn_v16 *)(b + 16 * v);      \
        sum[c][2 * v] = __builtin_shufflevector(value, value, 0, 1, 2, 3, 4, 5, 6, 7);                     \
        sum[c][2 * v + 1] = __builtin_shufflevector(value, value, 8, 9, 10, 11, 12, 13, 14, 15);           \
      }                                                                                                    \
    }                                                                                                      \
    FN(store_tile)(sum, rows, out, ldo, r, ldr, activation);                                               \
  }
#else
// The same tile as 4 columns × 16 channels at a time (8 accumulators of AVX2's 16 registers).
#define PP_TILE(NAME, XVALUE)                                                                                \
  PWN_INLINE void FN(NAME)(int k, const float *w, const float *x, const int *xo, const float *s,           \
                           const float *b, int affine, int rows, float *out, long ldo, const float *r,     \
                           long ldr, int activation) {                                                     \
    pwn_v8 sum[PP_GROUP][PP_CHANNELS / 8];                                                                 \
    for (int half = 0; half < 2; half++) {                                                                 \
      for (int quad = 0; quad < 2; quad++) {                                                               \
        pwn_v8 acc[4][2];                                                                                  \
        for (int j = 0; j < 4; j++) acc[j][0] = acc[j][1] = (pwn_v8){0};                                   \
        for (int q = 0; q < k; q++) {                                                                      \
          const pwn_v8 w0 = *(const pwn_v8 *)(w + (long)q * PP_CHANNELS + 16 * half);                      \
          const pwn_v8 w1 = *(const pwn_v8 *)(w + (long)q * PP_CHANNELS + 16 * half + 8);                  \
          for (int j = 0; j < 4; j++) {                                                                    \
            const int c = 4 * quad + j;                                                                    \
            const float value = XVALUE;                                                                    \
            acc[j][0] = acc[j][0] + value * w0;                                                            \
            acc[j][1] = acc[j][1] + value * w1;                                                            \
          }                                                                                                \
        }                                                                                                  \
        for (int j = 0; j < 4; j++) {                                                                      \
          for (int v = 0; v < 2; v++) {                                                                    \
            pwn_v8 value = acc[j][v];                                                                      \
            const int lane = 16 * half + 8 * v;                                                            \
            if (affine) value = value * *(const pwn_v8 *)(s + lane) + *(const pwn_v8 *)(b + lane);         \
            sum[4 * quad + j][2 * half + v] = value;                                                       \
          }                                                                                                \
        }                                                                                                  \
      }                                                                                                    \
    }                                                                                                      \
    FN(store_tile)(sum, rows, out, ldo, r, ldr, activation);                                               \
  }
#endif

PP_TILE(tile, x[(long)q * PP_GROUP + c])
PP_TILE(tile_in_place_1, x[xo[q] + c])
PP_TILE(tile_in_place_2, x[xo[q] + 2 * c])
#undef PP_TILE

// The tile of column group g (of `count` columns from `first`) and the block of channels from m0
// (`rows` of them). A group inside one sample's plane is written in place, the lines two groups on
// of its rows (output, and shortcut) prefetched while the tile sums (ResNet-50's 1x1 layers with a
// residual addition ran 8-20 % slower without); one that crosses a sample's end or the task's is
// computed into a local tile (its shortcut gathered into another) and copied out.
PWN_INLINE void FN(group_tile)(int g, int m0, int rows, int patch, int out_channels, int out_plane,
                               const float *packed, const float *work, const float *origin, const int *xo,
                               int stride, long first, int count, float *output, const float *shortcut,
                               const float *s, const float *b, int affine, int activation) {
  const long column = first + (long)g * PP_GROUP;
  const int n = count - g * PP_GROUP < PP_GROUP ? count - g * PP_GROUP : PP_GROUP;
  const long sample = column / out_plane;
  const int position = (int)(column % out_plane);
  const float *x = work + (long)g * patch * PP_GROUP;
  const float *w = packed + (long)m0 * patch;
  if (n == PP_GROUP && position + PP_GROUP <= out_plane) {
    const long at = (sample * out_channels + m0) * out_plane + position;
    if (position + 3 * PP_GROUP <= out_plane) {
      for (int o = 0; o < rows; o++) {
        const long next = at + (long)o * out_plane + 2 * PP_GROUP;
        __builtin_prefetch(output + next, 1);
        if (shortcut) __builtin_prefetch(shortcut + next);
      }
    }
    float *target = output + at;
    const float *r = shortcut ? shortcut + at : 0;
    if (origin && stride == 1)
      FN(tile_in_place_1)(patch, w, origin, xo, s + m0, b + m0, affine, rows, target, out_plane, r, out_plane,
                          activation);
    else if (origin)
      FN(tile_in_place_2)(patch, w, origin, xo, s + m0, b + m0, affine, rows, target, out_plane, r, out_plane,
                          activation);
    else
      FN(tile)(patch, w, x, xo, s + m0, b + m0, affine, rows, target, out_plane, r, out_plane, activation);
    return;
  }
  float tile_out[PP_CHANNELS * PP_GROUP], tile_shortcut[PP_CHANNELS * PP_GROUP];
  long offset[PP_GROUP];
  for (int j = 0; j < n; j++) {
    const long c = column + j;
    offset[j] = (c / out_plane * out_channels + m0) * (long)out_plane + c % out_plane;
  }
  if (shortcut) {
    for (int o = 0; o < rows; o++)
      for (int j = 0; j < PP_GROUP; j++)
        tile_shortcut[o * PP_GROUP + j] = j < n ? shortcut[offset[j] + (long)o * out_plane] : 0;
  }
  FN(tile)(patch, w, x, xo, s + m0, b + m0, affine, rows, tile_out, PP_GROUP, shortcut ? tile_shortcut : 0,
           PP_GROUP, activation);
  for (int o = 0; o < rows; o++)
    for (int j = 0; j < n; j++) output[offset[j] + (long)o * out_plane] = tile_out[o * PP_GROUP + j];
}

// The task's channels [first_row, first_row + row_count) over its column groups, in chunks of
// `chunk` channels whose weights stay in cache while every group passes; a group's columns stay in
// L1 across the chunk's blocks. All groups are packed (`pack_group`) before the first tile: packing
// each group as its tiles reached it, with the next group's input prefetched, ran ResNet-50's 1x1
// layers on 56x56 maps 1.1-1.3x slower on a Xeon (level elsewhere) — the packing's loads, 32 bytes
// from each of `patch` planes a group, then wait on memory between tiles instead of overlapping
// each other. (Packing plane by plane instead, each plane's part of the task read as one run, was
// slower again: 1.25x on 256 -> 64 at 56x56.) (Blocks outer, groups inner, wrote each row
// along as one stream, and ran ResNet-50's 1x1 layers with a residual addition 5-35 % slower than
// this order; two or four groups at a time across the blocks, so that consecutive tiles write a
// row's whole cache line, 3-15 % slower.)
static void FN(pp_forward)(const nnc_patch_shape *shape, const float *input, int pointwise, int patch,
                           int out_channels, const float *packed, float *work, long first, int count, int first_row,
                           int row_count, int chunk, const int *xo, float *output, const float *shortcut,
                           const float *s, const float *b, int affine, int activation) {
  const int out_plane = shape->out_height * shape->out_width;
  const int groups = (count + PP_GROUP - 1) / PP_GROUP;
  const int end_row = first_row + row_count;
  const float *origins[groups];
  for (int g = 0; g < groups; g++) {
    const long column = first + (long)g * PP_GROUP;
    const int n = nnc_min(PP_GROUP, count - g * PP_GROUP);
    origins[g] = xo && n == PP_GROUP ? in_place_origin(shape, input, column) : 0;
    if (!origins[g]) pack_group(shape, input, column, n, pointwise, work + (long)g * patch * PP_GROUP);
  }
  for (int chunk_row = first_row; chunk_row < end_row; chunk_row += chunk) {
    const int chunk_end = chunk_row + chunk < end_row ? chunk_row + chunk : end_row;
    for (int g = 0; g < groups; g++) {
      for (int m0 = chunk_row; m0 < chunk_end; m0 += PP_CHANNELS) {
        const int rows = chunk_end - m0 < PP_CHANNELS ? chunk_end - m0 : PP_CHANNELS;
        FN(group_tile)(g, m0, rows, patch, out_channels, out_plane, packed, work, origins[g], xo, shape->stride_w,
                       first, count, output, shortcut, s, b, affine, activation);
      }
    }
  }
}

#undef PP_CHANNELS
#undef PP_GROUP
#undef PP_IS_WIDE
#undef FN
#undef NNC_CAT
#undef NNC_CAT2
