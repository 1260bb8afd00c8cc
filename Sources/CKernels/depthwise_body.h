// The depthwise kernels, written once over GCC/Clang vector types and included by depthwise.c once
// per instruction set: NNC_ISA names the variant, and the including file sets the target attributes.
// Not a public header: it defines functions.

#define NNC_CAT2(a, b) a##_##b
#define NNC_CAT(a, b) NNC_CAT2(a, b)
#define FN(name) NNC_CAT(name, NNC_ISA)
#define INLINE static inline __attribute__((always_inline))

// Eight (or four) floats `s` apart from p. Stride 2 loads the contiguous pairs and keeps the even
// lanes, so it reads one float past the last lane: callers keep that float inside the row. Its eight
// lanes come in the order FN(order8) gives (floats 0, 1, 4, 5, 2, 3, 6, 7), which one in-lane
// shuffle produces (AVX2's vshufps), where the natural order needs a second, cross-lane one per tap:
// the kernels bring their other vectors into that order once per block instead.
INLINE v8 FN(load8)(const float *p, int s) {
  if (s == 1) return *(const v8u *)p;
  if (s == 2) {
    v8 a = *(const v8u *)p;
    v8 b = *(const v8u *)(p + 8);
    return __builtin_shufflevector(a, b, 0, 2, 8, 10, 4, 6, 12, 14);
  }
  return (v8){p[0], p[s], p[2 * s], p[3 * s], p[4 * s], p[5 * s], p[6 * s], p[7 * s]};
}

// The lane order of FN(load8) at stride `s`: swaps floats 2-3 with 4-5 at stride 2 (its own inverse).
INLINE v8 FN(order8)(v8 v, int s) { return s == 2 ? __builtin_shufflevector(v, v, 0, 1, 4, 5, 2, 3, 6, 7) : v; }

INLINE v4 FN(order4)(v4 v, int s) {
  (void)s;
  return v;
}

INLINE v4 FN(load4)(const float *p, int s) {
  if (s == 1) return *(const v4u *)p;
  if (s == 2) {
    v4 a = *(const v4u *)p;
    v4 b = *(const v4u *)(p + 4);
    return __builtin_shufflevector(a, b, 0, 2, 4, 6);
  }
  return (v4){p[0], p[s], p[2 * s], p[3 * s]};
}

// The last start of a block of `lanes` outputs whose reads (the widest tap at `reach` columns
// right of the first, plus the stride-2 overread) stay inside a row of `width`.
INLINE int FN(last_block_start)(int width, int pad_left, int reach, int s, int lanes) {
  int overread = s == 2 ? 1 : 0;
  return nnc_floor_div(width - 1 - overread + pad_left - reach, s) - (lanes - 1);
}

// One block of `lanes` outputs of a row of the padded plane: initial + Σ taps, taps in order.
#define NNC_FORWARD_BLOCK(vec, vecu, load, order, target)                                      \
  do {                                                                                       \
    vec acc = accumulate ? FN(order)(*(const vecu *)(target), s) : (vec){0} + bias;          \
    for (int ki = 0; ki < kh; ki++) {                                                        \
      const float *row = base + ki * dh * wp + ox * s;                                       \
      for (int kj = 0; kj < kw; kj++) acc += k[ki * kw + kj] * FN(load)(row + kj * dw, s);   \
    }                                                                                        \
    *(vecu *)(target) = FN(order)(acc, s);                                                   \
  } while (0)

