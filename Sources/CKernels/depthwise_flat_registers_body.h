// The flat kernels' register variants for MobileNet's standard maps (3x3, padding 1): 2x2 and 4x4
// at stride 1, 4x4 → 2x2 and 8x8 → 4x4 at stride 2 and 8x8 at stride 1, whose planes are one to four
// vectors, 16 and 32 wide at stride 1, whose rows are one or two, and 16 and 32 wide halved at
// stride 2. A tap's vector is a constant shuffle of the input's vectors with zeros where the tap
// falls outside the map, so nothing is copied into a padded scratch and every load is a whole
// vector of the tensor; the masked loads of the general kernels cross a cache line on almost every
// tap. The lanes hold the same values the general kernels' masked loads give, and the sums run in
// the same order, so the results are the same bits. Included by depthwise_flat_body.h inside its
// FN(...) scope; not a public header.

// Sixteen index expressions M(args, 0) … M(args, 15) for __builtin_shufflevector.
#define NNC_R16(M, ...)                                                                                              \
  M(__VA_ARGS__, 0), M(__VA_ARGS__, 1), M(__VA_ARGS__, 2), M(__VA_ARGS__, 3), M(__VA_ARGS__, 4), M(__VA_ARGS__, 5), \
      M(__VA_ARGS__, 6), M(__VA_ARGS__, 7), M(__VA_ARGS__, 8), M(__VA_ARGS__, 9), M(__VA_ARGS__, 10),               \
      M(__VA_ARGS__, 11), M(__VA_ARGS__, 12), M(__VA_ARGS__, 13), M(__VA_ARGS__, 14), M(__VA_ARGS__, 15)
#define NNC_INSIDE(value, size) ((unsigned)(value) < (unsigned)(size))

// Lane l of a map shifted by (dy, dx): the lane it reads, or 16 (the zero vector's first lane)
// outside the map. A 4x4 plane; four 2x2 planes side by side; two rows of an 8-wide map (columns
// only: the rows come from neighbouring vectors).
#define NNC_LANE44(dy, dx, l) \
  (NNC_INSIDE((l) / 4 + (dy), 4) && NNC_INSIDE((l) % 4 + (dx), 4) ? (l) + (dy) * 4 + (dx) : 16)
#define NNC_LANE22(dy, dx, l) \
  (NNC_INSIDE((l) % 4 / 2 + (dy), 2) && NNC_INSIDE((l) % 2 + (dx), 2) ? (l) + (dy) * 2 + (dx) : 16)
#define NNC_LANE8(dy, dx, l) (NNC_INSIDE((l) % 8 + (dx), 8) ? (l) + (dx) : 16)
#define NNC_SHIFT(LANE, x, zero, dy, dx) __builtin_shufflevector(x, zero, NNC_R16(LANE, dy, dx))
// Rows 2v + 1 and 2v + 2 of an 8-wide map from vectors v and v + 1 (or 2v − 1 and 2v from v − 1, v).
#define NNC_HALVES(unused, l) ((l) + 8)
#define NNC_ROWS_BETWEEN(upper, lower) __builtin_shufflevector(upper, lower, NNC_R16(NNC_HALVES, 0))

// Stride 2: the four input vectors of an output vector (four channels of 4x4, or the row pairs of
// one 8x8 plane) → its four phase vectors, phase (a, b) holding input pixel (2i + a, 2j + b) of
// output pixel (i, j), lane 4g + q for input vector g and pixel q of it. SOURCE(a, b, q) is that
// pixel's lane in vector g. Two rounds: vectors 0 and 1 (2 and 3) → both column phases of row phase
// a, then the halves of those → each phase.
#define NNC_SOURCE42(a, b, q) (8 * ((q) / 2) + 4 * (a) + 2 * ((q) % 2) + (b))
#define NNC_SOURCE84(a, b, q) (8 * (a) + 2 * (q) + (b))
#define NNC_SPLIT_PAIR(SOURCE, a, l) ((l) / 4 % 2 * 16 + SOURCE(a, (l) / 8, (l) % 4))
#define NNC_SPLIT_HALVES(b, l) ((l) / 8 * 16 + (b) * 8 + (l) % 8)
// The inverse (the input gradient's phases → its vectors): a lane s of vector g comes from phase
// (ROW(s), s % 2), pixel PIXEL(s).
#define NNC_ROW42(s) ((s) / 4 % 2)
#define NNC_PIXEL42(s) ((s) / 8 * 2 + (s) % 4 / 2)
#define NNC_ROW84(s) ((s) / 8)
#define NNC_PIXEL84(s) ((s) % 8 / 2)
#define NNC_MERGE_HALVES(half, l) ((l) / 8 * 16 + (half) * 8 + (l) % 8)
#define NNC_MERGE_PAIR(ROW, PIXEL, g, s) (ROW(s) * 16 + (s) % 2 * 8 + (g) * 4 + PIXEL(s))


// The four phase vectors of the input vectors x (geometry NNC_FLAT_4X4_TO_2X2 or _8X8_TO_4X4).
INLINE void FN(split_phases)(const v16 x[4], v16 phase[4], const int geometry) {
  v16 pairs[2][2];  // [row phase a][vectors 0-1, 2-3]
  if (geometry == NNC_FLAT_4X4_TO_2X2) {
    pairs[0][0] = __builtin_shufflevector(x[0], x[1], NNC_R16(NNC_SPLIT_PAIR, NNC_SOURCE42, 0));
    pairs[0][1] = __builtin_shufflevector(x[2], x[3], NNC_R16(NNC_SPLIT_PAIR, NNC_SOURCE42, 0));
    pairs[1][0] = __builtin_shufflevector(x[0], x[1], NNC_R16(NNC_SPLIT_PAIR, NNC_SOURCE42, 1));
    pairs[1][1] = __builtin_shufflevector(x[2], x[3], NNC_R16(NNC_SPLIT_PAIR, NNC_SOURCE42, 1));
  } else {
    pairs[0][0] = __builtin_shufflevector(x[0], x[1], NNC_R16(NNC_SPLIT_PAIR, NNC_SOURCE84, 0));
    pairs[0][1] = __builtin_shufflevector(x[2], x[3], NNC_R16(NNC_SPLIT_PAIR, NNC_SOURCE84, 0));
    pairs[1][0] = __builtin_shufflevector(x[0], x[1], NNC_R16(NNC_SPLIT_PAIR, NNC_SOURCE84, 1));
    pairs[1][1] = __builtin_shufflevector(x[2], x[3], NNC_R16(NNC_SPLIT_PAIR, NNC_SOURCE84, 1));
  }
  for (int a = 0; a < 2; a++) {
    phase[a * 2] = __builtin_shufflevector(pairs[a][0], pairs[a][1], NNC_R16(NNC_SPLIT_HALVES, 0));
    phase[a * 2 + 1] = __builtin_shufflevector(pairs[a][0], pairs[a][1], NNC_R16(NNC_SPLIT_HALVES, 1));
  }
}

