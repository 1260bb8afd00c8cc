// The flat depthwise kernels, written once over 16-float vector types and included by
// depthwise_flat.c once per instruction set: NNC_ISA names the variant, the including file sets the
// target attributes. Not a public header: it defines functions.

#define NNC_CAT2(a, b) a##_##b
#define NNC_CAT(a, b) NNC_CAT2(a, b)
#define FN(name) NNC_CAT(name, NNC_ISA)
#define INLINE static inline __attribute__((always_inline))

#include "vector16_body.h"

// Sixteen floats from p with the lanes `mask` clears set to +0: a tap outside the map adds w · 0,
// as the padded copies of the per-plane kernels do, so the sums are the same bits.
INLINE v16 FN(masked)(const float *p, v16i mask) { return (v16)((v16i) * (const v16u *)p & mask); }

INLINE v16i FN(mask)(const int32_t *masks, int index) { return *(const v16i *)(masks + index * NNC_FLAT_LANES); }


// Fetches the line `offset` floats from `base` ahead of the stores that fill it. An output the
// kernels overwrite is seldom in the caches, and without this each store waited for its line to
// arrive from memory: MobileNetV2's 32x32x32 forward pass 0.47 → 0.24 ms a training step, its
// 144x16x16 one 0.34 → 0.27 (medians of five alternating profiles), with the next plane's row
// fetched while a row is computed. Without the prefetchw extension this is a plain prefetch: the
// line arrives exclusive, and the stores need no further request. The address is `nnc_address`'s:
// the plane after a call's last (`next_plane`) may lie past the tensor.
INLINE void FN(fetch_for_write)(const float *base, long offset) { __builtin_prefetch(nnc_address(base, offset), 1); }

// Fetches the line `offset` floats from `base` for reading. The backward kernels read the layer's
// input long after the forward pass wrote it, and a plane's lines came late without: with the next
// plane's lines of a row fetched while the row is computed (and the input gradient's for writing),
// MobileNetV2's 32x32x32 backward pass 0.49 → 0.37 ms a training step, 144x16x16 0.62 → 0.50,
// 32x32 → 16x16 0.92 → 0.82 (medians of four alternating profiles).
INLINE void FN(fetch)(const float *base, long offset) { __builtin_prefetch(nnc_address(base, offset), 0); }

// The offset of the plane a loop over channels c (outer) and samples n (inner) reaches `ahead` planes
// after plane (c, n) (`next_plane`: the next one), planes `plane` floats apart and samples `stride`.
// Past a call's last plane, the planes that follow it in memory: usually the next task's, which the
// same part of the loop runs next (parts are runs of consecutive tasks; stopping at a call's end
// lost a quarter of the gain on 4-plane tasks).
INLINE long FN(plane_ahead)(int c, int n, int samples, long stride, long plane, int ahead) {
  for (int i = 0; i < ahead; i++) {
    if (n + 1 < samples) {
      n++;
    } else {
      n = 0;
      c++;
    }
  }
  return n * stride + c * plane;
}

INLINE long FN(next_plane)(int c, int n, int samples, long stride, long plane) {
  return FN(plane_ahead)(c, n, samples, stride, plane, 1);
}


// Packed vectors: every lane of each group of `grid` lanes holds the group's sum (pairwise steps,
// the same tree for every group).
INLINE v16 FN(group_sums)(v16 v, int grid) {
  if (grid >= 2) v += __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
  if (grid >= 4) v += __builtin_shufflevector(v, v, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
  if (grid >= 8) v += __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11);
  if (grid >= 16) v += __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
  return v;
}

// A copy of a plane or a run of planes in this variant's vectors, without a library call per
// plane (`no_builtin` keeps the compiler from turning the loop into memcpy). Most of its time is
// the first read of the source, which the kernel pays anyway.
__attribute__((noinline, no_builtin("memcpy"))) static void FN(copy)(float *restrict dst, const float *restrict src,
                                                                   int count) {
  int i = 0;
  for (; i + 16 <= count; i += 16) *(v16u *)(dst + i) = *(const v16u *)(src + i);
  for (; i < count; i++) dst[i] = src[i];
}