// The plane with its padding written out as zeros (and the rows and columns the last, partly
// used, block of a row reads), so that every output is a block of vector code without bounds
// checks. A tap that reads padding adds k·0, which leaves the sum unchanged.
INLINE void FN(forward_impl)(const nnc_depthwise_shape *g, const float *restrict in, const float *restrict k,
                             float bias, int accumulate, float *restrict out, int s, int kh, int kw, int dh,
                             int dw) {
  const int ow = g->out_width, lanes = ow > 4 ? 8 : 4;
  const int rounded = (ow + lanes - 1) / lanes * lanes;
  const int hp = (g->out_height - 1) * g->stride_h + (kh - 1) * dh + 1;
  const int wp = (rounded - 1) * s + (kw - 1) * dw + 2;  // + 1: the stride-2 overread
  float stack[NNC_DEPTHWISE_STACK_FLOATS];
  float *pad = (size_t)hp * wp <= NNC_DEPTHWISE_STACK_FLOATS ? stack : malloc(sizeof(float) * hp * wp);
  if (!pad) abort();
  nnc_pad_plane(in, g->in_height, g->in_width, g->pad_top, g->pad_left, pad, hp, wp);
  float partial[8];
  for (int oy = 0; oy < g->out_height; oy++) {
    const float *base = pad + oy * g->stride_h * wp;
    float *o = out + oy * ow;
    int ox = 0;
    // Whole blocks straight into the output; the last, partial one through `partial`.
    if (lanes == 8) {
      for (; ox + 8 <= ow; ox += 8) NNC_FORWARD_BLOCK(v8, v8u, load8, order8, o + ox);
    } else {
      for (; ox + 4 <= ow; ox += 4) NNC_FORWARD_BLOCK(v4, v4u, load4, order4, o + ox);
    }
    if (ox < ow) {
      const int live = ow - ox;
      for (int lane = 0; lane < lanes; lane++) partial[lane] = lane < live ? o[ox + lane] : 0;
      if (lanes == 8) NNC_FORWARD_BLOCK(v8, v8u, load8, order8, partial);
      else NNC_FORWARD_BLOCK(v4, v4u, load4, order4, partial);
      for (int lane = 0; lane < live; lane++) o[ox + lane] = partial[lane];
    }
  }
  if (pad != stack) free(pad);
}

#undef NNC_FORWARD_BLOCK

INLINE float FN(sum8)(v8 v) {
  v4 h = __builtin_shufflevector(v, v, 0, 1, 2, 3) + __builtin_shufflevector(v, v, 4, 5, 6, 7);
  return (h[0] + h[2]) + (h[1] + h[3]);
}

static void FN(forward_plane)(const nnc_depthwise_shape *g, const float *in, const float *k, float bias,
                              int accumulate, float *out) {
  // Constant strides and 3x3 kernels let the compiler unroll the taps and keep the weights in registers.
  const int kh = g->kernel_height, kw = g->kernel_width, dh = g->dilation_h, dw = g->dilation_w;
  if (kh == 3 && kw == 3 && dh == 1 && dw == 1 && g->stride_w == 1)
    FN(forward_impl)(g, in, k, bias, accumulate, out, 1, 3, 3, 1, 1);
  else if (kh == 3 && kw == 3 && dh == 1 && dw == 1 && g->stride_w == 2)
    FN(forward_impl)(g, in, k, bias, accumulate, out, 2, 3, 3, 1, 1);
  else if (g->stride_w == 1)
    FN(forward_impl)(g, in, k, bias, accumulate, out, 1, kh, kw, dh, dw);
  else
    FN(forward_impl)(g, in, k, bias, accumulate, out, g->stride_w, kh, kw, dh, dw);
}

INLINE void FN(scatter_impl)(const nnc_depthwise_shape *g, const float *restrict dy, const float *restrict k,
                             float *restrict dx, int s) {
  const int w = g->in_width, pl = g->pad_left, ow = g->out_width;
  for (int oy = 0; oy < g->out_height; oy++) {
    const int iy0 = oy * g->stride_h - g->pad_top;
    const int ki_lo = nnc_max(0, nnc_ceil_div(-iy0, g->dilation_h));
    const int ki_hi = nnc_min(g->kernel_height, nnc_floor_div(g->in_height - 1 - iy0, g->dilation_h) + 1);
    const float *d = dy + oy * ow;
    for (int ki = ki_lo; ki < ki_hi; ki++) {
      float *row = dx + (iy0 + ki * g->dilation_h) * w;
      for (int kj = 0; kj < g->kernel_width; kj++) {
        const float weight = k[ki * g->kernel_width + kj];
        const int shift = kj * g->dilation_w - pl;  // input column of output 0 for this tap
        // Outputs whose input column lies in the row: 0 <= ox·s + shift <= w − 1.
        const int first = nnc_max(0, nnc_ceil_div(-shift, s));
        const int end = nnc_min(ow, nnc_floor_div(w - 1 - shift, s) + 1);
        float *r = row + shift;
        int ox = first;
        if (s == 1) {
          for (; ox + 8 <= end; ox += 8) *(v8u *)(r + ox) += weight * *(const v8u *)(d + ox);
        } else if (s == 2) {
          // Eight outputs touch sixteen consecutive inputs, the odd ones by adding zero; the
          // sixteenth must lie in the row: 2·(ox + 7) + 1 + shift <= w − 1.
          const v8 zero = {0};
          for (; ox + 8 <= end && 2 * (ox + 7) + 1 + shift <= w - 1; ox += 8) {
            v8 v = weight * *(const v8u *)(d + ox);
            *(v8u *)(r + 2 * ox) += __builtin_shufflevector(v, zero, 0, 8, 1, 8, 2, 8, 3, 8);
            *(v8u *)(r + 2 * ox + 8) += __builtin_shufflevector(v, zero, 4, 8, 5, 8, 6, 8, 7, 8);
          }
        }
        for (; ox < end; ox++) r[ox * s] += weight * d[ox];
      }
    }
  }
}

