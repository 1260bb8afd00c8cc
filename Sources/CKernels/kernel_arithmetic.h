// Small helpers the C kernels share: integer bounds and divisions for padded geometries, and the
// lane-wise activations of 8-float vectors with the comparisons of the runtime's scalar code.
#ifndef NNC_KERNEL_ARITHMETIC_H
#define NNC_KERNEL_ARITHMETIC_H

static inline int nnc_min(int a, int b) { return a < b ? a : b; }
static inline int nnc_max(int a, int b) { return a > b ? a : b; }
// Floor and ceiling of a / b for b > 0 and a of either sign.
static inline int nnc_floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
static inline int nnc_ceil_div(int a, int b) { return -nnc_floor_div(-a, b); }

typedef float nnc_lanes8 __attribute__((vector_size(32), aligned(4)));
typedef int nnc_mask8 __attribute__((vector_size(32), aligned(4)));

// ReLU: x < 0 → 0 (−0 and NaN pass).
#define NNC_LANES8_RELU(v) ((nnc_lanes8)((nnc_mask8)(v) & ~((v) < 0)))
// x ≤ 0 → 0 (−0 becomes 0, NaN passes): ReLU6's lower clamp, and ReLU after a residual addition.
#define NNC_LANES8_ZERO_AT_OR_BELOW(v) ((nnc_lanes8)((nnc_mask8)(v) & ~((v) <= 0)))
// x > 6 → 6 (NaN passes): ReLU6's upper clamp.
#define NNC_LANES8_CLAMP_SIX(v) \
  ((nnc_lanes8)(((nnc_mask8)(v) & ~((v) > 6)) | ((nnc_mask8)(nnc_lanes8){6, 6, 6, 6, 6, 6, 6, 6} & ((v) > 6))))

#endif