// The inverse of split_phases.
INLINE void FN(merge_phases)(const v16 phase[4], v16 x[4], const int geometry) {
  v16 pairs[2][2];  // [row phase a][vectors 0-1, 2-3]
  for (int a = 0; a < 2; a++) {
    pairs[a][0] = __builtin_shufflevector(phase[a * 2], phase[a * 2 + 1], NNC_R16(NNC_MERGE_HALVES, 0));
    pairs[a][1] = __builtin_shufflevector(phase[a * 2], phase[a * 2 + 1], NNC_R16(NNC_MERGE_HALVES, 1));
  }
  for (int h = 0; h < 2; h++) {
    if (geometry == NNC_FLAT_4X4_TO_2X2) {
      x[h * 2] = __builtin_shufflevector(pairs[0][h], pairs[1][h], NNC_R16(NNC_MERGE_PAIR, NNC_ROW42, NNC_PIXEL42, 0));
      x[h * 2 + 1] =
          __builtin_shufflevector(pairs[0][h], pairs[1][h], NNC_R16(NNC_MERGE_PAIR, NNC_ROW42, NNC_PIXEL42, 1));
    } else {
      x[h * 2] = __builtin_shufflevector(pairs[0][h], pairs[1][h], NNC_R16(NNC_MERGE_PAIR, NNC_ROW84, NNC_PIXEL84, 0));
      x[h * 2 + 1] =
          __builtin_shufflevector(pairs[0][h], pairs[1][h], NNC_R16(NNC_MERGE_PAIR, NNC_ROW84, NNC_PIXEL84, 1));
    }
  }
}

// The nine taps of a map held in one vector: tap (ky, kx) is x shifted by sign · (ky − 1, kx − 1)
// (sign 1 forward; −1 for the input gradient, which reads grad_output at −offset).
#define NNC_NINE_SHIFTS(tap, LANE, x, z, sign)                                                              \
  do {                                                                                                     \
    tap[0] = NNC_SHIFT(LANE, x, z, -(sign), -(sign)), tap[1] = NNC_SHIFT(LANE, x, z, -(sign), 0);          \
    tap[2] = NNC_SHIFT(LANE, x, z, -(sign), (sign)), tap[3] = NNC_SHIFT(LANE, x, z, 0, -(sign));           \
    tap[4] = x, tap[5] = NNC_SHIFT(LANE, x, z, 0, (sign));                                                 \
    tap[6] = NNC_SHIFT(LANE, x, z, (sign), -(sign)), tap[7] = NNC_SHIFT(LANE, x, z, (sign), 0);            \
    tap[8] = NNC_SHIFT(LANE, x, z, (sign), (sign));                                                        \
  } while (0)

// The nine tap vectors of one packed output vector, forward: tap (ky, kx) of output pixel p is the
// input at p + (ky − 1, kx − 1), at stride 2 phase (ky ≠ 1, kx ≠ 1) shifted by (−[ky = 0], −[kx = 0]).
// `x` is the input vector (stride 1) or the four phase vectors (stride 2).
INLINE void FN(packed_taps)(const v16 *x, v16 tap[9], const int geometry) {
  const v16 z = {0};
  if (geometry == NNC_FLAT_2X2) {
    NNC_NINE_SHIFTS(tap, NNC_LANE22, x[0], z, 1);
  } else if (geometry == NNC_FLAT_4X4) {
    NNC_NINE_SHIFTS(tap, NNC_LANE44, x[0], z, 1);
  } else if (geometry == NNC_FLAT_4X4_TO_2X2) {  // phases 0 (0,0), 1 (0,1), 2 (1,0), 3 (1,1); output 2x2
    tap[0] = NNC_SHIFT(NNC_LANE22, x[3], z, -1, -1), tap[1] = NNC_SHIFT(NNC_LANE22, x[2], z, -1, 0);
    tap[2] = NNC_SHIFT(NNC_LANE22, x[3], z, -1, 0), tap[3] = NNC_SHIFT(NNC_LANE22, x[1], z, 0, -1);
    tap[4] = x[0], tap[5] = x[1];
    tap[6] = NNC_SHIFT(NNC_LANE22, x[3], z, 0, -1), tap[7] = x[2], tap[8] = x[3];
  } else {  // NNC_FLAT_8X8_TO_4X4: output 4x4
    tap[0] = NNC_SHIFT(NNC_LANE44, x[3], z, -1, -1), tap[1] = NNC_SHIFT(NNC_LANE44, x[2], z, -1, 0);
    tap[2] = NNC_SHIFT(NNC_LANE44, x[3], z, -1, 0), tap[3] = NNC_SHIFT(NNC_LANE44, x[1], z, 0, -1);
    tap[4] = x[0], tap[5] = x[1];
    tap[6] = NNC_SHIFT(NNC_LANE44, x[3], z, 0, -1), tap[7] = x[2], tap[8] = x[3];
  }
}

