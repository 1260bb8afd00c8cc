// `nnc_max_pool_run` and `nnc_max_pool_padded_plane` per instruction set (`max_pool.c`): NNC_ISA
// names the variant. Not a public header: it defines functions.

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

// One output row of `max_pool_padded_plane` from its first window row in the padded copy, which is
// input row `first_row`; with `argmax`, each output's index in the input plane too (a padding
// candidate's index is never taken: its −∞ never wins).
static inline __attribute__((always_inline)) void FN(max_pool_padded_row)(const float *rows, int window_rows,
                                                                         long padded_width, int out_width,
                                                                         int window_w, int stride_w, int pad_left,
                                                                         int first_row, int in_width,
                                                                         float *output, int *argmax) {
  mp_m8 lane_offsets;
  for (int lane = 0; lane < 8; lane++) lane_offsets[lane] = lane * stride_w;
  for (int ox = 0; ox < out_width; ox += 8) {
    const int start = ox + 8 <= out_width ? ox : out_width - 8;
    const float *first = rows + (long)start * stride_w;
    mp_v8 best = FN(mp_candidates)(first, 0, stride_w);
    mp_m8 best_index = lane_offsets + (first_row * in_width + start * stride_w - pad_left);
    // Windows that start in the padding start from the row's first pixel.
    for (int lane = 0; lane < 8 && (start + lane) * stride_w < pad_left; lane++) {
      best[lane] = rows[pad_left];
      best_index[lane] = first_row * in_width;
    }
    for (int r = 0; r < window_rows; r++) {
      for (int x = 0; x < window_w; x++) {
        const mp_v8 candidate = FN(mp_candidates)(first + r * padded_width, x, stride_w);
        const mp_m8 greater = candidate > best;
        best = (mp_v8)(((mp_m8)candidate & greater) | ((mp_m8)best & ~greater));
        if (argmax) {
          const mp_m8 index = lane_offsets + ((first_row + r) * in_width + start * stride_w + x - pad_left);
          best_index = (index & greater) | (best_index & ~greater);
        }
      }
    }
    *(mp_v8 *)(output + start) = best;
    if (argmax) *(mp_m8 *)(argmax + start) = best_index;
  }
}

// A plane whose rows hold too few windows inside them for `max_pool_run` (ResNet-18/32's 16x16 →
// 8x8 pooling: 7 of 8), or whose argmax training needs: each row copied once into `padded` with −∞
// around it, then every output row eight windows at a time (the last eight overlapping the ones
// before) from the padded rows. A lane starts from its window's first pixel inside the input, as
// the scalar loop does, and a padding −∞ is never strictly greater than the best (NaN included), so
// each lane makes the scalar loop's comparisons that can change the result.
static void FN(max_pool_padded_plane)(const float *src, int in_height, int in_width, int out_height, int out_width,
                                      int window_h, int window_w, int stride_h, int stride_w, int pad_top,
                                      int pad_left, long padded_width, float *padded, float *output,
                                      int *argmax) {
  for (int y = 0; y < in_height; y++) {
    float *row = padded + y * padded_width;
    for (int x = 0; x < pad_left; x++) row[x] = -__builtin_inff();
    __builtin_memcpy(row + pad_left, src + (long)y * in_width, sizeof(float) * in_width);
    for (long x = pad_left + in_width; x < padded_width; x++) row[x] = -__builtin_inff();
  }
  for (int oy = 0; oy < out_height; oy++) {
    const int top = oy * stride_h - pad_top;
    const int first_row = top > 0 ? top : 0;
    const int end_row = top + window_h < in_height ? top + window_h : in_height;
    const float *rows = padded + (long)first_row * padded_width;
    float *row_output = output + (long)oy * out_width;
    int *row_argmax = argmax ? argmax + (long)oy * out_width : 0;
    // ResNet's 3-wide window at stride 2 with the constants, so that the loops unroll.
    if (window_w == 3 && stride_w == 2)
      FN(max_pool_padded_row)(rows, end_row - first_row, padded_width, out_width, 3, 2, pad_left, first_row,
                              in_width, row_output, row_argmax);
    else
      FN(max_pool_padded_row)(rows, end_row - first_row, padded_width, out_width, window_w, stride_w, pad_left,
                              first_row, in_width, row_output, row_argmax);
  }
}

#undef FN
#undef MP_IS_WIDE
#undef NNC_CAT
#undef NNC_CAT2