static void FN(input_gradient_scatter_plane)(const nnc_depthwise_shape *g, const float *dy, const float *k,
                                             float *dx) {
  switch (g->stride_w) {
  case 1: FN(scatter_impl)(g, dy, k, dx, 1); break;
  case 2: FN(scatter_impl)(g, dy, k, dx, 2); break;
  default: FN(scatter_impl)(g, dy, k, dx, g->stride_w); break;
  }
}

INLINE float FN(sum4)(v4 h) { return (h[0] + h[2]) + (h[1] + h[3]); }

// One block of `lanes` output gradients `d` times the inputs every tap reads for them, added to
// the tap's accumulator.
#define NNC_WEIGHT_BLOCK(vec, load, acc, d)                                                    \
  do {                                                                                       \
    for (int ki = 0; ki < kh; ki++) {                                                        \
      const float *row = base + ki * dh * wp + ox * s;                                       \
      for (int kj = 0; kj < kw; kj++) acc[ki * kw + kj] += (d) * FN(load)(row + kj * dw, s); \
    }                                                                                        \
  } while (0)

// One pass over the plane, padded as in `forward_impl`, with an accumulator per tap: each block of
// output gradients is loaded once for all taps. The last, partial block of a row reads its
// gradients from `partial`, zeros beyond the row, so its extra lanes add nothing.
INLINE void FN(weight_gradient_impl)(const nnc_depthwise_shape *g, const float *restrict in,
                                     const float *restrict dy, float *restrict sums, int s, int kh, int kw,
                                     int dh, int dw) {
  const int ow = g->out_width, lanes = ow > 4 ? 8 : 4, taps = kh * kw;
  const int rounded = (ow + lanes - 1) / lanes * lanes;
  const int hp = (g->out_height - 1) * g->stride_h + (kh - 1) * dh + 1;
  const int wp = (rounded - 1) * s + (kw - 1) * dw + 2;
  float stack[NNC_DEPTHWISE_STACK_FLOATS];
  float *pad = (size_t)hp * wp <= NNC_DEPTHWISE_STACK_FLOATS ? stack : malloc(sizeof(float) * hp * wp);
  if (!pad) abort();
  nnc_pad_plane(in, g->in_height, g->in_width, g->pad_top, g->pad_left, pad, hp, wp);
  float partial[8] = {0};
  if (lanes == 8) {
    v8 acc[taps];
    for (int t = 0; t < taps; t++) acc[t] = (v8){0};
    for (int oy = 0; oy < g->out_height; oy++) {
      const float *base = pad + oy * g->stride_h * wp;
      const float *d = dy + oy * ow;
      int ox = 0;
      for (; ox + 8 <= ow; ox += 8) NNC_WEIGHT_BLOCK(v8, load8, acc, FN(order8)(*(const v8u *)(d + ox), s));
      if (ox < ow) {
        for (int lane = 0; lane < 8; lane++) partial[lane] = lane < ow - ox ? d[ox + lane] : 0;
        NNC_WEIGHT_BLOCK(v8, load8, acc, FN(order8)(*(const v8u *)partial, s));
      }
    }
    for (int t = 0; t < taps; t++) sums[t] = FN(sum8)(acc[t]);
  } else {
    v4 acc[taps];
    for (int t = 0; t < taps; t++) acc[t] = (v4){0};
    for (int oy = 0; oy < g->out_height; oy++) {
      const float *base = pad + oy * g->stride_h * wp;
      const float *d = dy + oy * ow;
      int ox = 0;
      for (; ox + 4 <= ow; ox += 4) NNC_WEIGHT_BLOCK(v4, load4, acc, *(const v4u *)(d + ox));
      if (ox < ow) {
        for (int lane = 0; lane < 4; lane++) partial[lane] = lane < ow - ox ? d[ox + lane] : 0;
        NNC_WEIGHT_BLOCK(v4, load4, acc, *(const v4u *)partial);
      }
    }
    for (int t = 0; t < taps; t++) sums[t] = FN(sum4)(acc[t]);
  }
  if (pad != stack) free(pad);
}