// grad_output d read by tap t of the input gradient (the adjoint of packed_taps): at stride 1
// shifted by (1 − ky, 1 − kx); at stride 2, for the phase the tap feeds, by ([ky = 0], [kx = 0]).
INLINE void FN(packed_adjoint_taps)(v16 d, v16 tap[9], const int geometry) {
  const v16 z = {0};
  if (geometry == NNC_FLAT_2X2) {
    NNC_NINE_SHIFTS(tap, NNC_LANE22, d, z, -1);
  } else if (geometry == NNC_FLAT_4X4) {
    NNC_NINE_SHIFTS(tap, NNC_LANE44, d, z, -1);
  } else if (geometry == NNC_FLAT_4X4_TO_2X2) {
    tap[0] = NNC_SHIFT(NNC_LANE22, d, z, 1, 1), tap[1] = NNC_SHIFT(NNC_LANE22, d, z, 1, 0);
    tap[2] = tap[1], tap[3] = NNC_SHIFT(NNC_LANE22, d, z, 0, 1);
    tap[4] = d, tap[5] = d, tap[6] = tap[3], tap[7] = d, tap[8] = d;
  } else {  // NNC_FLAT_8X8_TO_4X4
    tap[0] = NNC_SHIFT(NNC_LANE44, d, z, 1, 1), tap[1] = NNC_SHIFT(NNC_LANE44, d, z, 1, 0);
    tap[2] = tap[1], tap[3] = NNC_SHIFT(NNC_LANE44, d, z, 0, 1);
    tap[4] = d, tap[5] = d, tap[6] = tap[3], tap[7] = d, tap[8] = d;
  }
}

// The input vectors behind packed output vector v of sample n: one vector at stride 1, four at
// stride 2 (its channels' planes, or its plane's rows), those past `planes` zero.
INLINE void FN(packed_inputs)(const nnc_flat_table *T, const float *in, int v, int planes, v16 x[4],
                              const int geometry) {
  if (T->stride == 1) {
    x[0] = FN(load_live)(in + (size_t)v * NNC_FLAT_LANES, planes * T->grid - v * NNC_FLAT_LANES);
    return;
  }
  v16 source[4];
  const int floats = planes * T->in_plane - v * 4 * NNC_FLAT_LANES;
  for (int g = 0; g < 4; g++)
    source[g] = FN(load_live)(in + ((size_t)v * 4 + g) * NNC_FLAT_LANES, floats - g * NNC_FLAT_LANES);
  FN(split_phases)(source, x, geometry);
}

// The input gradient of packed vector v from its taps' sums (stride 1: the one sum; stride 2: the
// four phases' sums, merged into the input's vectors), stored up to `planes`.
INLINE void FN(packed_store_dx)(const nnc_flat_table *T, float *dx, int v, int planes, const v16 *sums,
                                const int geometry) {
  if (T->stride == 1) {
    FN(store_live)(dx + (size_t)v * NNC_FLAT_LANES, sums[0], planes * T->grid - v * NNC_FLAT_LANES);
    return;
  }
  v16 merged[4];
  FN(merge_phases)(sums, merged, geometry);
  const int floats = planes * T->in_plane - v * 4 * NNC_FLAT_LANES;
  for (int g = 0; g < 4 && floats - g * NNC_FLAT_LANES > 0; g++)
    FN(store_live)(dx + ((size_t)v * 4 + g) * NNC_FLAT_LANES, merged[g], floats - g * NNC_FLAT_LANES);
}

// The weight vectors of packed vector v when it holds one channel (4x4 outputs): its kernel's values
// splatted — nothing expanded, so such tasks need no per-lane copy of the weights (the values are
// read as they are, not plus zero: the products and sums are those of the expanded vectors). Smaller
// planes read their expanded vectors (`nnc_depthwise_flat_expand`) in place; each caller keeps the
// two apart so that the splats stay in registers and AVX2's sixteen do not spill the others.
INLINE void FN(splat_weights)(const float *k, int v, v16 weight[9]) {
  for (int t = 0; t < 9; t++) {
    const float w = k[v * 9 + t];
    weight[t] = (v16){w, w, w, w, w, w, w, w, w, w, w, w, w, w, w, w};
  }
}

// The sums of the input gradient's vectors from grad_output d and the weight vectors e, in the
// order of NNC_FLAT_INPUT_GRADIENT: every tap at stride 1; at stride 2 each phase's taps.
INLINE void FN(packed_gather)(v16 d, const v16u *e, v16 sums[4], const int stride, const int geometry) {
  v16 tap[9];
  FN(packed_adjoint_taps)(d, tap, geometry);
  if (stride == 1) {
    v16 gathered = {0};
    for (int t = 0; t < 9; t++) gathered += e[t] * tap[t];
    sums[0] = gathered;
    return;
  }
  static const int counts[4] = {1, 2, 2, 4}, lists[4][4] = {{4}, {3, 5}, {1, 7}, {0, 2, 6, 8}};
  for (int p = 0; p < 4; p++) {
    v16 gathered = {0};
    for (int i = 0; i < counts[p]; i++) gathered += e[lists[p][i]] * tap[lists[p][i]];
    sums[p] = gathered;
  }
}

INLINE void FN(packed_forward_registers)(const nnc_flat_table *T, const float *restrict in, const float *restrict k,
                                         const float *restrict biases, const float *restrict expanded, int planes, int samples, long in_stride, long out_stride, float *restrict out,
                                         const int geometry) {
  const int vectors = (planes * T->grid + NNC_FLAT_LANES - 1) / NNC_FLAT_LANES;
  for (int n = 0; n < samples; n++) {
    for (int v = 0; v < vectors; v++) {
      v16 x[4], tap[9], acc;
      FN(packed_inputs)(T, in + n * in_stride, v, planes, x, geometry);
      FN(packed_taps)(x, tap, geometry);
      if (T->grid == NNC_FLAT_LANES) {
        v16 weight[9];
        FN(splat_weights)(k, v, weight);
        acc = (v16){0} + (biases ? biases[v] : 0);
        for (int t = 0; t < 9; t++) acc += weight[t] * tap[t];
      } else {
        const v16u *e = (const v16u *)(expanded + (size_t)v * 10 * NNC_FLAT_LANES);
        acc = e[9];
        for (int t = 0; t < 9; t++) acc += e[t] * tap[t];
      }
      FN(store_live)(out + n * out_stride + (size_t)v * NNC_FLAT_LANES, acc, planes * T->grid - v * NNC_FLAT_LANES);
    }
  }
}

