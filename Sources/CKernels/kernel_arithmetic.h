// Small helpers the C kernels share: integer bounds and divisions for padded geometries, and the
// lane-wise activations of 8-float vectors with the comparisons of the runtime's scalar code.
#ifndef NNC_KERNEL_ARITHMETIC_H
#define NNC_KERNEL_ARITHMETIC_H

#include <stdint.h>

static inline int nnc_min(int a, int b) { return a < b ? a : b; }
static inline int nnc_max(int a, int b) { return a > b ? a : b; }
// Floor and ceiling of a / b for b > 0 and a of either sign.
static inline int nnc_floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
static inline int nnc_ceil_div(int a, int b) { return -nnc_floor_div(-a, b); }

// The address `offset` floats from `base`, added as an integer: for the lines kernels prefetch
// ahead, which may lie past the tensor — a prefetch never faults there, but pointer arithmetic must
// not reach it.
static inline const void *nnc_address(const float *base, long offset) {
  return (const void *)((uintptr_t)base + (uintptr_t)offset * sizeof(float));
}

// Filters rounded up to whole blocks of `block`.
static inline long nnc_padded_filters(int out_channels, int block) {
  return (long)(out_channels + block - 1) / block * block;
}

// weight[o][k] (o < out_channels, k < patch) into blocks of `block` filters, each [patch][block], the
// missing filters of the last block 0: the packed weights of the product kernels, a block's weights
// for one term side by side.
static inline void nnc_pack_filter_blocks(int out_channels, int patch, int block, const float *weight,
                                          float *packed) {
  for (int m0 = 0; m0 < out_channels; m0 += block) {
    float *target = packed + (long)m0 * patch;
    for (int k = 0; k < patch; k++)
      for (int i = 0; i < block; i++)
        target[(long)k * block + i] = m0 + i < out_channels ? weight[(long)(m0 + i) * patch + k] : 0;
  }
}

// Scales and biases into `s` and `b` padded to `count` (absent ones, and those past `out_channels`,
// 1 and 0), so that tiles load them without branches; returns whether an affine step runs at all.
static inline int nnc_pad_affine(const float *scale, const float *bias, int out_channels, long count, float *s,
                                 float *b) {
  for (long o = 0; o < count; o++) {
    s[o] = scale && o < out_channels ? scale[o] : 1;
    b[o] = bias && o < out_channels ? bias[o] : 0;
  }
  return scale != 0 || bias != 0;
}

typedef float nnc_lanes8 __attribute__((vector_size(32), aligned(4)));
typedef int nnc_mask8 __attribute__((vector_size(32), aligned(4)));

// ReLU: x < 0 → 0 (−0 and NaN pass).
#define NNC_LANES8_RELU(v) ((nnc_lanes8)((nnc_mask8)(v) & ~((v) < 0)))
// x ≤ 0 → 0 (−0 becomes 0, NaN passes): ReLU6's lower clamp, and ReLU after a residual addition.
#define NNC_LANES8_ZERO_AT_OR_BELOW(v) ((nnc_lanes8)((nnc_mask8)(v) & ~((v) <= 0)))
// x > 6 → 6 (NaN passes): ReLU6's upper clamp.
#define NNC_LANES8_CLAMP_SIX(v) \
  ((nnc_lanes8)(((nnc_mask8)(v) & ~((v) > 6)) | ((nnc_mask8)(nnc_lanes8){6, 6, 6, 6, 6, 6, 6, 6} & ((v) > 6))))

// r[i][j] → r[j][i] for an 8 × 8 block of floats, by the usual three rounds of shuffles. Always
// inlined, so it compiles for the instruction set of the kernel that calls it.
static inline __attribute__((always_inline)) void nnc_transpose8x8(nnc_lanes8 r[8]) {
  nnc_lanes8 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
    t[i + 1] = __builtin_shufflevector(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = __builtin_shufflevector(t[i], t[i + 2], 0, 1, 8, 9, 4, 5, 12, 13);
    u[i + 1] = __builtin_shufflevector(t[i], t[i + 2], 2, 3, 10, 11, 6, 7, 14, 15);
    u[i + 2] = __builtin_shufflevector(t[i + 1], t[i + 3], 0, 1, 8, 9, 4, 5, 12, 13);
    u[i + 3] = __builtin_shufflevector(t[i + 1], t[i + 3], 2, 3, 10, 11, 6, 7, 14, 15);
  }
  for (int i = 0; i < 4; i++) {
    r[i] = __builtin_shufflevector(u[i], u[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
    r[i + 4] = __builtin_shufflevector(u[i], u[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
  }
}

#endif