#undef NNC_WEIGHT_BLOCK

static void FN(weight_gradient_plane)(const nnc_depthwise_shape *g, const float *in, const float *dy,
                                      float *sums) {
  const int kh = g->kernel_height, kw = g->kernel_width, dh = g->dilation_h, dw = g->dilation_w;
  if (kh == 3 && kw == 3 && dh == 1 && dw == 1 && g->stride_w == 1)
    FN(weight_gradient_impl)(g, in, dy, sums, 1, 3, 3, 1, 1);
  else if (kh == 3 && kw == 3 && dh == 1 && dw == 1 && g->stride_w == 2)
    FN(weight_gradient_impl)(g, in, dy, sums, 2, 3, 3, 1, 1);
  else if (g->stride_w == 1)
    FN(weight_gradient_impl)(g, in, dy, sums, 1, kh, kw, dh, dw);
  else
    FN(weight_gradient_impl)(g, in, dy, sums, g->stride_w, kh, kw, dh, dw);
}

// Copies rows [y0, y1) × columns [x0, x1) of `channels` planes of `width` columns (plane c at
// src + c · plane) into the interleaved buffer `dst`: pixel (y, x) of plane c goes to
// dst[((y + dy) · columns + x + dx) · 8 + c]. A full block of 8 planes moves 8 consecutive pixels of
// the 8 planes at a time through one 8 × 8 transpose instead of 64 scalar copies.
INLINE void FN(interleave)(const float *restrict src, int plane, int width, int channels, int y0, int y1, int x0,
                           int x1, float *restrict dst, int columns, int dy, int dx) {
  if (y0 >= y1 || x0 >= x1) return;
  int q = y0 * width, y = y0, x = 0;  // pixel q is (y, x)
  const int end = y1 * width;
  if (channels == 8) {
    for (; q + 8 <= end; q += 8) {
      v8 r[8];
      for (int c = 0; c < 8; c++) r[c] = *(const v8u *)(src + (size_t)c * plane + q);
      nnc_transpose8x8((nnc_lanes8 *)r);
      for (int i = 0; i < 8; i++) {
        if (x >= x0 && x < x1) *(v8u *)(dst + ((size_t)(y + dy) * columns + x + dx) * 8) = r[i];
        if (++x == width) x = 0, y++;
      }
    }
    // 4 pixels at a time (2×2 planes, row tails): channels c and c + 4 share a vector, transposed
    // 4 × 4 within each 128-bit half.
    for (; q + 4 <= end; q += 4) {
      v8 x4[4], t[4], p[4];
      for (int c = 0; c < 4; c++)
        x4[c] = __builtin_shufflevector(*(const v4u *)(src + (size_t)c * plane + q),
                                        *(const v4u *)(src + (size_t)(c + 4) * plane + q), 0, 1, 2, 3, 4, 5, 6, 7);
      t[0] = __builtin_shufflevector(x4[0], x4[1], 0, 8, 1, 9, 4, 12, 5, 13);
      t[1] = __builtin_shufflevector(x4[0], x4[1], 2, 10, 3, 11, 6, 14, 7, 15);
      t[2] = __builtin_shufflevector(x4[2], x4[3], 0, 8, 1, 9, 4, 12, 5, 13);
      t[3] = __builtin_shufflevector(x4[2], x4[3], 2, 10, 3, 11, 6, 14, 7, 15);
      p[0] = __builtin_shufflevector(t[0], t[2], 0, 1, 8, 9, 4, 5, 12, 13);
      p[1] = __builtin_shufflevector(t[0], t[2], 2, 3, 10, 11, 6, 7, 14, 15);
      p[2] = __builtin_shufflevector(t[1], t[3], 0, 1, 8, 9, 4, 5, 12, 13);
      p[3] = __builtin_shufflevector(t[1], t[3], 2, 3, 10, 11, 6, 7, 14, 15);
      for (int i = 0; i < 4; i++) {
        if (x >= x0 && x < x1) *(v8u *)(dst + ((size_t)(y + dy) * columns + x + dx) * 8) = p[i];
        if (++x == width) x = 0, y++;
      }
    }
  }
  for (; q < end; q++) {
    if (x >= x0 && x < x1) {
      float *d = dst + ((size_t)(y + dy) * columns + x + dx) * 8;
      for (int c = 0; c < channels; c++) d[c] = src[(size_t)c * plane + q];
    }
    if (++x == width) x = 0, y++;
  }
}