// Both gradients, sample by sample as the general kernel (a vector at a time over the samples, with
// the tap sums in registers, waited on lines a sample apart): the tap sums of the call's vectors in
// `acc` (zeroed), each lane adding the samples in order as there; the next sample's lines of the
// call are fetched ahead.
INLINE void FN(packed_backward_registers)(const nnc_flat_table *T, const float *restrict in,
                                          const float *restrict dy, const float *restrict k,
                                          const float *restrict expanded, int planes,
                                          int samples, long in_stride, long dy_stride, float *restrict dx,
                                          float *restrict sums, v16 *restrict acc, const int geometry) {
  const int stride = geometry == NNC_FLAT_4X4_TO_2X2 || geometry == NNC_FLAT_8X8_TO_4X4 ? 2 : 1;
  const int grid = T->grid, floats = planes * grid, vectors = (floats + NNC_FLAT_LANES - 1) / NNC_FLAT_LANES;
  const int per = NNC_FLAT_LANES / grid;
  for (int n = 0; n < samples; n++) {
    if (n + 1 < samples) {
      FN(prefetch)(dy + (n + 1) * dy_stride, floats);
      if (sums) FN(prefetch)(in + (n + 1) * in_stride, planes * T->in_plane);
    }
    for (int v = 0; v < vectors; v++) {
      const v16 d = FN(load_live)(dy + n * dy_stride + (size_t)v * NNC_FLAT_LANES, floats - v * NNC_FLAT_LANES);
      if (sums) {
        v16 x[4], tap[9];
        FN(packed_inputs)(T, in + n * in_stride, v, planes, x, geometry);
        FN(packed_taps)(x, tap, geometry);
        for (int t = 0; t < 9; t++) acc[v * 9 + t] += d * tap[t];
      }
      if (dx) {
        v16 gathered[4];
        if (T->grid == NNC_FLAT_LANES) {
          v16 weight[9];
          FN(splat_weights)(k, v, weight);
          FN(packed_gather)(d, (const v16u *)weight, gathered, stride, geometry);
        } else {
          FN(packed_gather)(d, (const v16u *)(expanded + (size_t)v * 10 * NNC_FLAT_LANES), gathered, stride, geometry);
        }
        FN(packed_store_dx)(T, dx + n * in_stride, v, planes, gathered, geometry);
      }
    }
  }
  if (sums) {
    for (int v = 0; v < vectors; v++) {
      const int first = v * per, count = nnc_min(per, planes - first);
      for (int t = 0; t < 9; t++) {
        const v16 total = FN(group_sums)(acc[v * 9 + t], grid);
        for (int i = 0; i < count; i++) sums[(first + i) * 9 + t] = total[i * grid];
      }
    }
  }
}

// 8x8 planes at stride 1: four vectors of two rows each. Tap (ky, kx) of vector v reads rows
// 2v + ky − 1 and 2v + ky (the vectors around it joined, zeros past the map) shifted by kx − 1.
INLINE void FN(rows8_taps)(const v16 x[4], int v, v16 tap[9], const int adjoint) {
  const v16 z = {0};
  const v16 above = NNC_ROWS_BETWEEN(v > 0 ? x[v - 1] : z, x[v]);
  const v16 below = NNC_ROWS_BETWEEN(x[v], v < 3 ? x[v + 1] : z);
  // The adjoint reads grad_output at −offset: rows and columns the other way round.
  const v16 rows[3] = {adjoint ? below : above, x[v], adjoint ? above : below};
  const int sign = adjoint ? -1 : 1;
  for (int ky = 0; ky < 3; ky++) {
    tap[ky * 3 + 1] = rows[ky];
    if (sign > 0) {
      tap[ky * 3] = NNC_SHIFT(NNC_LANE8, rows[ky], z, 0, -1);
      tap[ky * 3 + 2] = NNC_SHIFT(NNC_LANE8, rows[ky], z, 0, 1);
    } else {
      tap[ky * 3] = NNC_SHIFT(NNC_LANE8, rows[ky], z, 0, 1);
      tap[ky * 3 + 2] = NNC_SHIFT(NNC_LANE8, rows[ky], z, 0, -1);
    }
  }
}

INLINE void FN(rows8_forward_registers)(const float *restrict in, const float *restrict k,
                                        const float *restrict biases, int planes, int samples, long in_stride,
                                        long out_stride, float *restrict out) {
  for (int c = 0; c < planes; c++) {
    v16 weight[9];
    for (int t = 0; t < 9; t++) weight[t] = (v16){0} + k[c * 9 + t];
    const v16 initial = (v16){0} + (biases ? biases[c] : 0);
    for (int n = 0; n < samples; n++) {
      const float *p = in + n * in_stride + (size_t)c * 64;
      const v16 x[4] = {*(const v16u *)p, *(const v16u *)(p + 16), *(const v16u *)(p + 32), *(const v16u *)(p + 48)};
      float *o = out + n * out_stride + (size_t)c * 64;
      const long next = FN(next_plane)(c, n, samples, out_stride, 64);
      for (int v = 0; v < 4; v++) {
        v16 tap[9];
        FN(fetch_for_write)(out, next + v * 16);
        FN(rows8_taps)(x, v, tap, 0);
        v16 acc = initial;
        for (int t = 0; t < 9; t++) acc += weight[t] * tap[t];
        *(v16u *)(o + v * 16) = acc;
      }
    }
  }
}

