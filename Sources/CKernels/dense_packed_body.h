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

// Two blocks (32 outputs) × `samples` samples from the group's inputs over `k_count` of them: per k
// two weight vectors and each broadcast shared by both, where one block spends a broadcast per
// multiply-add (cifar_cnn's 8192 -> 256: 2.5 -> 2.2 ms a batch of 64 with the chunks below). The sums
// start at 0 where `first`, else continue from `sums0` and `sums1`, and go back there: a chunk of
// inputs at a time, in order, adds what one pass over all of them adds.
static inline __attribute__((always_inline)) void FN(dense_group_pair)(const float *w0, const float *w1,
                                                                         const float *columns, int k_count,
                                                                         v16 *sums0, v16 *sums1, const int samples,
                                                                         int first) {
  v16 acc0[NNC_DENSE_GROUP], acc1[NNC_DENSE_GROUP];
#pragma clang loop unroll(full)
  for (int s = 0; s < samples; s++) {
    acc0[s] = first ? (v16){0} : sums0[s];
    acc1[s] = first ? (v16){0} : sums1[s];
  }
  for (int k = 0; k < k_count; k++) {
    const v16 wk0 = *(const v16u *)(w0 + (size_t)k * NNC_DENSE_PACKED_BLOCK);
    const v16 wk1 = *(const v16u *)(w1 + (size_t)k * NNC_DENSE_PACKED_BLOCK);
    const float *x = columns + (size_t)k * NNC_DENSE_GROUP;
    // Unrolled, so that the 24 sums stay in registers.
#pragma clang loop unroll(full)
    for (int s = 0; s < samples; s++) {
      acc0[s] += wk0 * x[s];
      acc1[s] += wk1 * x[s];
    }
  }
#pragma clang loop unroll(full)
  for (int s = 0; s < samples; s++) {
    sums0[s] = acc0[s];
    sums1[s] = acc1[s];
  }
}

// Inputs per chunk of the paired blocks: their 2 × 16 × 256 weights (32 KiB) stay in L1 while up to
// DENSE_PAIR_GROUPS groups of samples pass over them.
#define DENSE_PAIR_CHUNK 256
#define DENSE_PAIR_GROUPS 8

// Block b's sums of samples n, n + 1, … (`count` of them) with its bias into the output rows.
static inline __attribute__((always_inline)) void FN(dense_store)(const v16 *sums, const float *bias, int b, int n,
                                                                    int count, int out_features, float *output) {
  const int first = b * NNC_DENSE_PACKED_BLOCK;
  const int live = out_features - first < NNC_DENSE_PACKED_BLOCK ? out_features - first : NNC_DENSE_PACKED_BLOCK;
  v16 shift = {0};
  if (bias)
    for (int lane = 0; lane < live; lane++) shift[lane] = bias[first + lane];
  for (int s = 0; s < count; s++) {
    const v16 value = bias ? sums[s] + shift : sums[s];
    float *row = output + (size_t)(n + s) * out_features + first;
    if (live == NNC_DENSE_PACKED_BLOCK)
      *(v16u *)row = value;
    else
      for (int lane = 0; lane < live; lane++) row[lane] = value[lane];
  }
}

// Blocks in pairs where `pairs` (the 12-sample groups of AVX-512, whose 24 sums, two weight vectors
// and a broadcast fit its 32 registers), else one at a time.
static inline __attribute__((always_inline)) void FN(dense_blocks)(const float *packed, const float *bias,
                                                                     const float *columns, int batch,
                                                                     int in_features, int out_features,
                                                                     int first_block, int blocks, float *output,
                                                                     const int samples, const int pairs) {
  const int end = first_block + blocks;
  for (int b = first_block; b < end;) {
    const int pair = pairs && b + 1 < end;
    const float *w = packed + (size_t)b * in_features * NNC_DENSE_PACKED_BLOCK;
    if (pair) {
      const float *w1 = w + (size_t)in_features * NNC_DENSE_PACKED_BLOCK;
      const int span = DENSE_PAIR_GROUPS * samples;
      for (int n0 = 0; n0 < batch; n0 += span) {
        const int n_end = batch - n0 < span ? batch : n0 + span;
        v16 sums[DENSE_PAIR_GROUPS][2][NNC_DENSE_GROUP];
        for (int k0 = 0; k0 < in_features; k0 += DENSE_PAIR_CHUNK) {
          const int k_count = in_features - k0 < DENSE_PAIR_CHUNK ? in_features - k0 : DENSE_PAIR_CHUNK;
          for (int n = n0; n < n_end; n += samples) {
            const float *group =
              columns + (size_t)(n / NNC_DENSE_GROUP) * in_features * NNC_DENSE_GROUP + n % NNC_DENSE_GROUP;
            v16 *state = sums[(n - n0) / samples][0], *state1 = sums[(n - n0) / samples][1];
            FN(dense_group_pair)(w + (size_t)k0 * NNC_DENSE_PACKED_BLOCK, w1 + (size_t)k0 * NNC_DENSE_PACKED_BLOCK,
                                 group + (size_t)k0 * NNC_DENSE_GROUP, k_count, state, state1, samples, k0 == 0);
          }
        }
        for (int n = n0; n < n_end; n += samples) {
          const int count = batch - n < samples ? batch - n : samples;
          FN(dense_store)(sums[(n - n0) / samples][0], bias, b, n, count, out_features, output);
          FN(dense_store)(sums[(n - n0) / samples][1], bias, b + 1, n, count, out_features, output);
        }
      }
    } else {
      for (int n = 0; n < batch; n += samples) {
        const int count = batch - n < samples ? batch - n : samples;
        const float *group =
          columns + (size_t)(n / NNC_DENSE_GROUP) * in_features * NNC_DENSE_GROUP + n % NNC_DENSE_GROUP;
        v16 sums[NNC_DENSE_GROUP];
        FN(dense_group)(w, group, in_features, sums, samples, count);
        FN(dense_store)(sums, bias, b, n, count, out_features, output);
      }
    }
    b += pair ? 2 : 1;
  }
}

// Twelve samples a group where 32 vector registers hold 12 sums, a weight vector and a broadcast;
// six where 16 registers hold them as pairs (AVX2) — twelve would spill.
static void FN(dense_forward)(const float *packed, const float *bias, const float *columns, int batch,
                              int in_features, int out_features, int first_block, int blocks, float *output,
                              int samples) {
  if (samples == NNC_DENSE_GROUP)
    FN(dense_blocks)(packed, bias, columns, batch, in_features, out_features, first_block, blocks, output,
                     NNC_DENSE_GROUP, 1);
  else
    FN(dense_blocks)(packed, bias, columns, batch, in_features, out_features, first_block, blocks, output,
                     NNC_DENSE_GROUP / 2, 0);
}

#undef DENSE_PAIR_CHUNK
#undef DENSE_PAIR_GROUPS
#undef FN
#undef NNC_DENSE_CAT
#undef NNC_DENSE_CAT2