// `channels` (at most 8) planes at once, one per lane of a vector: the planes are copied, padded as
// in `forward_impl`, into one buffer interleaving them pixel by pixel, so each output pixel of all
// the planes is one vector whatever the width of the map. Each lane computes what `forward_impl`
// computes for its plane (initial value 0 + bias, then every tap in order, padding taps adding
// k·0), in the same order, so the results are the same bits.
INLINE void FN(forward_channels_impl)(const nnc_depthwise_shape *g, const float *restrict in,
                                      const float *restrict k, const float *restrict biases, int channels,
                                      float *restrict out, int s, int kh, int kw, int dh, int dw) {
  const int oh = g->out_height, ow = g->out_width, taps = kh * kw;
  const int in_plane = g->in_height * g->in_width, out_plane = oh * ow;
  const int hp = (oh - 1) * g->stride_h + (kh - 1) * dh + 1;
  const int wp = (ow - 1) * s + (kw - 1) * dw + 1;
  const size_t floats = (size_t)hp * wp * 8;
  float stack[NNC_DEPTHWISE_STACK_FLOATS] __attribute__((aligned(32)));
  float *pad = floats <= NNC_DEPTHWISE_STACK_FLOATS ? stack : malloc(sizeof(float) * floats);
  if (!pad) abort();
  memset(pad, 0, sizeof(float) * floats);
  const int rows = nnc_min(g->in_height, hp - g->pad_top), first_x = nnc_max(0, -g->pad_left);
  const int end_x = nnc_min(g->in_width, wp - g->pad_left);
  FN(interleave)(in, in_plane, g->in_width, channels, nnc_max(0, -g->pad_top), rows, first_x, end_x, pad, wp,
                 g->pad_top, g->pad_left);
  v8 kv[taps];
  for (int t = 0; t < taps; t++) {
    float lanes[8] = {0};
    for (int lane = 0; lane < channels; lane++) lanes[lane] = k[lane * taps + t];
    kv[t] = *(const v8u *)lanes;
  }
  float bias_lanes[8] = {0};
  if (biases)
    for (int lane = 0; lane < channels; lane++) bias_lanes[lane] = biases[lane];
  const v8 initial = (v8){0} + *(const v8u *)bias_lanes;
  for (int oy = 0; oy < oh; oy++) {
    const float *base = pad + (size_t)oy * g->stride_h * wp * 8;
    for (int ox = 0; ox < ow; ox++) {
      v8 acc = initial;
      for (int ki = 0; ki < kh; ki++) {
        const float *row = base + ((size_t)ki * dh * wp + ox * s) * 8;
        for (int kj = 0; kj < kw; kj++) acc += kv[ki * kw + kj] * *(const v8u *)(row + kj * dw * 8);
      }
      // Lane by lane: measured faster than collecting 8 pixels for a transpose.
      float *o = out + oy * ow + ox;
      for (int lane = 0; lane < channels; lane++) o[(size_t)lane * out_plane] = acc[lane];
    }
  }
  if (pad != stack) free(pad);
}

static void FN(forward_channels)(const nnc_depthwise_shape *g, const float *in, const float *k,
                                 const float *biases, int channels, float *out) {
  const int kh = g->kernel_height, kw = g->kernel_width, dh = g->dilation_h, dw = g->dilation_w;
  if (kh == 3 && kw == 3 && dh == 1 && dw == 1 && g->stride_w == 1)
    FN(forward_channels_impl)(g, in, k, biases, channels, out, 1, 3, 3, 1, 1);
  else if (kh == 3 && kw == 3 && dh == 1 && dw == 1 && g->stride_w == 2)
    FN(forward_channels_impl)(g, in, k, biases, channels, out, 2, 3, 3, 1, 1);
  else
    FN(forward_channels_impl)(g, in, k, biases, channels, out, g->stride_w, kh, kw, dh, dw);
}

