// The direct convolution's block kernel, written once over GCC/Clang vector types and included by
// direct_conv.c once per instruction set: NNC_ISA names the variant, the including file sets the
// target attributes. Not a public header: it defines functions.

#define NNC_DC_CAT2(a, b) a##_##b
#define NNC_DC_CAT(a, b) NNC_DC_CAT2(a, b)
#define DC_FN(name) NNC_DC_CAT(name, NNC_ISA)

// `count` (1 to NNC_DC_BLOCK) filters over the padded planes, 16 positions of the wide output at a
// time: each tap is one broadcast weight times two unaligned input vectors per filter, the sums
// staying in registers across every channel and tap. Called with a constant `count`, so the filter
// loops unroll.
static inline __attribute__((always_inline)) void DC_FN(nnc_dc_block)(const nnc_dc_layout *l, const float *padded,
                                                                      const float *weight, float *wide,
                                                                      const int count) {
  const int taps = l->kernel_height * l->kernel_width;
  const int filter_stride = l->in_channels * taps;
  for (int p = 0; p < l->positions; p += 16) {
    v8 low[NNC_DC_BLOCK], high[NNC_DC_BLOCK];
    for (int r = 0; r < count; r++) low[r] = high[r] = (v8){0};
    for (int c = 0; c < l->in_channels; c++) {
      const float *plane = padded + (long)c * l->plane_stride + p;
      const float *w = weight + c * taps;
      for (int ki = 0; ki < l->kernel_height; ki++) {
        for (int kj = 0; kj < l->kernel_width; kj++) {
          const float *x = plane + ki * l->padded_width + kj;
          const v8 x0 = *(const v8u *)x, x1 = *(const v8u *)(x + 8);
          const int t = ki * l->kernel_width + kj;
          for (int r = 0; r < count; r++) {
            const float s = w[r * filter_stride + t];
            low[r] += x0 * s;
            high[r] += x1 * s;
          }
        }
      }
    }
    for (int r = 0; r < count; r++) {
      *(v8u *)(wide + (long)r * l->positions + p) = low[r];
      *(v8u *)(wide + (long)r * l->positions + p + 8) = high[r];
    }
  }
}

static void DC_FN(nnc_dc_filters)(const nnc_dc_layout *l, const float *padded, const float *weight, float *wide,
                                  int count) {
  switch (count) {
  case 1: DC_FN(nnc_dc_block)(l, padded, weight, wide, 1); break;
  case 2: DC_FN(nnc_dc_block)(l, padded, weight, wide, 2); break;
  case 3: DC_FN(nnc_dc_block)(l, padded, weight, wide, 3); break;
  case 4: DC_FN(nnc_dc_block)(l, padded, weight, wide, 4); break;
  case 5: DC_FN(nnc_dc_block)(l, padded, weight, wide, 5); break;
  default: DC_FN(nnc_dc_block)(l, padded, weight, wide, 6); break;
  }
}

#undef DC_FN
#undef NNC_DC_CAT
#undef NNC_DC_CAT2
