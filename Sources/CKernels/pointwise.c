#include "pointwise.h"

#include "depthwise.h"
#include "kernel_arithmetic.h"

#include <stdint.h>
#include <stdlib.h>

#include "pointwise_lanes.h"

// Pixels per packed panel, and the input channels the packed panel holds (the callers' limit,
// `Conv2D.directPointwiseMaximumInputs`). A panel of 512 pixels (up to 128 KiB, from the second
// level cache) writes each output row in runs of 2 KiB; panels of 128 pixels that stayed in the
// first level ran ResNet-50's 64 → 256 expansion on 56x56 maps with its shortcut 5.1 ms a batch of 8
// against 4.7, its rows written 512 bytes at a time.
#define PW_PANEL 512
#define PW_MAX_INPUTS 64

#define PW_WIDE_portable 0
#define PW_WIDE_avx2 0
#define PW_WIDE_avx512 1
#define NNC_VARIANT_BODY "pointwise_body.h"
#include "isa_variants.h"

void nnc_pointwise_forward(int isa, int out_channels, int in_channels, int pixels, const float *weight,
                           const float *input, long input_stride, float *output, long output_stride,
                           const float *shortcut, const float *scale, const float *bias, int activation) {
  if (in_channels > PW_MAX_INPUTS) abort();
  if (shortcut && activation != NNC_POINTWISE_LINEAR && activation != NNC_POINTWISE_RELU) abort();
  // Absent scales and biases become 1 and 0 per channel, so the blocks need no branches on them.
  float ones[out_channels > 0 ? out_channels : 1], zeros[out_channels > 0 ? out_channels : 1];
  const int affine = scale != 0 || bias != 0;
  if (!scale || !bias) {
    for (int o = 0; o < out_channels; o++) ones[o] = 1, zeros[o] = 0;
  }
  const float *s = scale ? scale : ones, *b = bias ? bias : zeros;
  // The panel on the stack, sized by the inputs (the worker threads' stacks are 1 MiB), 64-byte
  // aligned so that each packed vector is one cache line.
  float storage[PW_PANEL * (in_channels > 0 ? in_channels : 1) + 16];
  float *packed = (float *)(((uintptr_t)storage + 63) & ~(uintptr_t)63);
  NNC_VARIANT_CALL(isa, pw_forward, out_channels, in_channels, pixels, weight, input, input_stride, output,
                   output_stride, shortcut, s, b, affine, activation, packed);
}