// `planes` consecutive input planes (in_height × in_width) → their phase planes, plane c's phase p
// at dst[p] + c · grid (grid pixels, rows of grid_w): at stride 1 a copy. The heights are even
// at stride 2, so row r of the run of planes has the parity of its row in its plane and lands in
// row r / 2 of the phases' run: the run splits as one tall plane.
INLINE void FN(split)(const nnc_flat_table *t, const float *restrict in, int planes, float *const dst[4]) {
  if (t->stride == 1) {
    FN(copy)(dst[0], in, t->grid * planes);
    return;
  }
  const int gw = t->grid_w, w = t->in_width, rows = t->in_height * planes;
  int y = 0;
  // Maps 4 and 8 wide: 16 floats (four or two rows) at a time, one shuffle into four phase chunks.
  if (w == 4) {
    for (; y + 4 <= rows; y += 4) {
      const v16 v = *(const v16u *)(in + (size_t)y * 4);
      const v16 p = __builtin_shufflevector(v, v, 0, 2, 8, 10, 1, 3, 9, 11, 4, 6, 12, 14, 5, 7, 13, 15);
      *(v4u *)(dst[0] + y) = __builtin_shufflevector(p, p, 0, 1, 2, 3);
      *(v4u *)(dst[1] + y) = __builtin_shufflevector(p, p, 4, 5, 6, 7);
      *(v4u *)(dst[2] + y) = __builtin_shufflevector(p, p, 8, 9, 10, 11);
      *(v4u *)(dst[3] + y) = __builtin_shufflevector(p, p, 12, 13, 14, 15);
    }
  } else if (w == 8) {
    for (; y + 2 <= rows; y += 2) {
      const v16 v = *(const v16u *)(in + (size_t)y * 8);
      const v16 p = __builtin_shufflevector(v, v, 0, 2, 4, 6, 1, 3, 5, 7, 8, 10, 12, 14, 9, 11, 13, 15);
      *(v4u *)(dst[0] + (y >> 1) * 4) = __builtin_shufflevector(p, p, 0, 1, 2, 3);
      *(v4u *)(dst[1] + (y >> 1) * 4) = __builtin_shufflevector(p, p, 4, 5, 6, 7);
      *(v4u *)(dst[2] + (y >> 1) * 4) = __builtin_shufflevector(p, p, 8, 9, 10, 11);
      *(v4u *)(dst[3] + (y >> 1) * 4) = __builtin_shufflevector(p, p, 12, 13, 14, 15);
    }
  }
  for (; y < rows; y++) {
    const float *row = in + (size_t)y * w;
    float *even = dst[(y & 1) * 2] + (y >> 1) * gw, *odd = dst[(y & 1) * 2 + 1] + (y >> 1) * gw;
    for (int j = 0; j < gw; j++) {
      even[j] = row[2 * j];
      odd[j] = row[2 * j + 1];
    }
  }
}

// The inverse of `split` at stride 2: four phase runs → the input-gradient planes.
INLINE void FN(merge)(const nnc_flat_table *t, float *const src[4], int planes, float *restrict out) {
  const int gw = t->grid_w, w = t->in_width, rows = t->in_height * planes;
  int y = 0;
  if (w == 4) {
    for (; y + 4 <= rows; y += 4) {
      const v16 p = {src[0][y], src[0][y + 1], src[0][y + 2], src[0][y + 3], src[1][y], src[1][y + 1],
                     src[1][y + 2], src[1][y + 3], src[2][y], src[2][y + 1], src[2][y + 2], src[2][y + 3],
                     src[3][y], src[3][y + 1], src[3][y + 2], src[3][y + 3]};
      *(v16u *)(out + (size_t)y * 4) =
          __builtin_shufflevector(p, p, 0, 4, 1, 5, 8, 12, 9, 13, 2, 6, 3, 7, 10, 14, 11, 15);
    }
  } else if (w == 8) {
    for (; y + 2 <= rows; y += 2) {
      const float *a = src[0] + (y >> 1) * 4, *b = src[1] + (y >> 1) * 4, *c = src[2] + (y >> 1) * 4,
                  *d = src[3] + (y >> 1) * 4;
      const v16 p = {a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3], c[0], c[1], c[2], c[3], d[0], d[1], d[2], d[3]};
      *(v16u *)(out + (size_t)y * 8) =
          __builtin_shufflevector(p, p, 0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15);
    }
  }
  for (; y < rows; y++) {
    float *row = out + (size_t)y * w;
    const float *even = src[(y & 1) * 2] + (y >> 1) * gw, *odd = src[(y & 1) * 2 + 1] + (y >> 1) * gw;
    for (int j = 0; j < gw; j++) {
      row[2 * j] = even[j];
      row[2 * j + 1] = odd[j];
    }
  }
}

