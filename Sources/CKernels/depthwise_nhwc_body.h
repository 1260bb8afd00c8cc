// The channels-last depthwise forward kernel, written once over GCC/Clang vector types and included
// by depthwise_nhwc.c once per instruction set: NNC_ISA names the variant, and the including file sets
// the target attributes. Not a public header: it defines functions.
//
// Every output of a channel is acc = bias, then acc = acc + weight · input for each tap inside the
// input in row-major order (one expression, so FMA where the target has it), then the activation:
// the same operations whether the channel sits in a full vector of 8 or in the tail.

#define NNC_CAT2(a, b) a##_##b
#define NNC_CAT(a, b) NNC_CAT2(a, b)
#define FN(name) NNC_CAT(name, NNC_ISA)
#define INLINE static inline __attribute__((always_inline))

// The activation by masks, with the comparisons of pointwise.c: ReLU keeps NaN and −0, ReLU6 keeps NaN
// and turns −0 into 0.
INLINE v8 FN(finish)(v8 v, int activation) {
  if (activation == NNC_POINTWISE_RELU) {
    v = NNC_LANES8_RELU(v);
  } else if (activation == NNC_POINTWISE_RELU6) {
    v = NNC_LANES8_ZERO_AT_OR_BELOW(v);
    v = NNC_LANES8_CLAMP_SIX(v);
  }
  return v;
}

// The first `live` (1 to 8) floats from p in the low lanes, zeros above: the channel tail reads no
// float past its pixel's last channel (the next pixel's, or past the end of the tensor).
INLINE v8 FN(load_live)(const float *p, int live) {
  if (live == 8) return *(const v8u *)p;
  float lanes[8] = {0};
  for (int i = 0; i < live; i++) lanes[i] = p[i];
  return *(const v8u *)lanes;
}

INLINE void FN(store_live)(float *p, v8 v, int live) {
  if (live == 8) {
    *(v8u *)p = v;
    return;
  }
  for (int i = 0; i < live; i++) p[i] = v[i];
}

// Channels [c, c + live) of output pixel (oy, ox) for any kernel, stride and dilation, each tap's
// bounds checked.
INLINE void FN(generic_pixel)(const nnc_depthwise_shape *g, int channels, const float *in, const float *weight,
                              const float *bias, int activation, int oy, int ox, int c, int live, float *out) {
  const int iy0 = oy * g->stride_h - g->pad_top, ix0 = ox * g->stride_w - g->pad_left;
  const int kh = g->kernel_height, kw = g->kernel_width;
  v8 acc = bias ? FN(load_live)(bias + c, live) : (v8){0};
  for (int ki = 0; ki < kh; ki++) {
    const int iy = iy0 + ki * g->dilation_h;
    if (iy < 0 || iy >= g->in_height) continue;
    for (int kj = 0; kj < kw; kj++) {
      const int ix = ix0 + kj * g->dilation_w;
      if (ix < 0 || ix >= g->in_width) continue;
      const v8 w = FN(load_live)(weight + (long)(ki * kw + kj) * channels + c, live);
      acc = acc + w * FN(load_live)(in + ((long)iy * g->in_width + ix) * channels + c, live);
    }
  }
  FN(store_live)(out + ((long)oy * g->out_width + ox) * channels + c, FN(finish)(acc, activation), live);
}

static void FN(generic_rows)(const nnc_depthwise_shape *g, int channels, const float *in, const float *weight,
                             const float *bias, int activation, int row_begin, int row_end, float *out) {
  for (int oy = row_begin; oy < row_end; oy++)
    for (int ox = 0; ox < g->out_width; ox++)
      for (int c = 0; c < channels; c += 8)
        FN(generic_pixel)(g, channels, in, weight, bias, activation, oy, ox, c, nnc_min(8, channels - c), out);
}

// `pixels` (1 to 4, a constant) outputs `s` input columns apart of one block of 8 channels of a 3x3
// kernel, their first tap at input row iy0 and column ix0; taps with ki in [ki_lo, ki_hi) and kj in
// [kj_lo, kj_hi) lie inside the input. `in` and `out` point at the block's first channel of the
// sample's input and of the first output pixel. With 4 pixels at stride 1 the 3 taps of a row read
// 6 input vectors for 12 FMAs.
INLINE void FN(pixels3x3)(const float *in, long row_floats, int channels, int iy0, int ix0, int s, int pixels,
                          int ki_lo, int ki_hi, int kj_lo, int kj_hi, const v8 *w, v8 b, int activation,
                          float *out) {
  v8 acc[4];
  for (int p = 0; p < pixels; p++) acc[p] = b;
  for (int ki = 0; ki < 3; ki++) {
    if (ki < ki_lo || ki >= ki_hi) continue;
    const float *row = in + (iy0 + ki) * row_floats;
    for (int kj = 0; kj < 3; kj++) {
      if (kj < kj_lo || kj >= kj_hi) continue;
      for (int p = 0; p < pixels; p++)
        acc[p] = acc[p] + w[ki * 3 + kj] * *(const v8u *)(row + (long)(ix0 + p * s + kj) * channels);
    }
  }
  for (int p = 0; p < pixels; p++) *(v8u *)(out + (long)p * channels) = FN(finish)(acc[p], activation);
}