INLINE void FN(rows8_backward_registers)(const float *restrict in, const float *restrict dy,
                                         const float *restrict k, int planes, int samples, long in_stride,
                                         long dy_stride, float *restrict dx, float *restrict sums) {
  for (int c = 0; c < planes; c++) {
    v16 weight[9], acc[9];
    for (int t = 0; t < 9; t++) weight[t] = (v16){0} + k[c * 9 + t], acc[t] = (v16){0};
    for (int n = 0; n < samples; n++) {
      const float *p = in + n * in_stride + (size_t)c * 64, *q = dy + n * dy_stride + (size_t)c * 64;
      // Four planes ahead: a plane's both passes take about as long as a line takes to come from
      // memory, and one plane ahead left the lines late (MobileNetV2's 192x8x8 backward pass 0.39 →
      // 0.345 ms a training step, medians of four alternating profiles; eight ahead 0.355).
      const long next_in = FN(plane_ahead)(c, n, samples, in_stride, 64, 4);
      const long next_dy = FN(plane_ahead)(c, n, samples, dy_stride, 64, 4);
      for (int v = 0; v < 4; v++) {
        FN(fetch)(dy, next_dy + v * 16);
        if (sums) FN(fetch)(in, next_in + v * 16);
        if (dx) FN(fetch_for_write)(dx, next_in + v * 16);
      }
      const v16 d[4] = {*(const v16u *)q, *(const v16u *)(q + 16), *(const v16u *)(q + 32), *(const v16u *)(q + 48)};
      if (sums) {
        const v16 x[4] = {*(const v16u *)p, *(const v16u *)(p + 16), *(const v16u *)(p + 32),
                          *(const v16u *)(p + 48)};
        for (int v = 0; v < 4; v++) {
          v16 tap[9];
          FN(rows8_taps)(x, v, tap, 0);
          for (int t = 0; t < 9; t++) acc[t] += d[v] * tap[t];
        }
      }
      if (dx) {
        float *o = dx + n * in_stride + (size_t)c * 64;
        for (int v = 0; v < 4; v++) {
          v16 tap[9];
          FN(rows8_taps)(d, v, tap, 1);
          v16 gathered = {0};
          for (int t = 0; t < 9; t++) gathered += weight[t] * tap[t];
          *(v16u *)(o + v * 16) = gathered;
        }
      }
    }
    if (sums)
      for (int t = 0; t < 9; t++) sums[c * 9 + t] = FN(sum16)(acc[t]);
  }
}

// Maps whose rows are one or two whole vectors (16 or 32 pixels wide) at stride 1: each input row is loaded
// once and shifted a column either way once (with the neighbouring vector of the row, zeros past its
// ends), and the three rows of a ring serve every output row they reach. Rows past the map add
// w · 0 as the general kernels' padded copies do.
#define NNC_ROW16_MAX_VECTORS 2
#define NNC_LEFT_LANE(unused, l) ((l) + 15)
#define NNC_RIGHT_LANE(unused, l) ((l) + 1)

// Row `row` of a plane (`vectors` vectors; NULL: a row past the map) → its columns shifted right
// (kx = 0 reads x − 1), as they are, and shifted left.
INLINE void FN(row16_load)(const float *row, int vectors, v16 shifted[3][NNC_ROW16_MAX_VECTORS]) {
  const v16 z = {0};
  for (int j = 0; j < vectors; j++) shifted[1][j] = row ? *(const v16u *)(row + j * NNC_FLAT_LANES) : z;
  for (int j = 0; j < vectors; j++) {
    shifted[0][j] = __builtin_shufflevector(j > 0 ? shifted[1][j - 1] : z, shifted[1][j], NNC_R16(NNC_LEFT_LANE, 0));
    shifted[2][j] =
        __builtin_shufflevector(shifted[1][j], j + 1 < vectors ? shifted[1][j + 1] : z, NNC_R16(NNC_RIGHT_LANE, 0));
  }
}

// The ring's slot of row r (−1 … height): rows past the map have their own zero slot.
INLINE int FN(row16_slot)(int r, int height) { return r < 0 || r >= height ? 3 : r % 3; }

INLINE void FN(rows16_forward_registers)(const nnc_flat_table *T, const float *restrict in, const float *restrict k,
                                         const float *restrict biases, int planes, int samples, long in_stride,
                                         long out_stride, float *restrict out, const int vectors) {
  const int width = vectors * NNC_FLAT_LANES, height = T->grid / T->grid_w;
  v16 ring[4][3][NNC_ROW16_MAX_VECTORS];
  FN(row16_load)(NULL, vectors, ring[3]);
  for (int c = 0; c < planes; c++) {
    v16 weight[9];
    for (int t = 0; t < 9; t++) weight[t] = (v16){0} + k[c * 9 + t];
    const v16 initial = (v16){0} + (biases ? biases[c] : 0);
    for (int n = 0; n < samples; n++) {
      const float *plane = in + n * in_stride + (size_t)c * T->grid;
      float *o = out + n * out_stride + (size_t)c * T->grid;
      const long next = FN(next_plane)(c, n, samples, out_stride, T->grid);
      FN(row16_load)(plane, vectors, ring[0]);
      for (int y = 0; y < height; y++) {
        if (y + 1 < height) FN(row16_load)(plane + (size_t)(y + 1) * width, vectors, ring[(y + 1) % 3]);
        for (int j = 0; j < vectors; j++) FN(fetch_for_write)(out, next + y * width + j * NNC_FLAT_LANES);
        for (int j = 0; j < vectors; j++) {
          v16 acc = initial;
          for (int ky = 0; ky < 3; ky++) {
            const int slot = FN(row16_slot)(y + ky - 1, height);
            for (int kx = 0; kx < 3; kx++) acc += weight[ky * 3 + kx] * ring[slot][kx][j];
          }
          *(v16u *)(o + (size_t)y * width + j * NNC_FLAT_LANES) = acc;
        }
      }
    }
  }
}