// The addresses taps read, relative to the vector's first pixel. Standard geometries (3x3,
// padding 1) compute them from three row pointers per phase column and constant column shifts, so
// the unrolled loops keep a few pointers in registers instead of one per tap.
typedef struct {
  const float *x[3][2], *dy[3];
} FN(flat_rows);

INLINE FN(flat_rows) FN(rows)(const nnc_flat_table *T, float *const phase[4], const float *grads) {
  FN(flat_rows) r;
  for (int ky = 0; ky < 3; ky++) {
    if (T->stride == 1) {
      r.x[ky][0] = r.x[ky][1] = phase[0] + (ky - 1) * T->grid_w;
      r.dy[ky] = grads - (ky - 1) * T->grid_w;
    } else {
      const int a = ky == 1 ? 0 : 1, ry = ky == 0 ? -1 : 0;
      r.x[ky][0] = phase[a * 2] + ry * T->grid_w;
      r.x[ky][1] = phase[a * 2 + 1] + ry * T->grid_w;
      r.dy[ky] = grads - ry * T->grid_w;
    }
  }
  return r;
}

// Tap t's input (forward) and grad_output (adjoint) addresses; `stride` is a constant in the
// standard variants.
INLINE const float *FN(x_tap)(const float *const *source, const FN(flat_rows) * r, int standard, int stride,
                              int t) {
  if (!standard) return source[t];
  const int ky = t / 3, kx = t % 3;
  if (stride == 1) return r->x[ky][0] + (kx - 1);
  return r->x[ky][kx == 1 ? 0 : 1] + (kx == 0 ? -1 : 0);
}

INLINE const float *FN(dy_tap)(const float *const *gradient, const FN(flat_rows) * r, int standard, int stride,
                               int t) {
  if (!standard) return gradient[t];
  const int ky = t / 3, kx = t % 3;
  if (stride == 1) return r->dy[ky] - (kx - 1);
  return r->dy[ky] + (kx == 0 ? 1 : 0);
}

// The scratch of one call: per input phase plane (or run of planes, packed) zeros, the pixels,
// zeros; then grad_output likewise; then the input gradient's four phase planes at stride 2.
typedef struct {
  float *memory, *phase[4], *grads, *dx_phase[4];
} FN(flat_scratch);

INLINE FN(flat_scratch) FN(scratch)(const nnc_flat_table *T, int vectors, int with_grads, float *area) {
  const int sources = T->stride * T->stride;
  const size_t body = (size_t)vectors * NNC_FLAT_LANES, span = T->halo + body + T->halo;
  FN(flat_scratch) s;
  s.memory = area;
  for (int p = 0; p < sources; p++) s.phase[p] = s.memory + p * span + T->halo;
  s.grads = s.memory + sources * span + T->halo;
  for (int p = 0; p < 4; p++) s.dx_phase[p] = s.memory + (sources + 1) * span + p * body;
  return s;
}