// One output row of a 3x3 kernel (dilation 1, stride s in both directions) whose taps have ki in
// [ki_lo, ki_hi) inside the input: 4 interior pixels at a time without checks (the border pixels one
// at a time, checking their taps), all channel blocks of those pixels before the next ones, so that
// the input and output are read and written in near-sequential runs of whole pixels. The weights of a
// block are reloaded from L1 per pixel group: against a pass per channel block along the row, which
// keeps them in registers but strides one line per pixel, this took Benchmarks/depthwise_channels_last.c
// (AVX2, cold data, the next rows prefetched at the start of the row) from 0.65-0.76 to 0.55-0.62 ms
// on 32x32x32, 1.2-1.3 to 1.0-1.1 ms on 144x16x16 and 0.1 to 0.06 ms on 960x2x2. The channel tail
// runs the generic pixel.
INLINE void FN(row3x3)(const nnc_depthwise_shape *g, int channels, const float *in, const float *weight,
                       const float *bias, int activation, int oy, float *out, int s, int ki_lo, int ki_hi) {
  const int width = g->in_width, ow = g->out_width, pl = g->pad_left;
  const long row_floats = (long)width * channels;
  const int iy0 = oy * s - g->pad_top;
  // Interior columns: 0 <= ox·s − pad_left and ox·s − pad_left + 2 <= width − 1.
  const int lo = nnc_min(ow, nnc_max(0, nnc_ceil_div(pl, s)));
  const int hi = nnc_min(ow, nnc_max(lo, nnc_floor_div(width - 3 + pl, s) + 1));
  float *out_row = out + (long)oy * ow * channels;
  const int whole = channels - channels % 8;
  for (int ox = 0; ox < ow;) {
    const int ix0 = ox * s - pl;
    const int group = ox >= lo && ox + 4 <= hi;
    for (int c = 0; c < whole; c += 8) {
      v8 w[9];
      for (int t = 0; t < 9; t++) w[t] = *(const v8u *)(weight + (long)t * channels + c);
      const v8 b = bias ? *(const v8u *)(bias + c) : (v8){0};
      if (group)
        FN(pixels3x3)(in + c, row_floats, channels, iy0, ix0, s, 4, ki_lo, ki_hi, 0, 3, w, b, activation,
                      out_row + c + (long)ox * channels);
      else
        FN(pixels3x3)(in + c, row_floats, channels, iy0, ix0, s, 1, ki_lo, ki_hi, nnc_max(0, -ix0),
                      nnc_min(3, width - ix0), w, b, activation, out_row + c + (long)ox * channels);
    }
    // The input rows the next output row adds, into L2 a row ahead, the columns this step advances
    // over (all of them over the row): a row's reads jump between three input rows, which the
    // hardware prefetchers follow poorly on maps streamed from memory. Spread over the row rather than
    // issued at its start, this took Benchmarks/depthwise_channels_last.c (cold data) on 96x32x32 at
    // stride 2 from 0.72-0.79x to 0.93-0.99x the NCHW kernel's speed (1.8 ms without prefetching).
    const int pixels = group ? 4 : 1;
    const int first = ox == 0 ? 0 : nnc_max(0, ix0 + 3);
    const int last = ox + pixels >= ow ? width : nnc_min(width, ix0 + pixels * s + 3);
    for (int iy = nnc_max(0, iy0 + 3); iy < nnc_min(g->in_height, iy0 + s + 3) && first < last; iy++) {
      const char *line = (const char *)(in + iy * row_floats + (long)first * channels);
      const long bytes = (long)(last - first) * channels * (long)sizeof(float);
      for (long byte = 0; byte < bytes; byte += 64) __builtin_prefetch(line + byte, 0, 2);
    }
    ox += pixels;
  }
  if (whole < channels)
    for (int ox = 0; ox < ow; ox++)
      FN(generic_pixel)(g, channels, in, weight, bias, activation, oy, ox, whole, channels - whole, out);
}

// Rows at stride s of a 3x3 kernel; rows with all three kernel rows inside the input (all but the
// padded border) run with constant bounds, so their row checks fold away.
INLINE void FN(rows3x3)(const nnc_depthwise_shape *g, int channels, const float *in, const float *weight,
                        const float *bias, int activation, int row_begin, int row_end, float *out, int s) {
  for (int oy = row_begin; oy < row_end; oy++) {
    const int iy0 = oy * s - g->pad_top;
    const int ki_lo = nnc_max(0, -iy0), ki_hi = nnc_min(3, g->in_height - iy0);
    if (ki_lo == 0 && ki_hi == 3) FN(row3x3)(g, channels, in, weight, bias, activation, oy, out, s, 0, 3);
    else FN(row3x3)(g, channels, in, weight, bias, activation, oy, out, s, ki_lo, ki_hi);
  }
}

static void FN(forward_nhwc)(const nnc_depthwise_shape *g, int channels, const float *in, const float *weight,
                             const float *bias, int activation, int row_begin, int row_end, float *out) {
  const int is3x3 = g->kernel_height == 3 && g->kernel_width == 3 && g->dilation_h == 1 && g->dilation_w == 1;
  if (is3x3 && g->stride_h == 1 && g->stride_w == 1)
    FN(rows3x3)(g, channels, in, weight, bias, activation, row_begin, row_end, out, 1);
  else if (is3x3 && g->stride_h == 2 && g->stride_w == 2)
    FN(rows3x3)(g, channels, in, weight, bias, activation, row_begin, row_end, out, 2);
  else
    FN(generic_rows)(g, channels, in, weight, bias, activation, row_begin, row_end, out);
}

#undef NNC_CAT2
#undef NNC_CAT
#undef FN
#undef INLINE
