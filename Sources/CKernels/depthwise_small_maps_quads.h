// The small-map kernels' 2x2 maps at stride 1 (`depthwise_small_maps_body.h` includes this once per
// instruction set). A vector holds four channels' planes as they lie in memory, lane 4c + p for pixel
// p of channel c: no transpose in or out. Every output pixel reads every input pixel (through tap
// tap(p, q) of output p reading input q), so a pass adds, for each input pixel q, q broadcast within
// its channel's four lanes times a weight vector — one in-lane shuffle and one multiply-add a pixel.
// The vectors over 16 channels spent as many shuffles (two-source, into pixel vectors and back) as
// multiply-adds, and their code for partial blocks spilled to the stack: a 960x2x2 layer, batch 32,
// one thread in cache (Benchmarks/depthwise_small_maps.c, AVX-512 Xeon), forward 32.8 → 24.5 µs,
// backward 91.8 → 35 µs (AVX2 53.6 → 29.0 and 101 → 77); MobileNetV2's three such layers in a
// training step (64x64, batch 32, two threads) forward 0.14 → 0.12 ms, backward 0.295 → 0.24.

// Tap of output pixel p (row-major in 2x2) reading input pixel q.
#define Q2_TAP(p, q) (((((q) >> 1) - ((p) >> 1) + 1) * 3) + ((q) & 1) - ((p) & 1) + 1)
// Lane L of the forward weights for input pixel k: channel L / 4's tap from output pixel L % 4 to k;
// of the backward weights for output pixel k: the tap from k to input pixel L % 4. Indices into the
// quad's 36 consecutive kernel floats.
#define Q2_FORWARD_INDEX(L, k) (9 * ((L) >> 2) + Q2_TAP((L) & 3, k))
#define Q2_BACKWARD_INDEX(L, k) (9 * ((L) >> 2) + Q2_TAP(k, (L) & 3))
// Gathering 16 of 48 floats (three vectors a, b, c) in two shuffles: a and b first, then c.
#define Q2_FROM_AB(INDEX, L, k) (INDEX(L, k) < 32 ? INDEX(L, k) : -1)
#define Q2_WITH_C(INDEX, L, k) (INDEX(L, k) < 32 ? (L) : INDEX(L, k) - 16)
#define Q2_LANES(M, INDEX, k)                                                                                \
  M(INDEX, 0, k), M(INDEX, 1, k), M(INDEX, 2, k), M(INDEX, 3, k), M(INDEX, 4, k), M(INDEX, 5, k),            \
      M(INDEX, 6, k), M(INDEX, 7, k), M(INDEX, 8, k), M(INDEX, 9, k), M(INDEX, 10, k), M(INDEX, 11, k),      \
      M(INDEX, 12, k), M(INDEX, 13, k), M(INDEX, 14, k), M(INDEX, 15, k)
#define Q2_GATHER(INDEX, k, a, b, c) \
  __builtin_shufflevector(__builtin_shufflevector(a, b, Q2_LANES(Q2_FROM_AB, INDEX, k)), c, Q2_LANES(Q2_WITH_C, INDEX, k))
#define Q2_BACKWARD_STEP NNC_CAT(Q2_BACKWARD_STEP, NNC_ISA)
// Pixel k of each of the vector's four channels in all four of the channel's lanes.
#define Q2_BROADCAST(v, k) \
  __builtin_shufflevector(v, v, k, k, k, k, 4 + k, 4 + k, 4 + k, 4 + k, 8 + k, 8 + k, 8 + k, 8 + k, 12 + k, 12 + k, 12 + k, 12 + k)

// Per quad of channels, vector k: forward, lane 4c + p holds channel c's tap from output p to input
// k; backward, lane 4c + q the tap from output k to input q. Lanes of missing channels 0.
INLINE void FN(quad_weights)(const float *kernels, int channels, const int backward, v16u *lanes) {
  const int quads = (channels + 3) / 4;
  for (int j = 0; j < quads; j++) {
    const int live = 9 * nnc_min(4, channels - 4 * j);  // floats of the quad's kernels
    const float *k = kernels + 36L * j;
    const v16 a = FN(load_live)(k, live), b = FN(load_live)(k + 16, live - 16), c = FN(load_live)(k + 32, live - 32);
    v16u *out = lanes + Q2_WEIGHT_VECTORS * j;
    if (backward) {
      out[0] = Q2_GATHER(Q2_BACKWARD_INDEX, 0, a, b, c);
      out[1] = Q2_GATHER(Q2_BACKWARD_INDEX, 1, a, b, c);
      out[2] = Q2_GATHER(Q2_BACKWARD_INDEX, 2, a, b, c);
      out[3] = Q2_GATHER(Q2_BACKWARD_INDEX, 3, a, b, c);
    } else {
      out[0] = Q2_GATHER(Q2_FORWARD_INDEX, 0, a, b, c);
      out[1] = Q2_GATHER(Q2_FORWARD_INDEX, 1, a, b, c);
      out[2] = Q2_GATHER(Q2_FORWARD_INDEX, 2, a, b, c);
      out[3] = Q2_GATHER(Q2_FORWARD_INDEX, 3, a, b, c);
    }
    if (live < 36)
      for (int v = 0; v < Q2_WEIGHT_VECTORS; v++)
        for (int lane = 4 * (live / 9); lane < 16; lane++) out[v][lane] = 0;
  }
}