// Every cache line of `floats` floats from p: the backward pass over the batch fetches the next
// sample's planes of grad_output and input while it computes this one's, a sample's stride away
// and runs too short for the hardware prefetchers to follow (MobileNetV2's 4x4 and 2x2 layers:
// 1.5 KiB a sample). Measured: its depthwise backward 6.36-6.49 → 6.15-6.28 ms a step in
// alternating runs; prefetching the forward pass's planes and dx's lines for writing gained
// nothing on this path (the register kernels gain from fetching the forward pass's output and
// the backward pass's operands: `fetch_for_write`, `fetch`).
INLINE void FN(prefetch)(const float *p, long floats) {
  for (long line = 0; line < floats; line += 16) __builtin_prefetch(p + line, 0);
}

#include "depthwise_flat_registers_body.h"

INLINE void FN(forward_impl)(const nnc_flat_table *T, const float *restrict in, const float *restrict k,
                             const float *restrict biases, const float *restrict expanded, int planes, int samples,
                             long in_stride, long out_stride, float *restrict out, float *area, const int taps,
                             const int kw, const int standard, const int stride) {
  const int grid = T->grid;
  const int32_t *masks = nnc_flat_masks(T);
  const uint8_t *index = nnc_flat_forward_index(T);
  const int vectors = T->packed ? (planes * grid + NNC_FLAT_LANES - 1) / NNC_FLAT_LANES : T->vectors;
  FN(flat_scratch) s = FN(scratch)(T, vectors, 0, area);
  const float *source[NNC_FLAT_MAX_TAPS];
  for (int t = 0; t < taps; t++) source[t] = s.phase[T->source[t]] + T->offset[t];
  const FN(flat_rows) rows = FN(rows)(T, s.phase, s.phase[0]);
  if (!T->packed) {
    for (int c = 0; c < planes; c++) {
      v16 weight[NNC_FLAT_MAX_TAPS];
      for (int t = 0; t < taps; t++) weight[t] = (v16){0} + k[c * taps + t];
      const v16 initial = (v16){0} + (biases ? biases[c] : 0);
      for (int n = 0; n < samples; n++) {
        FN(split)(T, in + n * in_stride + (size_t)c * T->in_plane, 1, s.phase);
        float *o = out + n * out_stride + (size_t)c * grid;
        for (int v = 0; v < vectors; v++) {
          const int at = v * NNC_FLAT_LANES;
          v16i m[NNC_FLAT_MAX_TAPS];
          for (int j = 0; j < kw; j++) m[j] = FN(mask)(masks, index[v * kw + j]);
          v16 acc = initial;
          for (int t = 0; t < taps; t++)
            acc += weight[t] * FN(masked)(FN(x_tap)(source, &rows, standard, stride, t) + at, m[t % kw]);
          FN(store_live)(o + at, acc, grid - at);
        }
      }
    }
  } else {
    v16i m[NNC_FLAT_MAX_TAPS];
    for (int t = 0; t < taps; t++) m[t] = FN(mask)(masks, index[t]);
    for (int n = 0; n < samples; n++) {
      FN(split)(T, in + n * in_stride, planes, s.phase);
      float *o = out + n * out_stride;
      for (int v = 0; v < vectors; v++) {
        const int at = v * NNC_FLAT_LANES;
        const v16u *e = (const v16u *)(expanded + (size_t)v * (taps + 1) * NNC_FLAT_LANES);
        v16 acc = e[taps];
        for (int t = 0; t < taps; t++)
          acc += e[t] * FN(masked)(FN(x_tap)(source, &rows, standard, stride, t) + at, m[t]);
        FN(store_live)(o + at, acc, planes * grid - at);
      }
    }
  }
}

