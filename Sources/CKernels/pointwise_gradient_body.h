// The pointwise weight gradient (`pointwise_gradient.c`), written once over 16-float vectors and
// included once per instruction set: NNC_ISA names the variant. Not a public header: it defines
// functions.

#define NNC_CAT2(a, b) a##_##b
#define NNC_CAT(a, b) NNC_CAT2(a, b)
#define FN(name) NNC_CAT(name, NNC_ISA)
#define INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("clang loop unroll(full)")

#include "vector16_body.h"

// One step of a tile: pixels p … p + 15 (the `live` first of them) of its rows, a the output
// gradient's and b the input's; rows past the tile's edge read row 0 again, and their sums are
// dropped.
INLINE void FN(pg_step)(v16 acc[PG_ROWS][PG_COLUMNS], const float *const dy[PG_ROWS],
                        const float *const x[PG_COLUMNS], int p, int live) {
  v16 a[PG_ROWS], b[PG_COLUMNS];
  UNROLL for (int r = 0; r < PG_ROWS; r++) a[r] = FN(load_live)(dy[r] + p, live);
  UNROLL for (int c = 0; c < PG_COLUMNS; c++) b[c] = FN(load_live)(x[c] + p, live);
  UNROLL for (int r = 0; r < PG_ROWS; r++) UNROLL for (int c = 0; c < PG_COLUMNS; c++) acc[r][c] += a[r] * b[c];
}

// Rows o0 … o0 + PG_ROWS − 1 (those below out_channels) of the gradient: for each chunk of input
// tiles, the samples in order, each sample's tiles over its planes, the partial sums kept between
// samples in `part`.
INLINE void FN(pg_rows)(int o0, int out_channels, int in_channels, int pixels, int samples, const float *dy,
                        long dy_stride, const float *x, long x_stride, float *gw) {
  const int rows = out_channels - o0 < PG_ROWS ? out_channels - o0 : PG_ROWS;
  const int tiles = (in_channels + PG_COLUMNS - 1) / PG_COLUMNS;
  v16 part[PG_CHUNK_TILES][PG_ROWS][PG_COLUMNS];
  for (int t0 = 0; t0 < tiles; t0 += PG_CHUNK_TILES) {
    const int chunk = tiles - t0 < PG_CHUNK_TILES ? tiles - t0 : PG_CHUNK_TILES;
    for (int t = 0; t < chunk; t++)
      UNROLL for (int r = 0; r < PG_ROWS; r++) UNROLL for (int c = 0; c < PG_COLUMNS; c++) part[t][r][c] = (v16){0};
    for (int n = 0; n < samples; n++) {
      const float *a[PG_ROWS];
      UNROLL for (int r = 0; r < PG_ROWS; r++) a[r] = dy + n * dy_stride + (long)(o0 + (r < rows ? r : 0)) * pixels;
      for (int t = 0; t < chunk; t++) {
        const int i0 = (t0 + t) * PG_COLUMNS, columns = in_channels - i0 < PG_COLUMNS ? in_channels - i0 : PG_COLUMNS;
        const float *b[PG_COLUMNS];
        UNROLL for (int c = 0; c < PG_COLUMNS; c++) b[c] = x + n * x_stride + (long)(i0 + (c < columns ? c : 0)) * pixels;
        v16 acc[PG_ROWS][PG_COLUMNS];
        UNROLL for (int r = 0; r < PG_ROWS; r++) UNROLL for (int c = 0; c < PG_COLUMNS; c++) acc[r][c] = part[t][r][c];
        int p = 0;
        for (; p + 16 <= pixels; p += 16) FN(pg_step)(acc, a, b, p, 16);
        if (p < pixels) FN(pg_step)(acc, a, b, p, pixels - p);
        UNROLL for (int r = 0; r < PG_ROWS; r++) UNROLL for (int c = 0; c < PG_COLUMNS; c++) part[t][r][c] = acc[r][c];
      }
    }
    for (int t = 0; t < chunk; t++) {
      const int i0 = (t0 + t) * PG_COLUMNS, columns = in_channels - i0 < PG_COLUMNS ? in_channels - i0 : PG_COLUMNS;
      for (int r = 0; r < rows; r++)
        for (int c = 0; c < columns; c++) gw[(long)(o0 + r) * in_channels + i0 + c] += FN(sum16)(part[t][r][c]);
    }
  }
}

static void FN(pg_weight_gradient)(int out_channels, int in_channels, int pixels, int samples, const float *dy,
                                   long dy_stride, const float *x, long x_stride, float *gw) {
  for (int o0 = 0; o0 < out_channels; o0 += PG_ROWS)
    FN(pg_rows)(o0, out_channels, in_channels, pixels, samples, dy, dy_stride, x, x_stride, gw);
}

#undef UNROLL
#undef INLINE
#undef FN
#undef NNC_CAT
#undef NNC_CAT2