// The rows (or columns) of grad_output an input-gradient gather reads: output index o reaches input
// i through tap k when o·s = i + pad − k·d, so o runs from floor((pad − (taps − 1)·d) / s) (first
// input, last tap) to floor((size − 1 + pad) / s) (last input, first tap).
INLINE int FN(gather_first)(int pad, int taps, int d, int s) { return nnc_floor_div(pad - (taps - 1) * d, s); }
INLINE int FN(gather_last)(int size, int pad, int s) { return nnc_floor_div(size - 1 + pad, s); }

// The input gradient of `channels` (at most 8) planes at once, interleaved as in
// `forward_channels_impl`, in gather form: each input pixel sums, taps in order, w · dy over the
// outputs that read it. grad_output is copied, interleaved, into a buffer with zero rows and columns
// around it wherever a tap reaches outside the map, so the only test per tap is the stride phase.
INLINE void FN(input_gradient_channels_impl)(const nnc_depthwise_shape *g, const float *restrict dy,
                                             const float *restrict k, int channels, float *restrict dx, int s,
                                             int sh, int kh, int kw, int dh, int dw) {
  const int ih = g->in_height, iw = g->in_width, oh = g->out_height, ow = g->out_width, taps = kh * kw;
  const int pt = g->pad_top, pl = g->pad_left, in_plane = ih * iw, out_plane = oh * ow;
  const int oy_lo = FN(gather_first)(pt, kh, dh, sh), oy_hi = FN(gather_last)(ih, pt, sh);
  const int ox_lo = FN(gather_first)(pl, kw, dw, s), ox_hi = FN(gather_last)(iw, pl, s);
  const int rows = oy_hi - oy_lo + 1, columns = ox_hi - ox_lo + 1;
  const size_t floats = (size_t)rows * columns * 8;
  float stack[NNC_DEPTHWISE_STACK_FLOATS] __attribute__((aligned(32)));
  float *buffer = floats <= NNC_DEPTHWISE_STACK_FLOATS ? stack : malloc(sizeof(float) * floats);
  if (!buffer) abort();
  memset(buffer, 0, sizeof(float) * floats);
  const int y0 = nnc_max(0, oy_lo), y1 = nnc_min(oh - 1, oy_hi), x0 = nnc_max(0, ox_lo), x1 = nnc_min(ow - 1, ox_hi);
  FN(interleave)(dy, out_plane, ow, channels, y0, y1 + 1, x0, x1 + 1, buffer, columns, -oy_lo, -ox_lo);
  v8 kv[taps];
  for (int t = 0; t < taps; t++) {
    float lanes[8] = {0};
    for (int lane = 0; lane < channels; lane++) lanes[lane] = k[lane * taps + t];
    kv[t] = *(const v8u *)lanes;
  }
  for (int iy = 0; iy < ih; iy++) {
    for (int ix = 0; ix < iw; ix++) {
      v8 acc = {0};
      for (int ki = 0; ki < kh; ki++) {
        const int ry = iy + pt - ki * dh - sh * oy_lo;  // sh · (buffer row), when the phase matches
        if (ry % sh) continue;
        const float *row = buffer + (size_t)(ry / sh) * columns * 8;
        for (int kj = 0; kj < kw; kj++) {
          const int rx = ix + pl - kj * dw - s * ox_lo;
          if (rx % s) continue;
          acc += kv[ki * kw + kj] * *(const v8u *)(row + (rx / s) * 8);
        }
      }
      float *o = dx + iy * iw + ix;
      for (int lane = 0; lane < channels; lane++) o[(size_t)lane * in_plane] = acc[lane];
    }
  }
  if (buffer != stack) free(buffer);
}

static void FN(input_gradient_channels)(const nnc_depthwise_shape *g, const float *dy, const float *k,
                                        int channels, float *dx) {
  const int kh = g->kernel_height, kw = g->kernel_width, dh = g->dilation_h, dw = g->dilation_w;
  const int sh = g->stride_h, sw = g->stride_w;
  if (kh == 3 && kw == 3 && dh == 1 && dw == 1 && sh == 1 && sw == 1)
    FN(input_gradient_channels_impl)(g, dy, k, channels, dx, 1, 1, 3, 3, 1, 1);
  else if (kh == 3 && kw == 3 && dh == 1 && dw == 1 && sh == 2 && sw == 2)
    FN(input_gradient_channels_impl)(g, dy, k, channels, dx, 2, 2, 3, 3, 1, 1);
  else
    FN(input_gradient_channels_impl)(g, dy, k, channels, dx, sw, sh, kh, kw, dh, dw);
}

