// The small-map depthwise kernels (`depthwise_small_maps.c`), written once over 16-float vector types
// and included once per instruction set: NNC_ISA names the variant. Not a public header: it defines
// functions. A block is 16 channels; its planes become `pixels` vectors, vector p holding pixel p of
// every channel of the block. 2x2 maps at stride 1 take the kernels of `depthwise_small_maps_quads.h`.

#define NNC_CAT2(a, b) a##_##b
#define NNC_CAT(a, b) NNC_CAT2(a, b)
#define FN(name) NNC_CAT(name, NNC_ISA)
#define INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("clang loop unroll(full)")

#include "vector16_body.h"

// One level of the 16x16 transpose: rows i and i + b (i without bit b) swap their off-diagonal
// b-wide blocks of lanes.
#define SM_LOW(b, k) (((k) & (b)) == 0 ? (k) : 16 + (k) - (b))
#define SM_HIGH(b, k) (((k) & (b)) == 0 ? (k) + (b) : 16 + (k))
#define SM_LANES(M, b)                                                                                          \
  M(b, 0), M(b, 1), M(b, 2), M(b, 3), M(b, 4), M(b, 5), M(b, 6), M(b, 7), M(b, 8), M(b, 9), M(b, 10), M(b, 11), \
      M(b, 12), M(b, 13), M(b, 14), M(b, 15)
#define SM_LEVEL(m, b)                                                                 \
  UNROLL for (int i = 0; i < 16; i++) if ((i & (b)) == 0) {                            \
    const v16 upper = m[i], lower = m[i + (b)];                                        \
    m[i] = __builtin_shufflevector(upper, lower, SM_LANES(SM_LOW, b));                 \
    m[i + (b)] = __builtin_shufflevector(upper, lower, SM_LANES(SM_HIGH, b));          \
  }

// Rows (channels) of 16 pixels ↔ rows (pixels) of 16 channels: its own inverse.
INLINE void FN(transpose16)(v16 m[16]) {
  SM_LEVEL(m, 8)
  SM_LEVEL(m, 4)
  SM_LEVEL(m, 2)
  SM_LEVEL(m, 1)
}

