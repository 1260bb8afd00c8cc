// The direct convolution's epilogue as its kernels store, included by direct_conv_body.h for each
// instruction set (DC_FN names the variant, DC_V and DC_VI are its float and int vectors). Not a
// public header: it defines functions.
//
// v · scale + bias (the affine step only where the epilogue has one), the multiplication and the
// addition rounded apart — no fused multiply-add — for the bits of `convolutionEpilogue`, which
// the other convolutions run; then ReLU as v < 0 → 0 or ReLU6 as v ≤ 0 → 0 then v > 6 → 6, NaN
// kept, as its comparisons do.

#define DCF_INLINE static inline __attribute__((always_inline, unused))

// A vector of outputs, lane by lane with scales `s` and biases `b`.
DCF_INLINE DC_V DC_FN(nnc_dc_finish)(DC_V v, DC_V s, DC_V b, int affine, int activation) {
#pragma clang fp contract(off)
  if (affine) v = v * s + b;
  if (activation == NNC_POINTWISE_RELU) {
    v = (DC_V)((DC_VI)v & ~(v < 0));
  } else if (activation == NNC_POINTWISE_RELU6) {
    v = (DC_V)((DC_VI)v & ~(v <= 0));
    const DC_V six = (DC_V){0} + 6;
    v = (DC_V)(((DC_VI)v & ~(v > 6)) | ((DC_VI)six & (v > 6)));
  }
  return v;
}

// Filter f's scale and bias (1 and 0 where the epilogue has none).
DCF_INLINE float DC_FN(nnc_dc_scale)(const nnc_dc_epilogue *e, int f) { return e->scale ? e->scale[f] : 1; }
DCF_INLINE float DC_FN(nnc_dc_bias)(const nnc_dc_epilogue *e, int f) { return e->bias ? e->bias[f] : 0; }

#undef DCF_INLINE
