// The table of the flat depthwise kernels (depthwise_flat.c): built once per geometry, read by every
// variant. Not a public header.
#ifndef NNC_DEPTHWISE_FLAT_TABLE_H
#define NNC_DEPTHWISE_FLAT_TABLE_H

#include <stddef.h>
#include <stdint.h>

#define NNC_FLAT_LANES 16
#define NNC_FLAT_MAX_TAPS 64
#define NNC_FLAT_MAX_MASKS 255

// The geometries of the register variants (depthwise_flat_registers_body.h): standard 3x3 maps of
// 2x2 and 4x4 at stride 1, 4x4 → 2x2 and 8x8 → 4x4 at stride 2, 8x8 at stride 1, at stride 1 maps
// whose rows are one or two whole vectors (16 or 32 pixels wide), and 16- and 32-wide maps halved at
// stride 2.
enum {
  NNC_FLAT_GENERAL = 0,
  NNC_FLAT_2X2,
  NNC_FLAT_4X4,
  NNC_FLAT_4X4_TO_2X2,
  NNC_FLAT_8X8_TO_4X4,
  NNC_FLAT_8X8,
  NNC_FLAT_ROWS16,
  NNC_FLAT_HALVING32,
  NNC_FLAT_HALVING16
};

typedef struct {
  int taps, stride;
  int grid_w, grid;  // the output map (width, pixels); at stride 2 also each phase plane of the input
  int in_height, in_width, in_plane;
  int packed;    // channels per vector when 16 / grid is a whole number, else 0
  int standard;  // 3x3, dilation 1, padding 1 on the top and left: the taps of each phase are known
  int registers;  // a geometry of the register variants (NNC_FLAT_2X2 …), or NNC_FLAT_GENERAL
  int vectors;  // vectors per plane, or 1 (the one lane pattern of packed vectors)
  int halo;     // zero floats before and after each copied plane or run (a multiple of 16)
  int source[NNC_FLAT_MAX_TAPS];  // phase plane of the input tap t reads (0 at stride 1)
  int offset[NNC_FLAT_MAX_TAPS];  // flat offset from an output pixel to the pixel tap t reads there
  int phase_taps[4];                          // at stride 2: taps of each phase, in order
  int phase_tap[4][NNC_FLAT_MAX_TAPS];
  // The masks of a vector: in plane-by-plane vectors one per kernel column (tap t uses t % slots;
  // rows outside the map read the zeros around the copied plane), in packed vectors one per tap (a
  // row outside reads a neighbouring channel).
  int slots;
  int masks;
  size_t forward_index, adjoint_index, mask_table;  // byte offsets from the table's start
} nnc_flat_table;

// Mask index of slot s for vector v: the lanes where tap t reads inside the map, forward (the output
// pixel reads input at +offset) or adjoint (the input-gradient pixel reads grad_output at −offset).
static inline const uint8_t *nnc_flat_forward_index(const nnc_flat_table *t) {
  return (const uint8_t *)t + t->forward_index;
}
static inline const uint8_t *nnc_flat_adjoint_index(const nnc_flat_table *t) {
  return (const uint8_t *)t + t->adjoint_index;
}
static inline const int32_t *nnc_flat_masks(const nnc_flat_table *t) {
  return (const int32_t *)((const uint8_t *)t + t->mask_table);
}

#endif
