// The plane product's register tiles and task loop (`plane_product.c`), written once over GCC/Clang
// vector types and included once per instruction set: NNC_ISA names the variant, PL_WIDE_<isa> is 1
// where 16-float vectors are native (AVX-512). Not a public header: it defines functions.
//
// Vectors run along the plane and the weights are broadcast, so a tile's sums are already rows of
// its output planes: no transposition, each row written as whole vectors. Every output is acc = 0,
// then acc = acc + weight · column value for each k in increasing order (one expression, so FMA
// where the target has it), then the epilogue of `pointwise_finish_body.h` with its affine step:
// the packed product's operations, in a tile of 16 or 8 lanes alike, so the AVX2 and AVX-512
// variants give the same bits.

#define NNC_CAT2(a, b) a##_##b
#define NNC_CAT(a, b) NNC_CAT2(a, b)
#define FN(name) NNC_CAT(name, NNC_ISA)
#define PL_IS_WIDE NNC_CAT(PL_WIDE, NNC_ISA)

#include "pointwise_finish_body.h"

// Short names for the header's tile sizes within this body.
#define PL_ROWS NNC_PLANE_PRODUCT_CHANNELS
#define PL_COLUMNS NNC_PLANE_PRODUCT_COLUMNS
#define PL_UNROLL _Pragma("clang loop unroll(full)")

#if PL_IS_WIDE
// The block's 6 channels × VECTORS (1 to 4) vectors of 16 columns: `w` the block's packed weights
// ([k][6]), `x` the tile's columns (term q's at x + q · ldx); rows below `rows` are written at
// out + i · ldo with their shortcut (or NULL) at r + i · ldr. One function per vector count, its loops unrolled
// outright, so that the accumulators live in registers (a count passed in, even inlined as a
// constant, left the zeroing a memset of a stack array the loop then reloaded: a tenth of the time).
#define PL_TILE(VECTORS)                                                                                     \
  PWN_INLINE void FN(tile##VECTORS)(int k, const float *w, const float *x, long ldx, const float *s,          \
                                    const float *b, int affine, int rows, float *out, long ldo, const float *r, \
                                    long ldr, int activation) {                                               \
    pwn_v16 acc[PL_ROWS][VECTORS];                                                                           \
    PL_UNROLL for (int i = 0; i < PL_ROWS; i++) PL_UNROLL for (int v = 0; v < VECTORS; v++) acc[i][v] =       \
        (pwn_v16){0};                                                                                        \
    for (int q = 0; q < k; q++) {                                                                            \
      pwn_v16 column[VECTORS];                                                                               \
      PL_UNROLL for (int v = 0; v < VECTORS; v++) column[v] = *(const pwn_v16 *)(x + (long)q * ldx + 16 * v);  \
      /* Term q + 8's columns, rows `ldx` apart: a plane's rows (12.5 KiB apart on 56x56 maps) are */        \
      /* beyond the L1 stride prefetcher's reach. ResNet-50's plane products 2-4 % faster in the */            \
      /* model (alternating profiles; 4 and 16 terms ahead level with 8); the AVX2 tile's, level to 1 %. */ \
      PL_UNROLL for (int v = 0; v < VECTORS; v++) __builtin_prefetch(x + (long)(q + 8) * ldx + 16 * v);     \
      PL_UNROLL for (int i = 0; i < PL_ROWS; i++) {                                                          \
        const float weight = w[(long)q * PL_ROWS + i];                                                       \
        PL_UNROLL for (int v = 0; v < VECTORS; v++) acc[i][v] = acc[i][v] + weight * column[v];              \
      }                                                                                                      \
    }                                                                                                        \
    PL_UNROLL for (int i = 0; i < PL_ROWS; i++) {                                                            \
      if (i < rows) {                                                                                        \
        PL_UNROLL for (int v = 0; v < VECTORS; v++) *(pwn_v16 *)(out + i * ldo + 16 * v) =                   \
            FN(finish16)(acc[i][v], affine, (pwn_v16){0} + s[i], (pwn_v16){0} + b[i], activation,            \
                         r ? r + i * ldr + 16 * v : 0);                                                      \
      }                                                                                                      \
    }                                                                                                        \
  }
