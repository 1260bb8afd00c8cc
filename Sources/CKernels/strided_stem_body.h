// The strided stem's register tiles and row loop (`strided_stem.c`), written once over GCC/Clang
// vector types and included once per instruction set: NNC_ISA names the variant, SS_WIDE_<isa> is 1
// where 16-float vectors are native (AVX-512). Not a public header: it defines functions.
//
// Every output is acc = 0, then acc = acc + weight · input value for each term k in increasing
// order (one expression, so FMA where the target has it), then v · s + b and the epilogue of
// `pointwise_finish_body.h`: the packed product's operations, so the same bits, in a tile of 16 or 8
// lanes alike.

#define NNC_CAT2(a, b) a##_##b
#define NNC_CAT(a, b) NNC_CAT2(a, b)
#define FN(name) NNC_CAT(name, NNC_ISA)
#define SS_IS_WIDE NNC_CAT(SS_WIDE, NNC_ISA)

#include "pointwise_finish_body.h"

#define SS_ROWS NNC_STRIDED_STEM_CHANNELS
#define SS_UNROLL _Pragma("clang loop unroll(full)")
#if SS_IS_WIDE
// 4 channels × up to 4 vectors of 16 outputs (ResNet-50's 112-wide rows as 4 + 3): 7 vectors a
// tile, 28 accumulators, left the loaded inputs no registers (spills, and 112 against 119 GFLOP/s
// for the packed product on one Xeon core); 4 ran at 138-146.
#define SS_LANES 16
#define SS_MAX_VECTORS 4
#define SS_V pwn_v16
#define SS_FINISH FN(finish16)
#else
// 4 channels × up to 2 vectors of 8: 8 accumulators, 2 inputs and 4 broadcast weights of AVX2's
// 16 registers (3 vectors spilled: 56 against the packed product's 61 GFLOP/s; 2 ran at 66).
#define SS_LANES 8
#define SS_MAX_VECTORS 2
#define SS_V pwn_v8
#define SS_FINISH FN(finish8)
#endif

// The tile of output row `y`, channels of the block whose packed weights are `w` ([patch][4]), and
// VECTORS vectors from column x0 (`valid` columns left in the row from x0): rows below `rows`
// written at out + i · plane + x0. Vector v reads the input `input_step` · v floats on and writes
// `output_step` · v floats on, with `lane_step` · v fewer valid columns: SS_LANES for vectors along
// one row; for rows that fit one vector (ResNet's stem at 32x32 input: 16 outputs a row), vectors
// from consecutive output rows (two padded input rows down, each holding both phases; a row of the
// output on; as many columns), since a tile of one vector is 4 accumulators, too few to cover the
// multiply-add latency (one Xeon core: ResNet-18/32's stem ran at 45 % of the peak).
#define SS_TILE(VECTORS)                                                                                     \
  PWN_INLINE void FN(tile##VECTORS)(const nnc_strided_stem_shape *sh, long phase_width, long padded_height,   \
                                    const float *phases, int y, int x0, int valid, const float *w,           \
                                    const float *s, const float *b, int affine, int activation, int rows,    \
                                    float *out, long plane, long input_step, long output_step,               \
                                    int lane_step) {                                                         \
    SS_V acc[SS_ROWS][VECTORS];                                                                              \
    SS_UNROLL for (int i = 0; i < SS_ROWS; i++) SS_UNROLL for (int v = 0; v < VECTORS; v++) acc[i][v] =       \
        (SS_V){0};                                                                                           \
    for (int c = 0; c < sh->in_channels; c++) {                                                              \
      for (int ky = 0; ky < sh->kernel_height; ky++) {                                                       \
        const float *row = phases + (c * padded_height + 2 * y + ky) * 2 * phase_width + x0;                 \
        for (int kx = 0; kx < sh->kernel_width; kx++, w += SS_ROWS) {                                        \
          const float *source = row + (kx & 1) * phase_width + (kx >> 1);                                    \
          SS_V column[VECTORS];                                                                              \
          SS_UNROLL for (int v = 0; v < VECTORS; v++) column[v] = *(const SS_V *)(source + input_step * v);   \
          SS_UNROLL for (int i = 0; i < SS_ROWS; i++) {                                                      \
            const float weight = w[i];                                                                       \
            SS_UNROLL for (int v = 0; v < VECTORS; v++) acc[i][v] = acc[i][v] + weight * column[v];          \
          }                                                                                                  \
        }                                                                                                    \
      }                                                                                                      \
    }                                                                                                        \
    SS_UNROLL for (int i = 0; i < SS_ROWS; i++) {                                                            \
      if (i < rows) {                                                                                        \
        SS_UNROLL for (int v = 0; v < VECTORS; v++) {                                                        \
          SS_V value = acc[i][v];                                                                            \
          if (affine) value = value * ((SS_V){0} + s[i]) + ((SS_V){0} + b[i]);                               \
          value = SS_FINISH(value, 0, (SS_V){0}, (SS_V){0}, activation, 0);                                  \
          float *target = out + i * plane + x0 + output_step * v;                                            \
          const int lanes = valid - lane_step * v;                                                           \
          if (lanes >= SS_LANES) {                                                                           \
            *(SS_V *)target = value;                                                                         \
          } else if (lanes > 0) {                                                                            \
            float spare[SS_LANES];                                                                           \
            *(SS_V *)spare = value;                                                                          \
            memcpy(target, spare, (size_t)lanes * sizeof(float));                                            \
          }                                                                                                  \
        }                                                                                                    \
      }                                                                                                      \
    }                                                                                                        \
  }