// Both gradients: the weight gradient's tap sums from the input's ring, the input gradient from a
// ring of grad_output rows read the other way round (rows y + 1 − ky, columns x + 1 − kx).
INLINE void FN(rows16_backward_registers)(const nnc_flat_table *T, const float *restrict in,
                                          const float *restrict dy, const float *restrict k, int planes,
                                          int samples, long in_stride, long dy_stride, float *restrict dx,
                                          float *restrict sums, const int vectors) {
  const int width = vectors * NNC_FLAT_LANES, height = T->grid / T->grid_w;
  v16 ring[4][3][NNC_ROW16_MAX_VECTORS], grads[4][3][NNC_ROW16_MAX_VECTORS];
  FN(row16_load)(NULL, vectors, ring[3]);
  FN(row16_load)(NULL, vectors, grads[3]);
  for (int c = 0; c < planes; c++) {
    v16 weight[9], acc[9];
    for (int t = 0; t < 9; t++) weight[t] = (v16){0} + k[c * 9 + t], acc[t] = (v16){0};
    for (int n = 0; n < samples; n++) {
      const float *plane = in + n * in_stride + (size_t)c * T->grid;
      const float *grad = dy + n * dy_stride + (size_t)c * T->grid;
      float *o = dx ? dx + n * in_stride + (size_t)c * T->grid : NULL;
      const long next_in = FN(next_plane)(c, n, samples, in_stride, T->grid);
      const long next_dy = FN(next_plane)(c, n, samples, dy_stride, T->grid);
      if (sums) FN(row16_load)(plane, vectors, ring[0]);
      if (o) FN(row16_load)(grad, vectors, grads[0]);
      for (int y = 0; y < height; y++) {
        if (y + 1 < height) {
          if (sums) FN(row16_load)(plane + (size_t)(y + 1) * width, vectors, ring[(y + 1) % 3]);
          if (o) FN(row16_load)(grad + (size_t)(y + 1) * width, vectors, grads[(y + 1) % 3]);
        }
        for (int j = 0; j < vectors; j++) {
          const long at = y * width + j * NNC_FLAT_LANES;
          FN(fetch)(dy, next_dy + at);
          if (sums) FN(fetch)(in, next_in + at);
          if (o) FN(fetch_for_write)(dx, next_in + at);
        }
        for (int j = 0; j < vectors; j++) {
          if (sums) {
            const v16 d = *(const v16u *)(grad + (size_t)y * width + j * NNC_FLAT_LANES);
            for (int ky = 0; ky < 3; ky++) {
              const int slot = FN(row16_slot)(y + ky - 1, height);
              for (int kx = 0; kx < 3; kx++) acc[ky * 3 + kx] += d * ring[slot][kx][j];
            }
          }
          if (o) {
            v16 gathered = {0};
            for (int ky = 0; ky < 3; ky++) {
              const int slot = FN(row16_slot)(y + 1 - ky, height);
              for (int kx = 0; kx < 3; kx++) gathered += weight[ky * 3 + kx] * grads[slot][2 - kx][j];
            }
            *(v16u *)(o + (size_t)y * width + j * NNC_FLAT_LANES) = gathered;
          }
        }
      }
    }
    if (sums)
      for (int t = 0; t < 9; t++) sums[c * 9 + t] = FN(sum16)(acc[t]);
  }
}

// 32-wide maps halved at stride 2 (32x32 → 16x16): an input row is split once into its even
// columns, its odd columns and its odd columns shifted a column right (column 2x − 1 of output
// column x; zero at x = 0), and output row y's taps read rows 2y − 1, 2y and 2y + 1 (zeros past the
// map), so no tap needs a mask or a copied phase plane. The input gradient gathers, per input row,
// its even and odd columns from the grad_output rows that read them, each phase's taps in order
// (NNC_FLAT_INPUT_GRADIENT's), then interleaves them.
#define NNC_EVEN_LANE(unused, l) (2 * (l))
#define NNC_ODD_LANE(unused, l) (2 * (l) + 1)
#define NNC_AFTER_ZERO(unused, l) ((l) == 0 ? 0 : 15 + (l))
#define NNC_LEFT_OF(unused, l) ((l) == 15 ? 16 : (l) + 1)
#define NNC_INTERLEAVE_LOW(unused, l) ((l) % 2 ? 16 + (l) / 2 : (l) / 2)
#define NNC_INTERLEAVE_HIGH(unused, l) ((l) % 2 ? 24 + (l) / 2 : 8 + (l) / 2)

// Input row `row` (NULL: past the map) as [odd shifted right, even, odd]: tap column kx's vector.
INLINE void FN(halving_row)(const float *row, v16 parts[3]) {
  const v16 z = {0};
  if (!row) {
    parts[0] = parts[1] = parts[2] = z;
    return;
  }
  const v16 a = *(const v16u *)row, b = *(const v16u *)(row + NNC_FLAT_LANES);
  parts[1] = __builtin_shufflevector(a, b, NNC_R16(NNC_EVEN_LANE, 0));
  parts[2] = __builtin_shufflevector(a, b, NNC_R16(NNC_ODD_LANE, 0));
  parts[0] = __builtin_shufflevector(z, parts[2], NNC_R16(NNC_AFTER_ZERO, 0));
}

INLINE void FN(halving_forward_registers)(const nnc_flat_table *T, const float *restrict in, const float *restrict k,
                                          const float *restrict biases, int planes, int samples, long in_stride,
                                          long out_stride, float *restrict out) {
  const int height = T->grid / T->grid_w, in_height = T->in_height, width = 2 * NNC_FLAT_LANES;
  for (int c = 0; c < planes; c++) {
    v16 weight[9];
    for (int t = 0; t < 9; t++) weight[t] = (v16){0} + k[c * 9 + t];
    const v16 initial = (v16){0} + (biases ? biases[c] : 0);
    for (int n = 0; n < samples; n++) {
      const float *plane = in + n * in_stride + (size_t)c * T->in_plane;
      float *o = out + n * out_stride + (size_t)c * T->grid;
      const long next = FN(next_plane)(c, n, samples, out_stride, T->grid);
      v16 rows[3][3];  // input rows 2y − 1, 2y, 2y + 1
      FN(halving_row)(NULL, rows[0]);
      for (int y = 0; y < height; y++) {
        FN(fetch_for_write)(out, next + y * NNC_FLAT_LANES);
        if (y > 0)
          for (int kx = 0; kx < 3; kx++) rows[0][kx] = rows[2][kx];
        FN(halving_row)(plane + (size_t)(2 * y) * width, rows[1]);
        FN(halving_row)(2 * y + 1 < in_height ? plane + (size_t)(2 * y + 1) * width : NULL, rows[2]);
        v16 acc = initial;
        for (int ky = 0; ky < 3; ky++)
          for (int kx = 0; kx < 3; kx++) acc += weight[ky * 3 + kx] * rows[ky][kx];
        *(v16u *)(o + (size_t)y * NNC_FLAT_LANES) = acc;
      }
    }
  }
}