// 2x2 planes: vector k holds channels 4k … 4k + 3, four pixels each → vector p holds pixel p of the
// 16 channels; and back.
INLINE void FN(planes4_to_pixels)(const v16 v[4], v16 pixel[4]) {
  v16 half[4];  // [pixels 0-1 | 2-3] × [channels 0-7 | 8-15]: 8 channels of one pixel, then of the next
  for (int h = 0; h < 2; h++) {
    const v16 a = v[2 * h], b = v[2 * h + 1];
    half[2 * h] = __builtin_shufflevector(a, b, 0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
    half[2 * h + 1] = __builtin_shufflevector(a, b, 2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31);
  }
  pixel[0] = __builtin_shufflevector(half[0], half[2], 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
  pixel[1] = __builtin_shufflevector(half[0], half[2], 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
  pixel[2] = __builtin_shufflevector(half[1], half[3], 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
  pixel[3] = __builtin_shufflevector(half[1], half[3], 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
}

INLINE void FN(pixels_to_planes4)(const v16 pixel[4], v16 v[4]) {
  v16 half[4];  // as in planes4_to_pixels
  half[0] = __builtin_shufflevector(pixel[0], pixel[1], 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
  half[2] = __builtin_shufflevector(pixel[0], pixel[1], 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
  half[1] = __builtin_shufflevector(pixel[2], pixel[3], 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
  half[3] = __builtin_shufflevector(pixel[2], pixel[3], 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
  // Channel c of a half pair sits at lane c (first pixel) and 8 + c (second) of half[2h] and half[2h + 1].
  for (int h = 0; h < 2; h++) {
    const v16 a = half[2 * h], b = half[2 * h + 1];
    v[2 * h] = __builtin_shufflevector(a, b, 0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27);
    v[2 * h + 1] = __builtin_shufflevector(a, b, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31);
  }
}


// The planes of `live` channels (up to 16) from p, `pixels` (4, 16 or 64) each, as pixel vectors; the
// lanes of missing channels 0. Planes of 16 pixels and more: one 16x16 transpose per 16 pixels.
INLINE void FN(load_pixels)(const float *p, int live, v16 *pixel, const int pixels) {
  if (pixels >= 16) {
    UNROLL for (int k = 0; k < pixels / 16; k++) {
      v16 *m = pixel + 16 * k;
      UNROLL for (int c = 0; c < 16; c++) m[c] = c < live ? *(const v16u *)(p + pixels * c + 16 * k) : (v16){0};
      FN(transpose16)(m);
    }
  } else {
    v16 v[4];
    UNROLL for (int k = 0; k < 4; k++) v[k] = FN(load_live)(p + 16 * k, 4 * live - 16 * k);
    FN(planes4_to_pixels)(v, pixel);
  }
}

INLINE void FN(store_pixels)(float *p, int live, v16 *pixel, const int pixels) {
  if (pixels >= 16) {
    UNROLL for (int k = 0; k < pixels / 16; k++) {
      v16 *m = pixel + 16 * k;
      FN(transpose16)(m);
      UNROLL for (int c = 0; c < 16; c++) if (c < live) *(v16u *)(p + pixels * c + 16 * k) = m[c];
    }
  } else {
    v16 v[4];
    FN(pixels_to_planes4)(pixel, v);
    UNROLL for (int k = 0; k < 4; k++) if (4 * live > 16 * k) FN(store_live)(p + 16 * k, v[k], 4 * live - 16 * k);
  }
}

#include "depthwise_small_maps_quads.h"

// The offset of the block of 16 planes of `pixels` a loop over samples n (outer) and blocks b
// (inner) reaches after block (n, b), from the call's first channel, samples `stride` apart; after a
// sample's last block, the next sample's first (the block after it in memory when a task covers
// every channel, as tasks do unless the batch is small).
INLINE long FN(next_block)(int n, int b, int blocks, long stride, const int pixels) {
  return b + 1 < blocks ? n * stride + 16L * (b + 1) * pixels : (n + 1) * stride;
}

// Fetches a block's lines (16 planes of `pixels`, whole lines) `offset` floats from `base`, for
// writing or reading, ahead of the loop reaching them (`nnc_address`: past a call's end the block
// may lie outside the tensor). The forward pass's output is seldom in the caches, and each store waited
// for its line without (the flat kernels' `fetch_for_write`; MobileNetV2's 960x2x2 forward pass 0.17
// → 0.14 ms a training step); the backward pass reads the layer's input long after the forward pass
// wrote it (576x4x4 0.31 → 0.25 ms, 384x4x4 0.46 → 0.39). The input gradient's blocks measured
// slower fetched for writing (960x2x2 0.29 → 0.35 ms) and go without.
INLINE void FN(fetch_block)(const float *base, long offset, const int pixels, const int write) {
  for (int i = 0; i < 16 * pixels; i += 16) {
    if (write)
      __builtin_prefetch(nnc_address(base, offset + i), 1);
    else
      __builtin_prefetch(nnc_address(base, offset + i), 0);
  }
}

// The input pixel tap t of output pixel p reads (side `in_side`, output side `out_side`, stride
// `stride`, padding 1), or −1 outside the map.
#define SM_SOURCE(p, t, in_side, out_side, stride)                                           \
  (NNC_INSIDE_SM((p) / (out_side) * (stride) + (t) / 3 - 1, in_side) &&                      \
           NNC_INSIDE_SM((p) % (out_side) * (stride) + (t) % 3 - 1, in_side)                 \
       ? ((p) / (out_side) * (stride) + (t) / 3 - 1) * (in_side) + (p) % (out_side) * (stride) + (t) % 3 - 1 \
       : -1)
#define NNC_INSIDE_SM(value, size) ((unsigned)(value) < (unsigned)(size))

// The output pixel whose tap t reads input pixel q, or −1.
INLINE int FN(reader)(int q, int t, const int in_side, const int out_side, const int stride) {
  const int y = q / in_side + 1 - t / 3, x = q % in_side + 1 - t % 3;
  if (y < 0 || x < 0 || y % stride || x % stride) return -1;
  return y / stride < out_side && x / stride < out_side ? y / stride * out_side + x / stride : -1;
}

// `w`: the call's kernels as tap vectors (`nnc_depthwise_small_maps_weights`), 9 a block.
INLINE void FN(forward_impl)(const float *in, const v16u *w, const float *biases, int channels, int samples,
                             long in_stride, long out_stride, float *out, const int in_side, const int stride) {
  const int out_side = in_side / stride, in_pixels = in_side * in_side, out_pixels = out_side * out_side;
  const int blocks = (channels + 15) / 16;
  for (int n = 0; n < samples; n++) {
    for (int b = 0; b < blocks; b++) {
      const int live = nnc_min(16, channels - 16 * b);
      const long at = 16L * b;
      const v16 bias = biases ? FN(load_live)(biases + at, live) : (v16){0};
      v16 x[64], y[16];
      FN(fetch_block)(out, FN(next_block)(n, b, blocks, out_stride, out_pixels), out_pixels, 1);
      FN(load_pixels)(in + n * in_stride + at * in_pixels, live, x, in_pixels);
      UNROLL for (int p = 0; p < out_pixels; p++) {
        v16 sum = bias;
          UNROLL for (int t = 0; t < 9; t++) {
          const int q = SM_SOURCE(p, t, in_side, out_side, stride);
          if (q >= 0) sum += w[9 * b + t] * x[q];
        }
        y[p] = sum;
      }
      FN(store_pixels)(out + n * out_stride + at * out_pixels, live, y, out_pixels);
    }
  }
}

INLINE void FN(backward_impl)(const float *in, const float *dy, const v16u *lanes, int channels, int samples,
                              long in_stride, long dy_stride, float *dx, float *sums, const int in_side,
                              const int stride) {
  const int out_side = in_side / stride, in_pixels = in_side * in_side, out_pixels = out_side * out_side;
  for (int first = 0; first < channels; first += 16 * SM_CHUNK_BLOCKS) {
    const int count = nnc_min(16 * SM_CHUNK_BLOCKS, channels - first), blocks = (count + 15) / 16;
    const v16u *w = lanes + 9 * (first / 16);
    v16 acc[9 * SM_CHUNK_BLOCKS];
    for (int i = 0; i < 9 * blocks; i++) acc[i] = (v16){0};
    for (int n = 0; n < samples; n++) {
      for (int b = 0; b < blocks; b++) {
        const int live = nnc_min(16, count - 16 * b);
        const long at = (long)(first + 16 * b);
        v16 d[16];
        const long next_dy = FN(next_block)(n, b, blocks, dy_stride, out_pixels);
        const long next_in = FN(next_block)(n, b, blocks, in_stride, in_pixels);
        FN(fetch_block)(dy + first * out_pixels, next_dy, out_pixels, 0);
        if (sums) FN(fetch_block)(in + first * in_pixels, next_in, in_pixels, 0);
        FN(load_pixels)(dy + n * dy_stride + at * out_pixels, live, d, out_pixels);
        if (sums) {
          v16 x[64];
          FN(load_pixels)(in + n * in_stride + at * in_pixels, live, x, in_pixels);
          UNROLL for (int t = 0; t < 9; t++) {
            v16 sum = acc[9 * b + t];
            UNROLL for (int p = 0; p < out_pixels; p++) {
              const int q = SM_SOURCE(p, t, in_side, out_side, stride);
              if (q >= 0) sum += d[p] * x[q];
            }
            acc[9 * b + t] = sum;
          }
        }
        if (dx) {
          v16 g[64];
          UNROLL for (int q = 0; q < in_pixels; q++) {
            v16 sum = {0};
            UNROLL for (int t = 0; t < 9; t++) {
              const int p = FN(reader)(q, t, in_side, out_side, stride);
              if (p >= 0) sum += w[9 * b + t] * d[p];
            }
            g[q] = sum;
          }
          FN(store_pixels)(dx + n * in_stride + at * in_pixels, live, g, in_pixels);
        }
      }
    }
    if (sums)
      for (int i = 0; i < 9 * blocks; i++) *(v16u *)(sums + 16 * (9 * (first / 16) + i)) = acc[i];
  }
}

// Per block of 16 channels, tap t's 16 weights at lanes + (9b + t) · 16; 2x2 maps: `quad_weights`.
static void FN(small_weights)(int in_side, const float *kernels, int channels, int backward, float *lanes) {
  if (in_side == 2) {
    FN(quad_weights)(kernels, channels, backward, (v16u *)lanes);
    return;
  }
  for (int b = 0; b < (channels + 15) / 16; b++)
    for (int t = 0; t < 9; t++)
      for (int lane = 0; lane < 16; lane++) {
        const int c = 16 * b + lane;
        lanes[(9 * b + t) * 16 + lane] = c < channels ? kernels[9 * c + t] : 0;
      }
}

// grad_weight[9c + t] += (0 + the groups' sums of channel c's tap t, in group order), a block of 16
// channels at a time: the nine tap vectors transposed into the block's 144 consecutive weights.
static void FN(small_add_sums)(const float *sums, int groups, long group_stride, int channels, float *grad_weight) {
  for (int b = 0; b < (channels + 15) / 16; b++) {
    v16 m[16];
    UNROLL for (int t = 0; t < 16; t++) m[t] = (v16){0};
    for (int g = 0; g < groups; g++)
      UNROLL for (int t = 0; t < 9; t++) m[t] += *(const v16u *)(sums + g * group_stride + 16 * (9 * b + t));
    FN(transpose16)(m);  // row c: channel c's nine taps, then zeros
    float *w = grad_weight + 144L * b;
    const int live = nnc_min(16, channels - 16 * b);
    if (live == 16) {
      float block[144 + 7];
      // Each row's seven trailing lanes land where the next row's taps then go.
      UNROLL for (int c = 0; c < 16; c++) *(v16u *)(block + 9 * c) = m[c];
      UNROLL for (int i = 0; i < 144; i += 16) *(v16u *)(w + i) += *(const v16u *)(block + i);
    } else {
      for (int c = 0; c < live; c++)
        for (int t = 0; t < 9; t++) w[9 * c + t] += m[c][t];
    }
  }
}

static void FN(small_forward)(int in_side, int stride, const float *in, const v16u *k, const float *biases,
                              int channels, int samples, long in_stride, long out_stride, float *out) {
  if (in_side == 2)
    FN(quad_forward)(in, k, biases, channels, samples, in_stride, out_stride, out);
  else if (stride == 1)
    FN(forward_impl)(in, k, biases, channels, samples, in_stride, out_stride, out, 4, 1);
  else if (in_side == 4)
    FN(forward_impl)(in, k, biases, channels, samples, in_stride, out_stride, out, 4, 2);
  else
    FN(forward_impl)(in, k, biases, channels, samples, in_stride, out_stride, out, 8, 2);
}

static void FN(small_backward)(int in_side, int stride, const float *in, const float *dy, const v16u *k,
                               int channels, int samples, long in_stride, long dy_stride, float *dx, float *sums) {
  if (in_side == 2)
    FN(quad_backward)(in, dy, k, channels, samples, in_stride, dy_stride, dx, sums);
  else if (stride == 1)
    FN(backward_impl)(in, dy, k, channels, samples, in_stride, dy_stride, dx, sums, 4, 1);
  else if (in_side == 4)
    FN(backward_impl)(in, dy, k, channels, samples, in_stride, dy_stride, dx, sums, 4, 2);
  else
    FN(backward_impl)(in, dy, k, channels, samples, in_stride, dy_stride, dx, sums, 8, 2);
}

#undef SM_LOW
#undef SM_HIGH
#undef SM_LANES
#undef SM_LEVEL
#undef SM_SOURCE
#undef NNC_INSIDE_SM
#undef UNROLL
#undef FN
#undef INLINE
#undef NNC_CAT
#undef NNC_CAT2
