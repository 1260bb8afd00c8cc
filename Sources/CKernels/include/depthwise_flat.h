// Depthwise convolutions over flattened NCHW planes, 16 outputs per vector whatever the width of the
// map: each tap is one shifted load of the flat plane, its lanes outside the map cleared by a mask
// from a table built once per geometry. Stride 2 runs on the input's four phase planes (even and
// odd rows × columns), where every tap is again a shift. Planes of fewer than 16 pixels that divide
// 16 (4x4, 2x2, 1x1) share a vector ("packed": lane i reads channel i / pixels), so small maps use
// every lane. Forward, and a backward pass that computes the input and weight gradients from one
// copy of each plane.
//
// Compiled three times like depthwise.c (portable, AVX2 with FMA, AVX-512), always as 16-lane
// vectors, so every sum is the same operations in the same order on every instruction set. The
// caller runs tasks in parallel; each sums in a fixed order, so results never depend on threads.
#ifndef NNC_DEPTHWISE_FLAT_H
#define NNC_DEPTHWISE_FLAT_H

#include "depthwise.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Bytes of the table `nnc_depthwise_flat_table` writes for `shape`, or 0 when the flat kernels do
/// not run it: they need stride 1 with the output the size of the input, or stride 2 (both
/// directions) with the input exactly twice the output, and at most 64 taps.
size_t nnc_depthwise_flat_table_bytes(const nnc_depthwise_shape *shape);

/// Writes the tap offsets and lane masks of `shape` into `table` (`nnc_depthwise_flat_table_bytes`
/// bytes, 64-byte aligned). Returns 1, or 0 when the geometry needs more distinct masks than the
/// table holds (then the flat kernels do not run it).
int nnc_depthwise_flat_table(const nnc_depthwise_shape *shape, void *table);

/// With `enabled` 0, turns the register variants off for this table (for tests and benchmarks: the
/// general kernels, which the register variants must equal bit for bit).
/// Nonzero leaves the table as built.
void nnc_depthwise_flat_use_registers(void *table, int enabled);

/// Whether this table's geometry runs the register variants.
int nnc_depthwise_flat_uses_registers(const void *table);

/// Channels a call should start at a multiple of, so that packed vectors never span two calls:
/// 16 / pixels for packed planes, else 1.
int nnc_depthwise_flat_channel_quantum(const void *table);

/// Floats of the per-lane weights and initial values `nnc_depthwise_flat_expand` writes for
/// `channels` channels: nonzero only for planes of at most 16 pixels dividing 16 that the kernels run
/// from expanded weights (the register variants' 4x4 planes splat the kernel's values instead). Any
/// address will do; 64-byte aligned keeps each vector in one cache line. The part of channels
/// [first, …) starts `nnc_depthwise_flat_expanded_floats(table, first)` floats in, for `first` a
/// multiple of the quantum.
size_t nnc_depthwise_flat_expanded_floats(const void *table, int channels);

/// Packed planes: lane l of vector v belongs to channel (16·v + l) / pixels; writes, per vector, its
/// lanes' weights for every tap and their initial value 0 + bias (biases may be NULL), built once
/// per call of a layer instead of once per sample.
void nnc_depthwise_flat_expand(const void *table, const float *kernels, const float *biases, int channels,
                               float *expanded);

/// Floats of the work area a call over `planes` channels uses (zeroed halos around copies of its
/// planes, the stride-2 input gradient's phases and, for a backward pass over packed planes, its
/// accumulators), 64-byte alignment slack included. `with_gradients` 0 for the forward pass.
size_t nnc_depthwise_flat_work_floats(const void *table, int planes, int with_gradients);

/// output = bias + the convolution, for `planes` consecutive channels of `samples` samples: plane c
/// of sample n read from input + n · input_sample_stride + c · in_height · in_width with kernel
/// kernels + c · taps and bias biases[c] (biases may be NULL), written to
/// output + n · output_sample_stride + c · out_height · out_width. Packed planes read their weights
/// and biases from `expanded` (this call's part) instead. Same sums, in the same order, as
/// `nnc_depthwise_forward_plane`. `work` (`nnc_depthwise_flat_work_floats` floats, no alignment
/// needed) is the call's work area; NULL allocates one for the call.
void nnc_depthwise_flat_forward(int isa, const void *table, const float *input, const float *kernels,
                                const float *biases, const float *expanded, int planes, int samples,
                                long input_sample_stride, long output_sample_stride, float *output, float *work);

/// Both gradients of `planes` consecutive channels over `samples` samples (sample n's planes at
/// input + n · input_sample_stride and grad_output + n · grad_output_sample_stride), from one copy of
/// each plane: grad_input (may be NULL; the layout and stride of input) is overwritten, and
/// sums[c · taps + t] (may be NULL) is set to channel c's tap-t sum over these samples, added in
/// order. `expanded` and `work` as for the forward pass.
void nnc_depthwise_flat_backward(int isa, const void *table, const float *input, const float *grad_output,
                                 const float *kernels, const float *expanded, int planes, int samples,
                                 long input_sample_stride, long grad_output_sample_stride, float *grad_input,
                                 float *sums, float *work);

#ifdef __cplusplus
}
#endif

#endif