#else
// The same tile 16 columns at a time: 6 channels × 2 vectors of 8 (12 accumulators of AVX2's 16
// registers), each part summing over the whole k.
#define PL_TILE(VECTORS)                                                                                     \
  PWN_INLINE void FN(tile##VECTORS)(int k, const float *w, const float *x, long ldx, const float *s,          \
                                    const float *b, int affine, int rows, float *out, long ldo, const float *r, \
                                    long ldr, int activation) {                                               \
    for (int part = 0; part < VECTORS; part++) {                                                             \
      const int c0 = 16 * part;                                                                              \
      pwn_v8 acc[PL_ROWS][2];                                                                                \
      PL_UNROLL for (int i = 0; i < PL_ROWS; i++) acc[i][0] = acc[i][1] = (pwn_v8){0};                       \
      for (int q = 0; q < k; q++) {                                                                          \
        const pwn_v8 column0 = *(const pwn_v8 *)(x + (long)q * ldx + c0);                                    \
        const pwn_v8 column1 = *(const pwn_v8 *)(x + (long)q * ldx + c0 + 8);                                \
        __builtin_prefetch(x + (long)(q + 8) * ldx + c0);                                                    \
        PL_UNROLL for (int i = 0; i < PL_ROWS; i++) {                                                        \
          const float weight = w[(long)q * PL_ROWS + i];                                                     \
          acc[i][0] = acc[i][0] + weight * column0;                                                          \
          acc[i][1] = acc[i][1] + weight * column1;                                                          \
        }                                                                                                    \
      }                                                                                                      \
      PL_UNROLL for (int i = 0; i < PL_ROWS; i++) {                                                          \
        if (i < rows) {                                                                                      \
          PL_UNROLL for (int v = 0; v < 2; v++) *(pwn_v8 *)(out + i * ldo + c0 + 8 * v) =                    \
              FN(finish8)(acc[i][v], affine, (pwn_v8){0} + s[i], (pwn_v8){0} + b[i], activation,             \
                          r ? r + i * ldr + c0 + 8 * v : 0);                                                 \
        }                                                                                                    \
      }                                                                                                      \
    }                                                                                                        \
  }
#endif

PL_TILE(1)
PL_TILE(2)
PL_TILE(3)
PL_TILE(4)
#undef PL_TILE

// The tile of `vectors` vectors of 16 columns.
PWN_INLINE void FN(tile_of)(int vectors, int k, const float *w, const float *x, long ldx, const float *s,
                            const float *b, int affine, int rows, float *out, long ldo, const float *r, long ldr,
                            int activation) {
  switch (vectors) {
  case 4: FN(tile4)(k, w, x, ldx, s, b, affine, rows, out, ldo, r, ldr, activation); break;
  case 3: FN(tile3)(k, w, x, ldx, s, b, affine, rows, out, ldo, r, ldr, activation); break;
  case 2: FN(tile2)(k, w, x, ldx, s, b, affine, rows, out, ldo, r, ldr, activation); break;
  default: FN(tile1)(k, w, x, ldx, s, b, affine, rows, out, ldo, r, ldr, activation); break;
  }
}

// Whether the tile of `n` columns from `first` lies inside one sample's plane in whole vectors: then
// it is read in place, never packed, and written straight into the output.
PWN_INLINE int FN(in_one_plane)(long first, int n, int plane) { return n % 16 == 0 && first % plane + n <= plane; }

// Column j of the run from `first` (counted across the batch) as its sample and position, and the
// length of the stretch from there to the end of its plane or of `n` columns.
PWN_INLINE int FN(stretch)(long first, int j, int n, int plane, long *sample, int *position) {
  *sample = (first + j) / plane;
  *position = (int)((first + j) % plane);
  return nnc_min(n - j, plane - *position);
}

