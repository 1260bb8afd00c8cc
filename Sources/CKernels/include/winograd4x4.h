// The tile transforms of inference's Winograd F(4x4, 3x3) (`Winograd4x4Conv2D`), eight tiles at a
// time: each tile's 6x6 patch loaded as six rows of eight floats and turned into lanes by 8 × 8
// transposes, and each tile's 4x4 outputs stored as rows of four, where the Swift loops built every
// vector from eight scalar loads and wrote the outputs float by float (the input transform took a
// third of a 64 -> 64 layer's time on 56x56 maps). Compiled for any x86-64 or ARM CPU, with AVX2,
// and with AVX-512, chosen at run time like the depthwise kernels.
#ifndef NNC_WINOGRAD4X4_H
#define NNC_WINOGRAD4X4_H

#ifdef __cplusplus
extern "C" {
#endif

/// Where a tile's 4x4 outputs go: `offset` of its first output from the channel's first plane, and
/// the `rows` and `width` of it inside the output (4 and 4 but at the bottom and right edges).
typedef struct {
  long offset;
  int rows;
  int width;
} nnc_winograd_placement;

/// V[ξ][t] = (Bᵀ d B)[ξ] at out + ξ · stride + t for tiles t < `columns` (a multiple of 8), d the 6x6
/// patch at planes + offsets[t] in rows `padded_width` apart; the rows are read 8 floats wide, so
/// 2 floats past a patch's last row must be readable. Bᵀ down the columns, then along the rows, with
/// the operations of `Winograd4x4Conv2D.inputTile` in its order and no fused multiply-add: its bits.
void nnc_winograd4x4_input_tiles(int isa, const float *planes, const long *offsets, int columns, long padded_width,
                                 float *out, long stride);

/// Y = Aᵀ M A for tiles t < `tiles`, M[ξ] at m + ξ · stride + t (8 columns readable past the last
/// tile, rounded up): each tile's rows and columns inside the output written to output +
/// placements[t].offset, rows `out_width` apart. The operations of `Winograd4x4Conv2D.outputTile`
/// in its order and no fused multiply-add: its bits.
void nnc_winograd4x4_output_tiles(int isa, const float *m, long stride, int tiles,
                                  const nnc_winograd_placement *placements, long out_width, float *output);

#ifdef __cplusplus
}
#endif

#endif