// The weight gradient of `channels` (at most 8) planes over `samples` samples at once: each
// sample's input padded and interleaved as in `forward_channels_impl` (the zero border written once,
// the interior overwritten per sample), its grad_output interleaved, one vector accumulator per tap
// over every output pixel of every sample in order; lane c of tap t's accumulator is then added to
// sums[c · taps + t].
INLINE void FN(weight_gradient_channels_impl)(const nnc_depthwise_shape *g, const float *restrict in,
                                              const float *restrict dy, int samples, long in_stride,
                                              long dy_stride, int channels, float *restrict sums, int s, int kh,
                                              int kw, int dh, int dw) {
  const int oh = g->out_height, ow = g->out_width, taps = kh * kw;
  const int in_plane = g->in_height * g->in_width, out_plane = oh * ow;
  const int hp = (oh - 1) * g->stride_h + (kh - 1) * dh + 1;
  const int wp = (ow - 1) * s + (kw - 1) * dw + 1;
  const size_t pad_floats = (size_t)hp * wp * 8, floats = pad_floats + (size_t)out_plane * 8;
  float stack[NNC_DEPTHWISE_STACK_FLOATS] __attribute__((aligned(32)));
  float *pad = floats <= NNC_DEPTHWISE_STACK_FLOATS ? stack : malloc(sizeof(float) * floats);
  if (!pad) abort();
  float *grads = pad + pad_floats;
  memset(pad, 0, sizeof(float) * floats);
  const int rows = nnc_min(g->in_height, hp - g->pad_top), first_x = nnc_max(0, -g->pad_left);
  const int end_x = nnc_min(g->in_width, wp - g->pad_left);
  v8 acc[taps];
  for (int t = 0; t < taps; t++) acc[t] = (v8){0};
  for (int n = 0; n < samples; n++) {
    FN(interleave)(in + n * in_stride, in_plane, g->in_width, channels, nnc_max(0, -g->pad_top), rows, first_x,
                   end_x, pad, wp, g->pad_top, g->pad_left);
    FN(interleave)(dy + n * dy_stride, out_plane, ow, channels, 0, oh, 0, ow, grads, ow, 0, 0);
    for (int oy = 0; oy < oh; oy++) {
      const float *base = pad + (size_t)oy * g->stride_h * wp * 8;
      for (int ox = 0; ox < ow; ox++) {
        const v8 d = *(const v8u *)(grads + (oy * ow + ox) * 8);
        for (int ki = 0; ki < kh; ki++) {
          const float *row = base + ((size_t)ki * dh * wp + ox * s) * 8;
          for (int kj = 0; kj < kw; kj++) acc[ki * kw + kj] += d * *(const v8u *)(row + kj * dw * 8);
        }
      }
    }
  }
  for (int lane = 0; lane < channels; lane++)
    for (int t = 0; t < taps; t++) sums[lane * taps + t] += acc[t][lane];
  if (pad != stack) free(pad);
}

static void FN(weight_gradient_channels)(const nnc_depthwise_shape *g, const float *in, const float *dy, int samples,
                                         long in_stride, long dy_stride, int channels, float *sums) {
  const int kh = g->kernel_height, kw = g->kernel_width, dh = g->dilation_h, dw = g->dilation_w;
  if (kh == 3 && kw == 3 && dh == 1 && dw == 1 && g->stride_w == 1)
    FN(weight_gradient_channels_impl)(g, in, dy, samples, in_stride, dy_stride, channels, sums, 1, 3, 3, 1, 1);
  else if (kh == 3 && kw == 3 && dh == 1 && dw == 1 && g->stride_w == 2)
    FN(weight_gradient_channels_impl)(g, in, dy, samples, in_stride, dy_stride, channels, sums, 2, 3, 3, 1, 1);
  else
    FN(weight_gradient_channels_impl)(g, in, dy, samples, in_stride, dy_stride, channels, sums, g->stride_w, kh, kw,
                                      dh, dw);
}