// A tile inside one sample's plane, of whole vectors, is read where it lies (rows `plane` floats
// apart): ResNet-50's 1x1 layers in `Benchmarks/plane_product.c`, their tensors on huge pages as
// the runtime's arenas are, ran 1-13 % faster than packed (most on 56x56 maps; 14x14 level to 3 %
// slower).
// The task's other tiles are packed first ([tile][k][64], the vector a ragged end reaches padded
// with zeros). Then each block of the task's channels over every tile, its weights
// in L1, so that each output row is written, and its shortcut read, along the task's run as one
// stream (tile by tile with every block, as a tile's columns were packed, ran ResNet-50's 1x1
// layers on 56x56 maps 1.2x slower in the model: 258 rows written 256 bytes at a time). A tile that
// crosses a sample's end or ends inside a vector is computed into `spare` (its shortcut gathered
// into the second half) and copied out stretch by stretch.
static void FN(pl_forward)(int in_channels, int out_channels, int plane, const float *packed, const float *input,
                           long first_column, int column_count, int first_row, int row_count, float *output,
                           const float *shortcut, const float *s, const float *b, int affine, int activation,
                           float *columns, float *spare) {
  const int end_row = first_row + row_count, tiles = (column_count + PL_COLUMNS - 1) / PL_COLUMNS;
  const long tile_floats = (long)in_channels * PL_COLUMNS, in_sample = (long)in_channels * plane,
             out_sample = (long)out_channels * plane;
  float *spare_shortcut = spare + PL_ROWS * PL_COLUMNS;
  for (int t = 0; t < tiles; t++) {
    const long first = first_column + t * PL_COLUMNS;
    const int n = nnc_min(PL_COLUMNS, column_count - t * PL_COLUMNS), padded = (n + 15) / 16 * 16;
    if (FN(in_one_plane)(first, n, plane)) continue;
    float *tile = columns + t * tile_floats;
    for (int j = 0, length; j < n; j += length) {
      long sample;
      int position;
      length = FN(stretch)(first, j, n, plane, &sample, &position);
      const float *source = input + sample * in_sample + position;
      for (int q = 0; q < in_channels; q++)
        memcpy(tile + (long)q * PL_COLUMNS + j, source + (long)q * plane, (size_t)length * sizeof(float));
    }
    for (int q = 0; q < in_channels; q++)
      for (int j = n; j < padded; j++) tile[(long)q * PL_COLUMNS + j] = 0;
  }
  for (int m0 = first_row; m0 < end_row; m0 += PL_ROWS) {
    const int rows = nnc_min(PL_ROWS, end_row - m0);
    const float *w = packed + (long)m0 * in_channels;
    for (int t = 0; t < tiles; t++) {
      const long first = first_column + t * PL_COLUMNS;
      const int n = nnc_min(PL_COLUMNS, column_count - t * PL_COLUMNS), vectors = (n + 15) / 16;
      const float *x = columns + t * tile_floats;
      const long sample = first / plane;
      const int position = (int)(first % plane);
      if (FN(in_one_plane)(first, n, plane)) {
        const long at = sample * out_sample + (long)m0 * plane + position;
        FN(tile_of)(vectors, in_channels, w, input + sample * in_sample + position, plane, s + m0, b + m0, affine,
                    rows, output + at, plane, shortcut ? shortcut + at : 0, plane, activation);
        continue;
      }
      for (int j = 0, length; j < n; j += length) {
        long stretch_sample;
        int stretch_position;
        length = FN(stretch)(first, j, n, plane, &stretch_sample, &stretch_position);
        const long at = stretch_sample * out_sample + (long)m0 * plane + stretch_position;
        for (int i = 0; shortcut && i < rows; i++)
          memcpy(spare_shortcut + i * PL_COLUMNS + j, shortcut + at + (long)i * plane, (size_t)length * sizeof(float));
      }
      FN(tile_of)(vectors, in_channels, w, x, PL_COLUMNS, s + m0, b + m0, affine, rows, spare, PL_COLUMNS,
                  shortcut ? spare_shortcut : 0, PL_COLUMNS, activation);
      for (int j = 0, length; j < n; j += length) {
        long stretch_sample;
        int stretch_position;
        length = FN(stretch)(first, j, n, plane, &stretch_sample, &stretch_position);
        const long at = stretch_sample * out_sample + (long)m0 * plane + stretch_position;
        for (int i = 0; i < rows; i++)
          memcpy(output + at + (long)i * plane, spare + i * PL_COLUMNS + j, (size_t)length * sizeof(float));
      }
    }
  }
}

#undef PL_ROWS
#undef PL_COLUMNS
#undef PL_UNROLL
#undef PL_IS_WIDE
#undef FN
#undef NNC_CAT
#undef NNC_CAT2
