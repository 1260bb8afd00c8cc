// `nnc_max_pool_run` per instruction set (`max_pool.c`): NNC_ISA names the variant. Not a public
// header: it defines functions.

#define NNC_CAT2(a, b) a##_##b
#define NNC_CAT(a, b) NNC_CAT2(a, b)
#define FN(name) NNC_CAT(name, NNC_ISA)
#define MP_IS_WIDE NNC_CAT(MP_WIDE, NNC_ISA)

// Pixels i · stride + x of row `row` for the eight outputs from i = 0: one load at stride 1; at
// stride 2 the even lanes of a load at x and the odd lanes of one at x + 7 (nothing read past the
// last pixel); otherwise one by one.
static inline __attribute__((always_inline)) mp_v8 FN(mp_candidates)(const float *row, int x, int stride) {
  if (stride == 1) return *(const mp_v8 *)(row + x);
  if (stride == 2)
    return __builtin_shufflevector(*(const mp_v8 *)(row + x), *(const mp_v8 *)(row + x + 7), 0, 2, 4, 6, 9, 11, 13,
                                   15);
  mp_v8 v;
  for (int lane = 0; lane < 8; lane++) v[lane] = row[lane * stride + x];
  return v;
}

// Eight outputs from i on.
static inline __attribute__((always_inline)) void FN(max_pool_eight)(const float *origin, long in_width, int rows,
                                                                   int window_w, int stride, int i, float *output) {
  const float *first = origin + (long)i * stride;
  mp_v8 best = FN(mp_candidates)(first, 0, stride);
  for (int r = 0; r < rows; r++) {
    for (int x = 0; x < window_w; x++) {
      const mp_v8 candidate = FN(mp_candidates)(first + r * in_width, x, stride);
      const mp_m8 greater = candidate > best;
      best = (mp_v8)(((mp_m8)candidate & greater) | ((mp_m8)best & ~greater));
    }
  }
  *(mp_v8 *)(output + i) = best;
}

#if MP_IS_WIDE
// Pixels 0, 2, …, 30 from `row`: the even lanes of a load at 0 and the odd lanes of one at 15
// (nothing read past pixel 30).
static inline __attribute__((always_inline)) mp_v16 FN(mp_even16)(const float *row) {
  return __builtin_shufflevector(*(const mp_v16 *)row, *(const mp_v16 *)(row + 15), 0, 2, 4, 6, 8, 10, 12, 14, 17, 19,
                                 21, 23, 25, 27, 29, 31);
}

// ResNet's 3x3, stride-2 window over 16 outputs from i on (AVX-512), compared in the 8-lane
// kernel's order.
static inline __attribute__((always_inline)) void FN(max_pool_sixteen)(const float *origin, long in_width, int i,
                                                                      float *output) {
  const float *first = origin + 2L * i;
  mp_v16 best = FN(mp_even16)(first);
  for (int r = 0; r < 3; r++) {
    for (int x = 0; x < 3; x++) {
      const mp_v16 candidate = FN(mp_even16)(first + r * in_width + x);
      const mp_m16 greater = candidate > best;
      best = (mp_v16)(((mp_m16)candidate & greater) | ((mp_m16)best & ~greater));
    }
  }
  *(mp_v16 *)(output + i) = best;
}
#endif

static void FN(max_pool_run)(const float *origin, long in_width, int rows, int window_w, int stride, int count,
                             float *output) {
  int i = 0;
  if (stride == 2 && window_w == 3 && rows == 3) {
    // ResNet's pooling with the window and stride as constants, so that the loops unroll and the
    // stride's test leaves the inner loop, and 16 outputs at a time with AVX-512: the pooling after
    // ResNet-50's stem 2.1-2.2 -> 1.5-1.6 ms a batch of 8 (Xeon, alternating profiles) with the
    // constants, -> 1.4 with 16 lanes.
#if MP_IS_WIDE
    if (count >= 16) {
      for (; i + 16 <= count; i += 16) FN(max_pool_sixteen)(origin, in_width, i, output);
      if (i < count) FN(max_pool_sixteen)(origin, in_width, count - 16, output);
      return;
    }
#endif
    for (; i + 8 <= count; i += 8) FN(max_pool_eight)(origin, in_width, 3, 3, 2, i, output);
    if (i < count && count >= 8) {
      FN(max_pool_eight)(origin, in_width, 3, 3, 2, count - 8, output);
      return;
    }
  }
  for (; i + 8 <= count; i += 8) FN(max_pool_eight)(origin, in_width, rows, window_w, stride, i, output);
  // The last outputs as the eight that end the run, overlapping the previous ones (each lane's window
  // is its own, so those get the same values again): ResNet-50's 55 inside outputs a row left 7 to
  // the scalar loop (the pooling 2.9 -> 2.3 ms a batch of 8 on a Xeon).
  if (i < count && count >= 8) {
    FN(max_pool_eight)(origin, in_width, rows, window_w, stride, count - 8, output);
    return;
  }
  for (; i < count; i++) {
    const float *first = origin + (long)i * stride;
    float best = first[0];
    for (int r = 0; r < rows; r++)
      for (int x = 0; x < window_w; x++)
        if (first[r * in_width + x] > best) best = first[r * in_width + x];
    output[i] = best;
  }
}

#undef FN
#undef MP_IS_WIDE
#undef NNC_CAT
#undef NNC_CAT2