static void FN(flat_forward)(const void *table, const float *in, const float *k, const float *biases,
                             const float *expanded, int planes, int samples, long in_stride, long out_stride,
                             float *out, float *area) {
  const nnc_flat_table *T = table;
  // The geometry a constant in each call, so that its shuffles are.
#define NNC_PACKED_FORWARD(geometry) \
  FN(packed_forward_registers)(T, in, k, biases, expanded, planes, samples, in_stride, out_stride, out, geometry)
  switch (T->registers) {
    case NNC_FLAT_2X2: return NNC_PACKED_FORWARD(NNC_FLAT_2X2);
    case NNC_FLAT_4X4: return NNC_PACKED_FORWARD(NNC_FLAT_4X4);
    case NNC_FLAT_4X4_TO_2X2: return NNC_PACKED_FORWARD(NNC_FLAT_4X4_TO_2X2);
    case NNC_FLAT_8X8_TO_4X4: return NNC_PACKED_FORWARD(NNC_FLAT_8X8_TO_4X4);
    case NNC_FLAT_8X8: return FN(rows8_forward_registers)(in, k, biases, planes, samples, in_stride, out_stride, out);
    case NNC_FLAT_HALVING32:
      return FN(halving_forward_registers)(T, in, k, biases, planes, samples, in_stride, out_stride, out);
    case NNC_FLAT_HALVING16:
      return FN(halving16_forward_registers)(T, in, k, biases, planes, samples, in_stride, out_stride, out);
    case NNC_FLAT_ROWS16:
      if (T->grid_w == NNC_FLAT_LANES)
        return FN(rows16_forward_registers)(T, in, k, biases, planes, samples, in_stride, out_stride, out, 1);
      return FN(rows16_forward_registers)(T, in, k, biases, planes, samples, in_stride, out_stride, out, 2);
  }
#undef NNC_PACKED_FORWARD
  if (T->standard && T->stride == 1)
    FN(forward_impl)(T, in, k, biases, expanded, planes, samples, in_stride, out_stride, out, area, 9, 3, 1, 1);
  else if (T->standard)
    FN(forward_impl)(T, in, k, biases, expanded, planes, samples, in_stride, out_stride, out, area, 9, 3, 1, 2);
  else
    FN(forward_impl)(T, in, k, biases, expanded, planes, samples, in_stride, out_stride, out, area, T->taps,
                     T->packed ? T->taps : T->slots, 0, T->stride);
}

// One vector of the input gradient at stride 1 (every tap, in order), or of each phase plane's at
// stride 2 (the taps of that phase, in order), each from 0: the gather form of the per-plane
// kernels. `weight` is tap t's weight vector, `m` its mask.
#define NNC_FLAT_INPUT_GRADIENT(weight, m, at, store1, phases)                                         \
  do {                                                                                               \
    if (stride == 1) {                                                                               \
      v16 gathered = {0};                                                                            \
      for (int t = 0; t < taps; t++) gathered += (weight) * FN(masked)(FN(dy_tap)(gradient, &rows, standard, stride, t) + (at), (m));      \
      store1;                                                                                        \
    } else if (standard) {                                                                           \
      static const int counts[4] = {1, 2, 2, 4}, lists[4][4] = {{4}, {3, 5}, {1, 7}, {0, 2, 6, 8}};  \
      for (int p = 0; p < 4; p++) {                                                                  \
        v16 gathered = {0};                                                                          \
        for (int i = 0; i < counts[p]; i++) {                                                        \
          const int t = lists[p][i];                                                                 \
          gathered += (weight) * FN(masked)(FN(dy_tap)(gradient, &rows, standard, stride, t) + (at), (m));                                \
        }                                                                                            \
        *(v16 *)((phases)[p] + (at)) = gathered;                                                     \
      }                                                                                              \
    } else {                                                                                         \
      for (int p = 0; p < 4; p++) {                                                                  \
        v16 gathered = {0};                                                                          \
        for (int i = 0; i < T->phase_taps[p]; i++) {                                                 \
          const int t = T->phase_tap[p][i];                                                          \
          gathered += (weight) * FN(masked)(FN(dy_tap)(gradient, &rows, standard, stride, t) + (at), (m));                                \
        }                                                                                            \
        *(v16 *)((phases)[p] + (at)) = gathered;                                                     \
      }                                                                                              \
    }                                                                                                \
  } while (0)

