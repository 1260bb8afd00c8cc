// The inference product of a dense layer from weights packed once per run: output[n][o] =
// Σ_k weight[o][k] · input[n][k] + bias[o]. OpenBLAS packs the weights on every call and its
// small-batch tiles ran MobileNetV2's 1280 → 1000 head at batch 32 at about 70 GFLOP/s on a core
// that does 105 in large products. Here the weights are packed once into blocks of 16 outputs
// [in_features][16], and a task sums 16 outputs × up to 12 samples in registers (6 on AVX2), each
// block's weights read once from memory and then from cache for every group of samples. Every
// output is one sum over k in increasing order from 0, then the bias added: the same bits for any
// task split. Compiled for the baseline instruction set, AVX2 with FMA and AVX-512, chosen at run
// time like the depthwise kernels.
#ifndef NNC_DENSE_PACKED_H
#define NNC_DENSE_PACKED_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Outputs per block of packed weights; samples per group of transposed inputs.
enum { NNC_DENSE_PACKED_BLOCK = 16, NNC_DENSE_GROUP = 12 };

/// Floats of the packed weights: out_features rounded up to a block, times in_features.
size_t nnc_dense_packed_floats(int in_features, int out_features);

/// weight[o][k] (out_features × in_features) into blocks of 16 outputs, each [in_features][16], the
/// missing outputs of the last block 0.
void nnc_dense_pack(int in_features, int out_features, const float *weight, float *packed);

/// Floats of the transposed inputs: the batch rounded up to a group, times in_features.
size_t nnc_dense_columns_floats(int batch, int in_features);

/// input[n][k] (batch × in_features) into groups of 12 samples, each [k][12] (missing samples 0), so
/// that a step over k reads one line of inputs: once per call, shared by its tasks. Writes groups
/// [first_group, first_group + groups), so that threads can share the work.
void nnc_dense_columns(const float *input, int batch, int in_features, int first_group, int groups,
                       float *columns);

/// Output blocks [first_block, first_block + blocks) of every sample, from the transposed inputs
/// (`nnc_dense_columns`): output[n][o] = Σ_k (k increasing, from 0) packed weight · input[n][k], plus
/// bias[o] when bias is not NULL. `isa` is an NNC_DEPTHWISE_* code.
void nnc_dense_packed_forward(int isa, const float *packed, const float *bias, const float *columns, int batch,
                              int in_features, int out_features, int first_block, int blocks, float *output);

#ifdef __cplusplus
}
#endif

#endif