// The stride-2 input gradient of one plane in gather form (dilation 1 across): input column
// ix = 2j + p sums the taps kj of phase p, whose grad_output column j + (p + pad_left − kj) / 2 is
// contiguous in j. So each row is two stride-1 gathers over grad_output (even and odd columns, 8 of
// each per vector), interleaved into 16 consecutive outputs; grad_output is copied with zero borders
// as in `input_gradient_channels_impl`. Taps in order, added to the initial value (the old gradient
// when accumulating, else 0).
INLINE void FN(input_gradient_stride2_impl)(const nnc_depthwise_shape *g, const float *restrict dy,
                                            const float *restrict k, int accumulate, float *restrict dx,
                                            int kh, int kw, int sh, int dh) {
  const int ih = g->in_height, iw = g->in_width, oh = g->out_height, ow = g->out_width;
  const int pt = g->pad_top, pl = g->pad_left;
  const int oy_lo = FN(gather_first)(pt, kh, dh, sh), oy_hi = FN(gather_last)(ih, pt, sh);
  const int ox_lo = FN(gather_first)(pl, kw, 1, 2);
  const int pairs = (iw + 1) / 2, rounded = (pairs + 7) / 8 * 8;
  // Column of j = 0 for tap kj of phase p: (p + pl − kj) / 2 − ox_lo, at most (1 + pl) / 2 − ox_lo.
  const int rows = oy_hi - oy_lo + 1, columns = rounded + (1 + pl - 2 * ox_lo) / 2 + 1;
  const size_t floats = (size_t)rows * columns;
  float stack[NNC_DEPTHWISE_STACK_FLOATS];
  float *buffer = floats <= NNC_DEPTHWISE_STACK_FLOATS ? stack : malloc(sizeof(float) * floats);
  if (!buffer) abort();
  memset(buffer, 0, sizeof(float) * floats);
  const int y0 = nnc_max(0, oy_lo), y1 = nnc_min(oh - 1, oy_hi);
  const int x0 = nnc_max(0, ox_lo), x1 = nnc_min(ow - 1, ox_lo + columns - 1);
  for (int oy = y0; oy <= y1; oy++)
    if (x1 >= x0)
      memcpy(buffer + (size_t)(oy - oy_lo) * columns + (x0 - ox_lo), dy + oy * ow + x0, sizeof(float) * (x1 - x0 + 1));
  float partial[16];
  for (int iy = 0; iy < ih; iy++) {
    float *o = dx + iy * iw;
    for (int j = 0; j < rounded; j += 8) {
      const int live = nnc_min(16, iw - 2 * j);
      float *target = live == 16 ? o + 2 * j : partial;
      if (live < 16)
        for (int lane = 0; lane < 16; lane++) partial[lane] = lane < live ? o[2 * j + lane] : 0;
      v8 even = {0}, odd = {0};
      if (accumulate) {
        v8 a = *(const v8u *)target, b = *(const v8u *)(target + 8);
        even = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
        odd = __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15);
      }
      for (int ki = 0; ki < kh; ki++) {
        const int ry = iy + pt - ki * dh - sh * oy_lo;
        if (ry % sh) continue;
        const float *row = buffer + (size_t)(ry / sh) * columns + j;
        for (int kj = 0; kj < kw; kj++) {
          const float w = k[ki * kw + kj];
          // Phase 0 when pl − kj is even, else phase 1; either way the column offset is exact.
          if (((pl - kj) & 1) == 0) even += w * *(const v8u *)(row + (pl - kj - 2 * ox_lo) / 2);
          else odd += w * *(const v8u *)(row + (1 + pl - kj - 2 * ox_lo) / 2);
        }
      }
      *(v8u *)target = __builtin_shufflevector(even, odd, 0, 8, 1, 9, 2, 10, 3, 11);
      *(v8u *)(target + 8) = __builtin_shufflevector(even, odd, 4, 12, 5, 13, 6, 14, 7, 15);
      if (live < 16)
        for (int lane = 0; lane < live; lane++) o[2 * j + lane] = partial[lane];
    }
  }
  if (buffer != stack) free(buffer);
}

static void FN(input_gradient_stride2)(const nnc_depthwise_shape *g, const float *dy, const float *k, int accumulate,
                                       float *dx) {
  if (g->kernel_height == 3 && g->kernel_width == 3 && g->stride_h == 2 && g->dilation_h == 1)
    FN(input_gradient_stride2_impl)(g, dy, k, accumulate, dx, 3, 3, 2, 1);
  else
    FN(input_gradient_stride2_impl)(g, dy, k, accumulate, dx, g->kernel_height, g->kernel_width, g->stride_h,
                                    g->dilation_h);
}

#undef FN
#undef INLINE
#undef NNC_CAT
#undef NNC_CAT2