INLINE void FN(backward_impl)(const nnc_flat_table *T, const float *restrict in, const float *restrict dy,
                              const float *restrict k, const float *restrict expanded, int planes, int samples,
                              long in_stride, long dy_stride, float *restrict dx, float *restrict sums,
                              float *area, const int taps, const int kw, const int standard, const int stride) {
  const int grid = T->grid;
  const int32_t *masks = nnc_flat_masks(T);
  const uint8_t *forward = nnc_flat_forward_index(T), *adjoint = nnc_flat_adjoint_index(T);
  const int vectors = T->packed ? (planes * grid + NNC_FLAT_LANES - 1) / NNC_FLAT_LANES : T->vectors;
  FN(flat_scratch) s = FN(scratch)(T, vectors, 1, area);
  const float *source[NNC_FLAT_MAX_TAPS], *gradient[NNC_FLAT_MAX_TAPS];
  for (int t = 0; t < taps; t++) {
    source[t] = s.phase[T->source[t]] + T->offset[t];
    gradient[t] = s.grads - T->offset[t];
  }
  const FN(flat_rows) rows = FN(rows)(T, s.phase, s.grads);
  if (!T->packed) {
    for (int c = 0; c < planes; c++) {
      v16 weight[NNC_FLAT_MAX_TAPS], acc[NNC_FLAT_MAX_TAPS];
      for (int t = 0; t < taps; t++) weight[t] = (v16){0} + k[c * taps + t], acc[t] = (v16){0};
      for (int n = 0; n < samples; n++) {
        FN(copy)(s.grads, dy + n * dy_stride + (size_t)c * grid, grid);
        if (sums) FN(split)(T, in + n * in_stride + (size_t)c * T->in_plane, 1, s.phase);
        float *o = dx ? dx + n * in_stride + (size_t)c * T->in_plane : NULL;
        for (int v = 0; v < vectors; v++) {
          const int at = v * NNC_FLAT_LANES;
          if (sums) {
            v16i m[NNC_FLAT_MAX_TAPS];
            for (int j = 0; j < kw; j++) m[j] = FN(mask)(masks, forward[v * kw + j]);
            const v16 d = *(const v16 *)(s.grads + at);
            for (int t = 0; t < taps; t++) acc[t] += d * FN(masked)(FN(x_tap)(source, &rows, standard, stride, t) + at, m[t % kw]);
          }
          if (o) {
            v16i m[NNC_FLAT_MAX_TAPS];
            for (int j = 0; j < kw; j++) m[j] = FN(mask)(masks, adjoint[v * kw + j]);
            NNC_FLAT_INPUT_GRADIENT(weight[t], m[t % kw], at, FN(store_live)(o + at, gathered, grid - at), s.dx_phase);
          }
        }
        if (o && T->stride == 2) FN(merge)(T, s.dx_phase, 1, o);
      }
      if (sums)
        for (int t = 0; t < taps; t++) sums[c * taps + t] = FN(sum16)(acc[t]);
    }
  } else {
    const int floats = planes * grid, per = NNC_FLAT_LANES / grid;
    // The accumulators follow the scratch in the (zeroed, 64-byte aligned) work area.
    v16 *acc = sums ? (v16 *)(area + nnc_flat_scratch_floats(T, vectors, 1)) : NULL;
    v16i fm[NNC_FLAT_MAX_TAPS], am[NNC_FLAT_MAX_TAPS];
    for (int t = 0; t < taps; t++) fm[t] = FN(mask)(masks, forward[t]), am[t] = FN(mask)(masks, adjoint[t]);
    for (int n = 0; n < samples; n++) {
      if (n + 1 < samples) {
        FN(prefetch)(dy + (n + 1) * dy_stride, floats);
        if (sums) FN(prefetch)(in + (n + 1) * in_stride, planes * T->in_plane);
      }
      FN(copy)(s.grads, dy + n * dy_stride, floats);
      if (sums) FN(split)(T, in + n * in_stride, planes, s.phase);
      float *o = dx ? dx + n * in_stride : NULL;
      for (int v = 0; v < vectors; v++) {
        const int at = v * NNC_FLAT_LANES;
        if (sums) {
          const v16 d = *(const v16 *)(s.grads + at);
          for (int t = 0; t < taps; t++) acc[v * taps + t] += d * FN(masked)(FN(x_tap)(source, &rows, standard, stride, t) + at, fm[t]);
        }
        if (o) {
          const v16u *e = (const v16u *)(expanded + (size_t)v * (taps + 1) * NNC_FLAT_LANES);
          NNC_FLAT_INPUT_GRADIENT(e[t], am[t], at, FN(store_live)(o + at, gathered, floats - at), s.dx_phase);
        }
      }
      if (o && T->stride == 2) FN(merge)(T, s.dx_phase, planes, o);
    }
    if (sums) {
      for (int v = 0; v < vectors; v++) {
        const int first = v * per, count = nnc_min(per, planes - first);
        for (int t = 0; t < taps; t++) {
          const v16 total = FN(group_sums)(acc[v * taps + t], grid);
          for (int i = 0; i < count; i++) sums[(first + i) * taps + t] = total[i * grid];
        }
      }
    }
  }
}