INLINE void FN(halving_backward_registers)(const nnc_flat_table *T, const float *restrict in,
                                           const float *restrict dy, const float *restrict k, int planes,
                                           int samples, long in_stride, long dy_stride, float *restrict dx,
                                           float *restrict sums) {
  const int height = T->grid / T->grid_w, in_height = T->in_height, width = 2 * NNC_FLAT_LANES;
  const v16 z = {0};
  for (int c = 0; c < planes; c++) {
    v16 weight[9], acc[9];
    for (int t = 0; t < 9; t++) weight[t] = (v16){0} + k[c * 9 + t], acc[t] = z;
    for (int n = 0; n < samples; n++) {
      const float *plane = in + n * in_stride + (size_t)c * T->in_plane;
      const float *grad = dy + n * dy_stride + (size_t)c * T->grid;
      const long next_in = FN(next_plane)(c, n, samples, in_stride, T->in_plane);
      const long next_dy = FN(next_plane)(c, n, samples, dy_stride, T->grid);
      if (sums) {
        v16 rows[3][3];
        FN(halving_row)(NULL, rows[0]);
        for (int y = 0; y < height; y++) {
          // The next plane's lines of output row y: grad_output's, and input rows 2y and 2y + 1.
          FN(fetch)(dy, next_dy + y * NNC_FLAT_LANES);
          for (int i = 0; i < 4; i++) {
            FN(fetch)(in, next_in + 2 * y * width + i * NNC_FLAT_LANES);
            if (dx) FN(fetch_for_write)(dx, next_in + 2 * y * width + i * NNC_FLAT_LANES);
          }
          if (y > 0)
            for (int kx = 0; kx < 3; kx++) rows[0][kx] = rows[2][kx];
          FN(halving_row)(plane + (size_t)(2 * y) * width, rows[1]);
          FN(halving_row)(2 * y + 1 < in_height ? plane + (size_t)(2 * y + 1) * width : NULL, rows[2]);
          const v16 d = *(const v16u *)(grad + (size_t)y * NNC_FLAT_LANES);
          for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++) acc[ky * 3 + kx] += d * rows[ky][kx];
        }
      }
      if (dx) {
        float *o = dx + n * in_stride + (size_t)c * T->in_plane;
        for (int r = 0; r < in_height; r++) {
          v16 even = z, odd = z;
          if (r % 2 == 0) {
            // Phase (0, 0): tap 4; phase (0, 1): taps 3 and 5 (columns x + 1 and x of row r / 2).
            const v16 d = *(const v16u *)(grad + (size_t)(r / 2) * NNC_FLAT_LANES);
            const v16 left = __builtin_shufflevector(d, z, NNC_R16(NNC_LEFT_OF, 0));
            even += weight[4] * d;
            odd += weight[3] * left;
            odd += weight[5] * d;
          } else {
            // Rows (r + 1) / 2 (ky = 0; past the map below the last) and (r − 1) / 2 (ky = 2): phase
            // (1, 0) taps 1 and 7, phase (1, 1) taps 0, 2, 6 and 8.
            const v16 above = (r + 1) / 2 < height ? *(const v16u *)(grad + (size_t)((r + 1) / 2) * NNC_FLAT_LANES) : z;
            const v16 below = *(const v16u *)(grad + (size_t)((r - 1) / 2) * NNC_FLAT_LANES);
            const v16 above_left = __builtin_shufflevector(above, z, NNC_R16(NNC_LEFT_OF, 0));
            const v16 below_left = __builtin_shufflevector(below, z, NNC_R16(NNC_LEFT_OF, 0));
            even += weight[1] * above;
            even += weight[7] * below;
            odd += weight[0] * above_left;
            odd += weight[2] * above;
            odd += weight[6] * below_left;
            odd += weight[8] * below;
          }
          *(v16u *)(o + (size_t)r * width) = __builtin_shufflevector(even, odd, NNC_R16(NNC_INTERLEAVE_LOW, 0));
          *(v16u *)(o + (size_t)r * width + NNC_FLAT_LANES) =
              __builtin_shufflevector(even, odd, NNC_R16(NNC_INTERLEAVE_HIGH, 0));
        }
      }
    }
    if (sums)
      for (int t = 0; t < 9; t++) sums[c * 9 + t] = FN(sum16)(acc[t]);
  }
}

// 16-wide maps halved at stride 2 (16x16 → 8x8): output rows of 8, two to a vector (rows 2v and
// 2v + 1, as the flat vectors hold them). An input row r is split once into [even | odd] columns
// and [odd shifted a column right | 0]; a tap's vector joins the halves of the two input rows its
// two output rows read. The input gradient takes input rows r and r + 2 (the same parity) together:
// their grad_output rows are consecutive, so they form one vector, and each half is interleaved
// into its row at the end.
#define NNC_EVEN_ODD_LANE(unused, l) ((l) < 8 ? 2 * (l) : 2 * ((l) - 8) + 1)
#define NNC_SHIFTED_ODD_LANE(unused, l) ((l) == 0 || (l) >= 8 ? 16 : 7 + (l))
#define NNC_LOW_HALVES(unused, l) ((l) < 8 ? (l) : 8 + (l))
#define NNC_HIGH_HALVES(unused, l) ((l) < 8 ? 8 + (l) : 16 + (l))
#define NNC_LEFT_OF_HALF(unused, l) ((l) % 8 == 7 ? 16 : (l) + 1)
#define NNC_INTERLEAVE_HALF(h, l) ((l) % 2 ? 16 + 8 * (h) + (l) / 2 : 8 * (h) + (l) / 2)

// Input row r (NULL: past the map) as [even | odd] and [odd shifted right | 0].
INLINE void FN(halving16_row)(const float *row, v16 *even_odd, v16 *shifted) {
  const v16 z = {0};
  if (!row) {
    *even_odd = *shifted = z;
    return;
  }
  const v16 v = *(const v16u *)row;
  *even_odd = __builtin_shufflevector(v, v, NNC_R16(NNC_EVEN_ODD_LANE, 0));
  *shifted = __builtin_shufflevector(*even_odd, z, NNC_R16(NNC_SHIFTED_ODD_LANE, 0));
}

// The nine tap vectors of output rows 2v and 2v + 1: input rows 4v − 1 + i (i = 0 … 4) in eo[i]
// and sh[i]; output row 2v reads rows i = ky, row 2v + 1 rows i = ky + 2.
INLINE void FN(halving16_taps)(const v16 eo[5], const v16 sh[5], v16 tap[9]) {
  for (int ky = 0; ky < 3; ky++) {
    tap[ky * 3] = __builtin_shufflevector(sh[ky], sh[ky + 2], NNC_R16(NNC_LOW_HALVES, 0));
    tap[ky * 3 + 1] = __builtin_shufflevector(eo[ky], eo[ky + 2], NNC_R16(NNC_LOW_HALVES, 0));
    tap[ky * 3 + 2] = __builtin_shufflevector(eo[ky], eo[ky + 2], NNC_R16(NNC_HIGH_HALVES, 0));
  }
}

