// The direct convolution's epilogue as its kernels store, included once per instruction set (by
// direct_conv_body.h for the portable and AVX2 variants, by direct_conv.c in its AVX-512 section,
// with NNC_DCF_WIDE for 16-float vectors): NNC_ISA names the variant. Not a public header: it
// defines functions.
//
// v · scale + bias (the affine step only where the epilogue has one), the multiplication and the
// addition rounded apart — no fused multiply-add — for the bits of `convolutionEpilogue`, which
// the other convolutions run; then ReLU as v < 0 → 0 or ReLU6 as v ≤ 0 → 0 then v > 6 → 6, NaN
// kept, as its comparisons do.

#define NNC_DCF_CAT2(a, b) a##_##b
#define NNC_DCF_CAT(a, b) NNC_DCF_CAT2(a, b)
#define DCF_FN(name) NNC_DCF_CAT(name, NNC_ISA)
#define DCF_INLINE static inline __attribute__((always_inline, unused))

// Eight outputs, lane by lane with scales `s` and biases `b`.
DCF_INLINE v8 DCF_FN(nnc_dc_finish8)(v8 v, v8 s, v8 b, int affine, int activation) {
#pragma clang fp contract(off)
  if (affine) v = v * s + b;
  if (activation == NNC_POINTWISE_RELU) {
    v = (v8)((v8i)v & ~(v < 0));
  } else if (activation == NNC_POINTWISE_RELU6) {
    v = (v8)((v8i)v & ~(v <= 0));
    const v8 six = (v8){0} + 6;
    v = (v8)(((v8i)v & ~(v > 6)) | ((v8i)six & (v > 6)));
  }
  return v;
}

#ifdef NNC_DCF_WIDE
// Sixteen outputs, lane by lane with scales `s` and biases `b`.
DCF_INLINE v16 DCF_FN(nnc_dc_finish16)(v16 v, v16 s, v16 b, int affine, int activation) {
#pragma clang fp contract(off)
  if (affine) v = v * s + b;
  if (activation == NNC_POINTWISE_RELU) {
    v = (v16)((v16i)v & ~(v < 0));
  } else if (activation == NNC_POINTWISE_RELU6) {
    v = (v16)((v16i)v & ~(v <= 0));
    const v16 six = (v16){0} + 6;
    v = (v16)(((v16i)v & ~(v > 6)) | ((v16i)six & (v > 6)));
  }
  return v;
}
#endif

// Filter f's scale and bias (1 and 0 where the epilogue has none).
DCF_INLINE float DCF_FN(nnc_dc_scale)(const nnc_dc_epilogue *e, int f) { return e->scale ? e->scale[f] : 1; }
DCF_INLINE float DCF_FN(nnc_dc_bias)(const nnc_dc_epilogue *e, int f) { return e->bias ? e->bias[f] : 0; }

#undef DCF_INLINE
#undef DCF_FN
#undef NNC_DCF_CAT
#undef NNC_DCF_CAT2
