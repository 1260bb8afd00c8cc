// Lane helpers of the 16-float kernel bodies (`depthwise_flat_body.h` with its register kernels,
// `depthwise_small_maps_body.h`, `pointwise_gradient_body.h`), included by each once per instruction
// set after it defines FN and INLINE, so that every variant inlines its own copy. Not a public header
// and without an include guard: a translation unit includes it once per variant. Needs v16 and v16u.

// The first `live` floats from p (all 16 when live ≥ 16), the other lanes 0.
INLINE v16 FN(load_live)(const float *p, int live) {
  if (live >= 16) return *(const v16u *)p;
  v16 v = {0};
  for (int lane = 0; lane < live; lane++) v[lane] = p[lane];
  return v;
}

// The first `live` lanes of v to p (all 16 when live ≥ 16).
INLINE void FN(store_live)(float *p, v16 v, int live) {
  if (live >= 16) {
    *(v16u *)p = v;
    return;
  }
  for (int lane = 0; lane < live; lane++) p[lane] = v[lane];
}

// The sum of the 16 lanes in one fixed order: lanes 0-7 + 8-15, then 0-3 + 4-7, then (0 + 2) + (1 + 3).
INLINE float FN(sum16)(v16 v) {
  typedef float v8f __attribute__((vector_size(32)));
  typedef float v4f __attribute__((vector_size(16)));
  const v8f h = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
                __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  const v4f q = __builtin_shufflevector(h, h, 0, 1, 2, 3) + __builtin_shufflevector(h, h, 4, 5, 6, 7);
  return (q[0] + q[2]) + (q[1] + q[3]);
}
