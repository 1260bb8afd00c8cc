// The packed dense product, written once over 16-float vector types and included by dense_packed.c
// once per instruction set (isa_variants.h). Not a public header: it defines functions.

#define NNC_DENSE_CAT2(a, b) a##_##b
#define NNC_DENSE_CAT(a, b) NNC_DENSE_CAT2(a, b)
#define FN(name) NNC_DENSE_CAT(name, NNC_ISA)

// `samples` (a constant: 12, or 6 for either half of a group) samples × the 16 outputs of one block,
// from the group's transposed inputs (`columns`: [k][12]), `count` of them live.
static inline __attribute__((always_inline)) void FN(dense_group)(const float *w, const float *columns,
                                                                    int in_features, v16 *sums, const int samples,
                                                                    int count) {
  v16 acc[NNC_DENSE_GROUP];
  for (int s = 0; s < samples; s++) acc[s] = (v16){0};
  for (int k = 0; k < in_features; k++) {
    const v16 wk = *(const v16u *)(w + (size_t)k * NNC_DENSE_PACKED_BLOCK);
    const float *x = columns + (size_t)k * NNC_DENSE_GROUP;
    for (int s = 0; s < samples; s++) acc[s] += wk * x[s];
  }
  for (int s = 0; s < count; s++) sums[s] = acc[s];
}

static inline __attribute__((always_inline)) void FN(dense_blocks)(const float *packed, const float *bias,
                                                                     const float *columns, int batch,
                                                                     int in_features, int out_features,
                                                                     int first_block, int blocks, float *output,
                                                                     const int samples) {
  for (int b = first_block; b < first_block + blocks; b++) {
    const float *w = packed + (size_t)b * in_features * NNC_DENSE_PACKED_BLOCK;
    const int first = b * NNC_DENSE_PACKED_BLOCK;
    const int live = out_features - first < NNC_DENSE_PACKED_BLOCK ? out_features - first : NNC_DENSE_PACKED_BLOCK;
    v16 shift = {0};
    if (bias)
      for (int lane = 0; lane < live; lane++) shift[lane] = bias[first + lane];
    for (int n = 0; n < batch; n += samples) {
      const int count = batch - n < samples ? batch - n : samples;
      const float *group = columns + (size_t)(n / NNC_DENSE_GROUP) * in_features * NNC_DENSE_GROUP + n % NNC_DENSE_GROUP;
      v16 sums[NNC_DENSE_GROUP];
      FN(dense_group)(w, group, in_features, sums, samples, count);
      for (int s = 0; s < count; s++) {
        const v16 value = bias ? sums[s] + shift : sums[s];
        float *row = output + (size_t)(n + s) * out_features + first;
        if (live == NNC_DENSE_PACKED_BLOCK)
          *(v16u *)row = value;
        else
          for (int lane = 0; lane < live; lane++) row[lane] = value[lane];
      }
    }
  }
}

// Twelve samples a group where 32 vector registers hold 12 sums, a weight vector and a broadcast;
// six where 16 registers hold them as pairs (AVX2) — twelve would spill.
static void FN(dense_forward)(const float *packed, const float *bias, const float *columns, int batch,
                              int in_features, int out_features, int first_block, int blocks, float *output,
                              int samples) {
  if (samples == NNC_DENSE_GROUP)
    FN(dense_blocks)(packed, bias, columns, batch, in_features, out_features, first_block, blocks, output,
                     NNC_DENSE_GROUP);
  else
    FN(dense_blocks)(packed, bias, columns, batch, in_features, out_features, first_block, blocks, output,
                     NNC_DENSE_GROUP / 2);
}

#undef FN
#undef NNC_DENSE_CAT
#undef NNC_DENSE_CAT2