#undef NNC_FLAT_INPUT_GRADIENT

static void FN(flat_backward)(const void *table, const float *in, const float *dy, const float *k,
                              const float *expanded, int planes, int samples, long in_stride, long dy_stride,
                              float *dx, float *sums, float *area) {
  const nnc_flat_table *T = table;
  // The packed planes' tap sums follow the scratch in the (zeroed, 64-byte aligned) work area.
  v16 *acc = (v16 *)(area + nnc_flat_scratch_floats(T, nnc_flat_call_vectors(T, planes), 1));
#define NNC_PACKED_BACKWARD(geometry) \
  FN(packed_backward_registers)(T, in, dy, k, expanded, planes, samples, in_stride, dy_stride, dx, sums, acc, geometry)
  switch (T->registers) {
    case NNC_FLAT_2X2: return NNC_PACKED_BACKWARD(NNC_FLAT_2X2);
    case NNC_FLAT_4X4: return NNC_PACKED_BACKWARD(NNC_FLAT_4X4);
    case NNC_FLAT_4X4_TO_2X2: return NNC_PACKED_BACKWARD(NNC_FLAT_4X4_TO_2X2);
    case NNC_FLAT_8X8_TO_4X4: return NNC_PACKED_BACKWARD(NNC_FLAT_8X8_TO_4X4);
    case NNC_FLAT_8X8: return FN(rows8_backward_registers)(in, dy, k, planes, samples, in_stride, dy_stride, dx, sums);
    case NNC_FLAT_HALVING32:
      return FN(halving_backward_registers)(T, in, dy, k, planes, samples, in_stride, dy_stride, dx, sums);
    case NNC_FLAT_HALVING16:
      return FN(halving16_backward_registers)(T, in, dy, k, planes, samples, in_stride, dy_stride, dx, sums);
    case NNC_FLAT_ROWS16:
      if (T->grid_w == NNC_FLAT_LANES)
        return FN(rows16_backward_registers)(T, in, dy, k, planes, samples, in_stride, dy_stride, dx, sums, 1);
      return FN(rows16_backward_registers)(T, in, dy, k, planes, samples, in_stride, dy_stride, dx, sums, 2);
  }
#undef NNC_PACKED_BACKWARD
  if (T->standard && T->stride == 1)
    FN(backward_impl)(T, in, dy, k, expanded, planes, samples, in_stride, dy_stride, dx, sums, area, 9, 3, 1, 1);
  else if (T->standard)
    FN(backward_impl)(T, in, dy, k, expanded, planes, samples, in_stride, dy_stride, dx, sums, area, 9, 3, 1, 2);
  else
    FN(backward_impl)(T, in, dy, k, expanded, planes, samples, in_stride, dy_stride, dx, sums, area, T->taps,
                      T->packed ? T->taps : T->slots, 0, T->stride);
}

#undef FN
#undef INLINE
#undef NNC_CAT
#undef NNC_CAT2
