// The packed product's register tiles and task loop (`packed_product.c`), written once over GCC/Clang
// vector types and included once per instruction set: NNC_ISA names the variant, PP_WIDE_<isa> is 1
// where 16-float vectors are native (AVX-512). Not a public header: it defines functions.
//
// Every output is acc = 0, then acc = acc + weight · column value for each k in increasing order
// (one expression, so FMA where the target has it), then the epilogue of `pointwise_finish_body.h`:
// the same operations in a 16-lane tile, an 8-lane one or a ragged panel, so the AVX2 and AVX-512
// variants give the same bits.

#define NNC_CAT2(a, b) a##_##b
#define NNC_CAT(a, b) NNC_CAT2(a, b)
#define FN(name) NNC_CAT(name, NNC_ISA)
#define PP_IS_WIDE NNC_CAT(PP_WIDE, NNC_ISA)

#include "pointwise_finish_body.h"

// ROWS output channels × 2 LANES-lane vectors of columns: `a` is the channels' packed weights ([k][12],
// ROWS of them read from the first), `b` the columns' packed values ([k][32], 2 · LANES of them from
// the first); `rows` (at most ROWS) are written, row i at out + i · ldo, its shortcut (or NULL) at
// r + i · ldr. 16-lane 12 × 2 is 24 accumulators of AVX-512's 32 registers, two column loads and twelve
// broadcasts feeding 24 fused multiply-adds; 8-lane 6 × 2 is 12 of AVX2's 16.
#define PP_TILE(NAME, TYPE, LANES, FINISH, ROWS)                                                            \
  PWN_INLINE void FN(NAME)(int k, const float *a, const float *b, int rows, float *out, long ldo,            \
                           const float *r, long ldr, const float *s, const float *bias, int affine,          \
                           int activation) {                                                                 \
    TYPE acc[ROWS][2];                                                                                       \
    for (int i = 0; i < ROWS; i++) acc[i][0] = acc[i][1] = (TYPE){0};                                        \
    for (int c = 0; c < k; c++) {                                                                            \
      const TYPE b0 = *(const TYPE *)(b + (long)c * NNC_PACKED_PRODUCT_COLUMNS);                             \
      const TYPE b1 = *(const TYPE *)(b + (long)c * NNC_PACKED_PRODUCT_COLUMNS + LANES);                     \
      for (int i = 0; i < ROWS; i++) {                                                                       \
        const float w = a[(long)c * NNC_PACKED_PRODUCT_ROWS + i];                                            \
        acc[i][0] = acc[i][0] + w * b0;                                                                      \
        acc[i][1] = acc[i][1] + w * b1;                                                                      \
      }                                                                                                      \
    }                                                                                                        \
    for (int i = 0; i < rows; i++) {                                                                         \
      const TYPE sv = (TYPE){0} + s[i], bv = (TYPE){0} + bias[i];                                            \
      const float *ri = r ? r + i * ldr : 0;                                                                 \
      *(TYPE *)(out + i * ldo) = FINISH(acc[i][0], affine, sv, bv, activation, ri);                          \
      *(TYPE *)(out + i * ldo + LANES) = FINISH(acc[i][1], affine, sv, bv, activation, ri ? ri + LANES : 0); \
    }                                                                                                        \
  }

#if PP_IS_WIDE
PP_TILE(tile16, pwn_v16, 16, FN(finish16), 12)

PWN_INLINE void FN(tile)(int k, const float *a, const float *b, int rows, float *out, long ldo, const float *r,
                         long ldr, const float *s, const float *bias, int affine, int activation) {
  FN(tile16)(k, a, b, rows, out, ldo, r, ldr, s, bias, affine, activation);
}
#else
PP_TILE(tile8, pwn_v8, 8, FN(finish8), 6)

// The 12 × 32 tile as four 6 × 16 ones, each reading its half of the weights and of the columns.
PWN_INLINE void FN(tile)(int k, const float *a, const float *b, int rows, float *out, long ldo, const float *r,
                         long ldr, const float *s, const float *bias, int affine, int activation) {
  for (int half = 0; half < 12 && half < rows; half += 6) {
    const int count = rows - half < 6 ? rows - half : 6;
    for (int column = 0; column < 32; column += 16)
      FN(tile8)(k, a + half, b + column, count, out + half * ldo + column, ldo,
                r ? r + half * ldr + column : 0, ldr, s + half, bias + half, affine, activation);
  }
}
#endif