// Input rows 4v − 1 … 4v + 3 of a plane of `in_height` rows.
INLINE void FN(halving16_rows)(const float *plane, int v, int in_height, v16 eo[5], v16 sh[5]) {
  for (int i = 0; i < 5; i++) {
    const int r = 4 * v - 1 + i;
    FN(halving16_row)(r >= 0 && r < in_height ? plane + (size_t)r * NNC_FLAT_LANES : NULL, &eo[i], &sh[i]);
  }
}

INLINE void FN(halving16_forward_registers)(const nnc_flat_table *T, const float *restrict in,
                                            const float *restrict k, const float *restrict biases, int planes,
                                            int samples, long in_stride, long out_stride, float *restrict out) {
  const int vectors = T->grid / NNC_FLAT_LANES, in_height = T->in_height;
  for (int c = 0; c < planes; c++) {
    v16 weight[9];
    for (int t = 0; t < 9; t++) weight[t] = (v16){0} + k[c * 9 + t];
    const v16 initial = (v16){0} + (biases ? biases[c] : 0);
    for (int n = 0; n < samples; n++) {
      const float *plane = in + n * in_stride + (size_t)c * T->in_plane;
      float *o = out + n * out_stride + (size_t)c * T->grid;
      const long next = FN(next_plane)(c, n, samples, out_stride, T->grid);
      for (int v = 0; v < vectors; v++) {
        v16 eo[5], sh[5], tap[9];
        FN(fetch_for_write)(out, next + v * NNC_FLAT_LANES);
        FN(halving16_rows)(plane, v, in_height, eo, sh);
        FN(halving16_taps)(eo, sh, tap);
        v16 acc = initial;
        for (int t = 0; t < 9; t++) acc += weight[t] * tap[t];
        *(v16u *)(o + (size_t)v * NNC_FLAT_LANES) = acc;
      }
    }
  }
}

INLINE void FN(halving16_backward_registers)(const nnc_flat_table *T, const float *restrict in,
                                             const float *restrict dy, const float *restrict k, int planes,
                                             int samples, long in_stride, long dy_stride, float *restrict dx,
                                             float *restrict sums) {
  const int vectors = T->grid / NNC_FLAT_LANES, in_height = T->in_height, out_rows = T->grid / T->grid_w;
  const v16 z = {0};
  for (int c = 0; c < planes; c++) {
    v16 weight[9], acc[9];
    for (int t = 0; t < 9; t++) weight[t] = (v16){0} + k[c * 9 + t], acc[t] = z;
    for (int n = 0; n < samples; n++) {
      const float *plane = in + n * in_stride + (size_t)c * T->in_plane;
      const float *grad = dy + n * dy_stride + (size_t)c * T->grid;
      const long next_in = FN(next_plane)(c, n, samples, in_stride, T->in_plane);
      const long next_dy = FN(next_plane)(c, n, samples, dy_stride, T->grid);
      if (sums) {
        for (int v = 0; v < vectors; v++) {
          // The next plane's lines of output vector v: grad_output's, and input rows 4v … 4v + 3.
          FN(fetch)(dy, next_dy + v * NNC_FLAT_LANES);
          for (int r = 4 * v; r < 4 * v + 4 && r < in_height; r++) {
            FN(fetch)(in, next_in + r * NNC_FLAT_LANES);
            if (dx) FN(fetch_for_write)(dx, next_in + r * NNC_FLAT_LANES);
          }
          v16 eo[5], sh[5], tap[9];
          FN(halving16_rows)(plane, v, in_height, eo, sh);
          FN(halving16_taps)(eo, sh, tap);
          const v16 d = *(const v16u *)(grad + (size_t)v * NNC_FLAT_LANES);
          for (int t = 0; t < 9; t++) acc[t] += d * tap[t];
        }
      }
      if (!dx) continue;
      float *o = dx + n * in_stride + (size_t)c * T->in_plane;
      // grad_output rows y and y + 1 as one vector (zeros past the map).
#define NNC_GRAD_PAIR(y)                                                                            \
  ((y) + 1 < out_rows  ? *(const v16u *)(grad + (size_t)(y) * 8)                                    \
   : (y) < out_rows    ? FN(load_live)(grad + (size_t)(y) * 8, 8)                                  \
                       : z)
      for (int r = 0; r < in_height; r += (r % 2 ? 3 : 1)) {
        // Rows r and r + 2: r even, then the next odd; 0, 2 | 1, 3 | 4, 6 | 5, 7 …
        v16 even = z, odd = z;
        if (r % 2 == 0) {
          const v16 d = NNC_GRAD_PAIR(r / 2);
          const v16 left = __builtin_shufflevector(d, z, NNC_R16(NNC_LEFT_OF_HALF, 0));
          even += weight[4] * d;
          odd += weight[3] * left;
          odd += weight[5] * d;
        } else {
          const v16 above = NNC_GRAD_PAIR((r + 1) / 2), below = NNC_GRAD_PAIR((r - 1) / 2);
          const v16 above_left = __builtin_shufflevector(above, z, NNC_R16(NNC_LEFT_OF_HALF, 0));
          const v16 below_left = __builtin_shufflevector(below, z, NNC_R16(NNC_LEFT_OF_HALF, 0));
          even += weight[1] * above;
          even += weight[7] * below;
          odd += weight[0] * above_left;
          odd += weight[2] * above;
          odd += weight[6] * below_left;
          odd += weight[8] * below;
        }
        *(v16u *)(o + (size_t)r * NNC_FLAT_LANES) = __builtin_shufflevector(even, odd, NNC_R16(NNC_INTERLEAVE_HALF, 0));
        if (r + 2 < in_height)
          *(v16u *)(o + (size_t)(r + 2) * NNC_FLAT_LANES) =
              __builtin_shufflevector(even, odd, NNC_R16(NNC_INTERLEAVE_HALF, 1));
      }
#undef NNC_GRAD_PAIR
    }
    if (sums)
      for (int t = 0; t < 9; t++) sums[c * 9 + t] = FN(sum16)(acc[t]);
  }
}