// `count` quads (at most Q2_STEP) from quad j of one sample, each with `live` floats but the last,
// which has `last_live`: their chains of four dependent multiply-adds interleaved, since one quad's
// chain alone would wait on each multiply-add's latency.
INLINE void FN(quads_forward)(const float *x_n, float *y_n, const v16u *w, const float *biases, int j,
                              const int count, int last_live) {
  v16 x[Q2_STEP], sum[Q2_STEP];
  UNROLL for (int i = 0; i < count; i++) {
    const int live = i + 1 < count ? 16 : last_live;
    x[i] = FN(load_live)(x_n + 16L * (j + i), live);
    sum[i] = (v16){0};
    if (biases) {
      const v16 b = FN(load_live)(biases + 4L * (j + i), live / 4);
      sum[i] = __builtin_shufflevector(b, b, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
    }
  }
  UNROLL for (int i = 0; i < count; i++) sum[i] += w[Q2_WEIGHT_VECTORS * (j + i)] * Q2_BROADCAST(x[i], 0);
  UNROLL for (int i = 0; i < count; i++) sum[i] += w[Q2_WEIGHT_VECTORS * (j + i) + 1] * Q2_BROADCAST(x[i], 1);
  UNROLL for (int i = 0; i < count; i++) sum[i] += w[Q2_WEIGHT_VECTORS * (j + i) + 2] * Q2_BROADCAST(x[i], 2);
  UNROLL for (int i = 0; i < count; i++) sum[i] += w[Q2_WEIGHT_VECTORS * (j + i) + 3] * Q2_BROADCAST(x[i], 3);
  UNROLL for (int i = 0; i < count; i++) FN(store_live)(y_n + 16L * (j + i), sum[i], i + 1 < count ? 16 : last_live);
}

// Output pixel p: the bias, then input pixels 0 … 3 in order — taps in increasing order, the flat
// kernels' order, skipping none (on a 2x2 map every tap of a pixel's 3x3 window that lies inside
// reads one of the four).
INLINE void FN(quad_forward)(const float *in, const v16u *w, const float *biases, int channels, int samples,
                             long in_stride, long out_stride, float *out) {
  const int quads = (channels + 3) / 4, last_live = 4 * (channels - 4 * (quads - 1));
  for (int n = 0; n < samples; n++) {
    const float *x_n = in + n * in_stride;
    float *y_n = out + n * out_stride;
    int j = 0;
    for (; j + Q2_STEP <= quads && (j + Q2_STEP < quads || last_live == 16); j += Q2_STEP) {
      for (int i = 0; i < Q2_STEP; i++)
        __builtin_prefetch(nnc_address(out, n * out_stride + 16L * (j + i + Q2_FETCH_AHEAD)), 1);
      FN(quads_forward)(x_n, y_n, w, biases, j, Q2_STEP, 16);
    }
    for (; j < quads; j++) FN(quads_forward)(x_n, y_n, w, biases, j, 1, j + 1 < quads ? 16 : last_live);
  }
}

// `count` quads from quad j over the call's samples, each with `live` floats but the last (with
// `last_live`): the input gradients (when `grad_input`) and the pair sums added to acc (when
// `weights`), the quads' chains interleaved.
INLINE void FN(quads_backward)(const float *in, const float *dy, const v16u *w, int samples, long in_stride,
                               long dy_stride, float *dx, int j, const int count, int last_live,
                               v16 acc[][4], const int grad_input, const int weights) {
  for (int n = 0; n < samples; n++) {
    v16 d[Q2_BACKWARD_STEP][4], g[Q2_BACKWARD_STEP];
    UNROLL for (int i = 0; i < count; i++) {
      const long at = n * dy_stride + 16L * (j + i);
      __builtin_prefetch(nnc_address(dy, at + 16L * Q2_FETCH_AHEAD), 0);
      const v16 v = FN(load_live)(dy + at, i + 1 < count ? 16 : last_live);
      d[i][0] = Q2_BROADCAST(v, 0), d[i][1] = Q2_BROADCAST(v, 1);
      d[i][2] = Q2_BROADCAST(v, 2), d[i][3] = Q2_BROADCAST(v, 3);
      g[i] = (v16){0};
    }
    if (grad_input) {
      UNROLL for (int p = 3; p >= 0; p--)
        UNROLL for (int i = 0; i < count; i++) g[i] += w[Q2_WEIGHT_VECTORS * (j + i) + p] * d[i][p];
      UNROLL for (int i = 0; i < count; i++)
        FN(store_live)(dx + n * in_stride + 16L * (j + i), g[i], i + 1 < count ? 16 : last_live);
    }
    if (weights)
      UNROLL for (int i = 0; i < count; i++) {
        const long at = n * in_stride + 16L * (j + i);
        __builtin_prefetch(nnc_address(in, at + 16L * Q2_FETCH_AHEAD), 0);
        const v16 x = FN(load_live)(in + at, i + 1 < count ? 16 : last_live);
        UNROLL for (int p = 0; p < 4; p++) acc[i][p] += d[i][p] * x;
      }
  }
}

// For 16 channels (four quads) at a time, each quad over the call's samples: the input gradient of
// input pixel q adds output pixels 3 … 0 (taps in increasing order, as the flat kernels), and the
// weight gradient accumulates, per pair of output pixel p and input pixel q, the samples' products
// in order; the pairs then go to their taps, p in increasing order, in the layout of the other
// small-map kernels' sums.
INLINE void FN(quad_backward_impl)(const float *in, const float *dy, const v16u *w, int channels, int samples,
                                   long in_stride, long dy_stride, float *dx, float *sums, const int grad_input,
                                   const int weights) {
  const int quads = (channels + 3) / 4, last_live = 4 * (channels - 4 * (quads - 1));
  for (int first = 0; first < quads; first += 4) {
    v16 acc[4][4];  // [quad][output pixel p]: lane 4c + q sums dy[p] · x[q]
    UNROLL for (int i = 0; i < 4; i++)
      UNROLL for (int p = 0; p < 4; p++) acc[i][p] = (v16){0};
    const int end = nnc_min(first + 4, quads);
    int j = first;
    for (; j + Q2_BACKWARD_STEP <= end && (j + Q2_BACKWARD_STEP < quads || last_live == 16); j += Q2_BACKWARD_STEP)
      FN(quads_backward)(in, dy, w, samples, in_stride, dy_stride, dx, j, Q2_BACKWARD_STEP, 16, acc + (j - first),
                         grad_input, weights);
    for (; j < end; j++)
      FN(quads_backward)(in, dy, w, samples, in_stride, dy_stride, dx, j, 1, j + 1 < quads ? 16 : last_live,
                         acc + (j - first), grad_input, weights);
    if (!weights) continue;
    // Pixel vectors over the block's 16 channels: sum[p][q] lane c is channel c's dy[p] · x[q].
    v16 sum[4][4];
    UNROLL for (int p = 0; p < 4; p++) {
      const v16 quad_pairs[4] = {acc[0][p], acc[1][p], acc[2][p], acc[3][p]};
      FN(planes4_to_pixels)(quad_pairs, sum[p]);
    }
    v16 tap[9] = {{0}, {0}, {0}, {0}, {0}, {0}, {0}, {0}, {0}};
    UNROLL for (int p = 0; p < 4; p++) UNROLL for (int q = 0; q < 4; q++) tap[Q2_TAP(p, q)] += sum[p][q];
    UNROLL for (int t = 0; t < 9; t++) *(v16u *)(sums + 16 * (9 * (first / 4) + t)) = tap[t];
  }
}

INLINE void FN(quad_backward)(const float *in, const float *dy, const v16u *w, int channels, int samples,
                              long in_stride, long dy_stride, float *dx, float *sums) {
  if (dx && sums)
    FN(quad_backward_impl)(in, dy, w, channels, samples, in_stride, dy_stride, dx, sums, 1, 1);
  else if (dx)
    FN(quad_backward_impl)(in, dy, w, channels, samples, in_stride, dy_stride, dx, sums, 1, 0);
  else
    FN(quad_backward_impl)(in, dy, w, channels, samples, in_stride, dy_stride, dx, sums, 0, 1);
}

#undef Q2_TAP
#undef Q2_FORWARD_INDEX
#undef Q2_BACKWARD_INDEX
#undef Q2_FROM_AB
#undef Q2_WITH_C
#undef Q2_LANES
#undef Q2_GATHER
#undef Q2_BROADCAST
#undef Q2_BACKWARD_STEP