// The task's panels of output channels [first_row, first_row + row_count) over its packed columns:
// a channel panel's weights stay in cache across the column panels. A column panel inside one
// sample's plane is written in place; one that crosses a sample's end or the task's is computed into
// a local tile (its shortcut gathered into another) and copied out.
static void FN(pp_forward)(int patch, int out_channels, int out_plane, const float *packed, const float *work,
                           long first, int count, int first_row, int row_count, float *output,
                           const float *shortcut, const float *s, const float *b, int affine, int activation) {
  const int panels = (count + NNC_PACKED_PRODUCT_COLUMNS - 1) / NNC_PACKED_PRODUCT_COLUMNS;
  const int end_row = first_row + row_count;
  float tile_out[NNC_PACKED_PRODUCT_ROWS * NNC_PACKED_PRODUCT_COLUMNS];
  float tile_shortcut[NNC_PACKED_PRODUCT_ROWS * NNC_PACKED_PRODUCT_COLUMNS];
  for (int m0 = first_row; m0 < end_row; m0 += NNC_PACKED_PRODUCT_ROWS) {
    const float *a = packed + (long)m0 * patch;
    const int rows = end_row - m0 < NNC_PACKED_PRODUCT_ROWS ? end_row - m0 : NNC_PACKED_PRODUCT_ROWS;
    for (int q = 0; q < panels; q++) {
      const long column = first + (long)q * NNC_PACKED_PRODUCT_COLUMNS;
      const int n = count - q * NNC_PACKED_PRODUCT_COLUMNS < NNC_PACKED_PRODUCT_COLUMNS
                        ? count - q * NNC_PACKED_PRODUCT_COLUMNS
                        : NNC_PACKED_PRODUCT_COLUMNS;
      const long sample = column / out_plane;
      const int position = (int)(column % out_plane);
      const float *panel = work + (long)q * patch * NNC_PACKED_PRODUCT_COLUMNS;
      if (n == NNC_PACKED_PRODUCT_COLUMNS && position + NNC_PACKED_PRODUCT_COLUMNS <= out_plane) {
        const long offset = (sample * out_channels + m0) * out_plane + position;
        // The next panel's output and shortcut lines, 2 · rows of each from as many planes: fetched
        // while this tile sums, they no longer stall its epilogue (ResNet-50's 1x1 layers with a
        // residual addition ran 25 % slower without).
        if (position + 2 * NNC_PACKED_PRODUCT_COLUMNS <= out_plane) {
          for (int i = 0; i < rows; i++) {
            const long next = offset + (long)i * out_plane + NNC_PACKED_PRODUCT_COLUMNS;
            __builtin_prefetch(output + next, 1);
            __builtin_prefetch(output + next + 16, 1);
            if (shortcut) {
              __builtin_prefetch(shortcut + next);
              __builtin_prefetch(shortcut + next + 16);
            }
          }
        }
        FN(tile)(patch, a, panel, rows, output + offset, out_plane, shortcut ? shortcut + offset : 0, out_plane,
                 s + m0, b + m0, affine, activation);
        continue;
      }
      // The panel's columns as runs within one sample each.
      long run_offset[NNC_PACKED_PRODUCT_COLUMNS];
      for (int j = 0; j < n; j++) {
        const long c = column + j;
        run_offset[j] = (c / out_plane * out_channels + m0) * out_plane + c % out_plane;
      }
      if (shortcut) {
        for (int i = 0; i < rows; i++)
          for (int j = 0; j < NNC_PACKED_PRODUCT_COLUMNS; j++)
            tile_shortcut[i * NNC_PACKED_PRODUCT_COLUMNS + j] =
                j < n ? shortcut[run_offset[j] + (long)i * out_plane] : 0;
      }
      FN(tile)(patch, a, panel, rows, tile_out, NNC_PACKED_PRODUCT_COLUMNS, shortcut ? tile_shortcut : 0,
               NNC_PACKED_PRODUCT_COLUMNS, s + m0, b + m0, affine, activation);
      for (int i = 0; i < rows; i++)
        for (int j = 0; j < n; j++)
          output[run_offset[j] + (long)i * out_plane] = tile_out[i * NNC_PACKED_PRODUCT_COLUMNS + j];
    }
  }
}

#undef PP_TILE
#undef PP_IS_WIDE
#undef FN
#undef NNC_CAT
#undef NNC_CAT2
