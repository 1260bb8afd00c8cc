#include "pointwise_nhwc.h"

#include "depthwise.h"
#include "kernel_arithmetic.h"
#include "pointwise.h"

#include "pointwise_lanes.h"

// 16-lane register blocks where AVX-512's 32 vector registers hold them (and an Intel core's two
// 512-bit FMA units double the rate of 8-lane code); 8-lane blocks elsewhere.
#define PWN_WIDE_portable 0
#define PWN_WIDE_avx2 0
#define PWN_WIDE_avx512 1
#define NNC_VARIANT_BODY "pointwise_nhwc_body.h"
#include "isa_variants.h"

void nnc_pointwise_nhwc_pack(int out_channels, int in_channels, const float *weight, float *packed) {
  int o = 0;
  while (o < out_channels) {
    const int width = out_channels - o >= 16 ? 16 : out_channels - o >= 8 ? 8 : 1;
    float *block = packed + (long)o * in_channels;
    for (int c = 0; c < in_channels; c++)
      for (int j = 0; j < width; j++) block[c * width + j] = weight[(long)(o + j) * in_channels + c];
    o += width;
  }
}

void nnc_pointwise_nhwc_forward(int isa, int out_channels, int in_channels, int pixels,
                                const float *packed_weight, const float *input, float *output,
                                const float *shortcut, const float *scale, const float *bias, int activation) {
  // Absent scales and biases become 1 and 0 per channel, so the blocks need no branches on them.
  float ones[out_channels > 0 ? out_channels : 1], zeros[out_channels > 0 ? out_channels : 1];
  const int affine = scale != 0 || bias != 0;
  if (!scale || !bias) {
    for (int o = 0; o < out_channels; o++) ones[o] = 1, zeros[o] = 0;
  }
  const float *s = scale ? scale : ones, *b = bias ? bias : zeros;
  NNC_VARIANT_CALL(isa, pwn_forward, out_channels, in_channels, pixels, packed_weight, input, output, shortcut, s,
                   b, affine, activation);
}
