#include "dense_packed.h"

#include "depthwise.h"

#include <string.h>

typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));

// The portable variant passes 16-float vectors between always-inlined helpers only.
#pragma clang diagnostic ignored "-Wpsabi"


size_t nnc_dense_packed_floats(int in_features, int out_features) {
  const size_t blocks = ((size_t)out_features + NNC_DENSE_PACKED_BLOCK - 1) / NNC_DENSE_PACKED_BLOCK;
  return blocks * NNC_DENSE_PACKED_BLOCK * (size_t)in_features;
}

void nnc_dense_pack(int in_features, int out_features, const float *weight, float *packed) {
  const int blocks = (out_features + NNC_DENSE_PACKED_BLOCK - 1) / NNC_DENSE_PACKED_BLOCK;
  for (int b = 0; b < blocks; b++) {
    float *block = packed + (size_t)b * in_features * NNC_DENSE_PACKED_BLOCK;
    for (int lane = 0; lane < NNC_DENSE_PACKED_BLOCK; lane++) {
      const int o = b * NNC_DENSE_PACKED_BLOCK + lane;
      for (int k = 0; k < in_features; k++)
        block[(size_t)k * NNC_DENSE_PACKED_BLOCK + lane] = o < out_features ? weight[(size_t)o * in_features + k] : 0;
    }
  }
}

size_t nnc_dense_columns_floats(int batch, int in_features) {
  return ((size_t)batch + NNC_DENSE_GROUP - 1) / NNC_DENSE_GROUP * NNC_DENSE_GROUP * (size_t)in_features;
}

void nnc_dense_columns(const float *input, int batch, int in_features, int first_group, int groups,
                       float *columns) {
  for (int g = first_group; g < first_group + groups; g++) {
    float *group = columns + (size_t)g * in_features * NNC_DENSE_GROUP;
    // The group's rows read side by side and its columns written in order (row by row, each write
    // 12 floats from the last, on one thread, took 0.7 ms of CPU against the product's 2.4 in a
    // profile of cifar_cnn's 8192 -> 256 layer).
    const float *rows[NNC_DENSE_GROUP];
    int live = 0;
    for (int s = 0; s < NNC_DENSE_GROUP; s++) {
      const int n = g * NNC_DENSE_GROUP + s;
      rows[s] = n < batch ? input + (size_t)n * in_features : 0;
      if (n < batch) live = s + 1;
    }
    // A full group's loop without the per-sample test (cifar_cnn's 8192 -> 256 layer 1.47 against
    // 1.55 ms with one loop for both).
    if (live == NNC_DENSE_GROUP) {
      for (int k = 0; k < in_features; k++)
        for (int s = 0; s < NNC_DENSE_GROUP; s++) group[(size_t)k * NNC_DENSE_GROUP + s] = rows[s][k];
    } else {
      for (int k = 0; k < in_features; k++)
        for (int s = 0; s < NNC_DENSE_GROUP; s++) group[(size_t)k * NNC_DENSE_GROUP + s] = s < live ? rows[s][k] : 0;
    }
  }
}

#define NNC_VARIANT_BODY "dense_packed_body.h"
#include "isa_variants.h"

void nnc_dense_packed_forward(int isa, const float *packed, const float *bias, const float *columns, int batch,
                              int in_features, int out_features, int first_block, int blocks, float *output) {
  const int samples = isa == NNC_DEPTHWISE_AVX512 ? NNC_DENSE_GROUP : NNC_DENSE_GROUP / 2;
  NNC_VARIANT_CALL(isa, dense_forward, packed, bias, columns, batch, in_features, out_features, first_block, blocks,
                   output, samples);
}
