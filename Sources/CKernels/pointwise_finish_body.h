// The epilogue of the direct pointwise kernels (`pointwise_nhwc_body.h`, `packed_product_body.h`),
// included by each kernel body once per instruction set (FN names the variant): the affine step,
// then a residual addition or the activation, with the comparisons of the runtime's scalar code, the
// same lane for lane in 1-, 8- and 16-lane forms so that a vector's width changes no bits. Not a
// public header: it defines functions, and has no include guard.

// The epilogue of 8 outputs (one per lane, each with its channel's scale and bias), with the
// comparisons of `pwn_finish`: ReLU x < 0 → 0, ReLU6 x ≤ 0 → 0 then x > 6 → 6, NaN kept.
PWN_INLINE pwn_v8 FN(finish8)(pwn_v8 v, int affine, pwn_v8 s, pwn_v8 b, int activation, const float *r) {
  if (affine) v = v * s + b;
  if (r) {
    v = v + *(const pwn_v8 *)r;
    if (activation == NNC_POINTWISE_RELU) v = NNC_LANES8_ZERO_AT_OR_BELOW(v);
  } else if (activation == NNC_POINTWISE_RELU) {
    v = NNC_LANES8_RELU(v);
  } else if (activation == NNC_POINTWISE_RELU6) {
    v = NNC_LANES8_ZERO_AT_OR_BELOW(v);
    v = NNC_LANES8_CLAMP_SIX(v);
  }
  return v;
}

PWN_INLINE float FN(finish1)(float v, int affine, float s, float b, int activation, const float *r) {
  if (affine) v = v * s + b;
  if (r) {
    v = v + *r;
    if (activation == NNC_POINTWISE_RELU && v <= 0) v = 0;
  } else if (activation == NNC_POINTWISE_RELU) {
    if (v < 0) v = 0;
  } else if (activation == NNC_POINTWISE_RELU6) {
    if (v <= 0) v = 0;
    if (v > 6) v = 6;
  }
  return v;
}

// `finish8` on 16 lanes, the same comparisons lane for lane.
PWN_INLINE pwn_v16 FN(finish16)(pwn_v16 v, int affine, pwn_v16 s, pwn_v16 b, int activation, const float *r) {
  if (affine) v = v * s + b;
  if (r) {
    v = v + *(const pwn_v16 *)r;
    if (activation == NNC_POINTWISE_RELU) v = (pwn_v16)((pwn_m16)v & ~(v <= 0));
  } else if (activation == NNC_POINTWISE_RELU) {
    v = (pwn_v16)((pwn_m16)v & ~(v < 0));
  } else if (activation == NNC_POINTWISE_RELU6) {
    v = (pwn_v16)((pwn_m16)v & ~(v <= 0));
    const pwn_v16 six = (pwn_v16){0} + 6;
    v = (pwn_v16)(((pwn_m16)v & ~(v > 6)) | ((pwn_m16)six & (v > 6)));
  }
  return v;
}
