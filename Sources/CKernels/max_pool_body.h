// `nnc_max_pool_run` per instruction set (`max_pool.c`): NNC_ISA names the variant. Not a public
// header: it defines functions.

#define NNC_CAT2(a, b) a##_##b
#define NNC_CAT(a, b) NNC_CAT2(a, b)
#define FN(name) NNC_CAT(name, NNC_ISA)

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

static void FN(max_pool_run)(const float *origin, long in_width, int rows, int window_w, int stride, int count,
                             float *output) {
  int i = 0;
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
#undef NNC_CAT
#undef NNC_CAT2