SS_TILE(1)
SS_TILE(2)
#if SS_IS_WIDE
SS_TILE(3)
SS_TILE(4)
#endif
#undef SS_TILE

// Rows [first_row, first_row + row_count) of every output channel: for each row, each block of 4
// channels over the row's tiles, the row's phase-split input rows (21 KiB for ResNet's stem)
// staying in L1 across the blocks; each tile writes whole runs of 4 output rows.
static void FN(ss_forward)(const nnc_strided_stem_shape *sh, long phase_width, long padded_height, int out_channels,
                           const float *packed, const float *phases, int first_row, int row_count, float *output,
                           const float *s, const float *b, int affine, int activation) {
  const int patch = sh->in_channels * sh->kernel_height * sh->kernel_width;
  const long plane = (long)sh->out_height * sh->out_width;
  const int vectors = (sh->out_width + SS_LANES - 1) / SS_LANES;
  int y = first_row;
  if (vectors == 1) {
    for (; y + 1 < first_row + row_count; y += 2) {
      for (int m0 = 0; m0 < out_channels; m0 += SS_ROWS) {
        FN(tile2)(sh, phase_width, padded_height, phases, y, 0, sh->out_width, packed + (long)m0 * patch, s + m0,
                  b + m0, affine, activation, nnc_min(SS_ROWS, out_channels - m0),
                  output + m0 * plane + (long)y * sh->out_width, plane, 4 * phase_width, sh->out_width, 0);
      }
    }
  }
  for (; y < first_row + row_count; y++) {
    for (int m0 = 0; m0 < out_channels; m0 += SS_ROWS) {
      const int rows = nnc_min(SS_ROWS, out_channels - m0);
      const float *w = packed + (long)m0 * patch;
      float *out = output + m0 * plane + (long)y * sh->out_width;
      for (int v0 = 0; v0 < vectors; v0 += SS_MAX_VECTORS) {
        const int n = nnc_min(SS_MAX_VECTORS, vectors - v0), x0 = v0 * SS_LANES, valid = sh->out_width - x0;
#define SS_CALL(N)                                                                                           \
  FN(tile##N)(sh, phase_width, padded_height, phases, y, x0, valid, w, s + m0, b + m0, affine, activation, rows, out, \
              plane, SS_LANES, SS_LANES, SS_LANES)
        switch (n) {
#if SS_IS_WIDE
        case 4: SS_CALL(4); break;
        case 3: SS_CALL(3); break;
#endif
        case 2: SS_CALL(2); break;
        default: SS_CALL(1); break;
        }
#undef SS_CALL
      }
    }
  }
}

#undef SS_ROWS
#undef SS_UNROLL
#undef SS_LANES
#undef SS_MAX_VECTORS
#undef SS_V
#undef SS_FINISH
#undef SS_IS_WIDE
#undef FN
#undef NNC_CAT
#undef NNC_CAT2
