#include "depthwise_nhwc.h"

#include "kernel_arithmetic.h"
#include "pointwise.h"

#include <stdlib.h>

typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4)));

// The portable variant passes 8-float vectors between always-inlined helpers only.
#pragma clang diagnostic ignored "-Wpsabi"


// The AVX-512 variant is the same 8-lane code (32 vector registers): the same operations in the same
// order.
#define NNC_VARIANT_BODY "depthwise_nhwc_body.h"
#include "isa_variants.h"

void nnc_depthwise_nhwc_forward(int isa, const nnc_depthwise_shape *shape, int channels, const float *input,
                                const float *weight, const float *bias, int activation, int row_begin, int row_end,
                                float *output) {
  if (channels < 1 || row_begin < 0 || row_end > shape->out_height || shape->stride_h < 1 || shape->stride_w < 1)
    abort();
  NNC_VARIANT_CALL(isa, forward_nhwc, shape, channels, input, weight, bias, activation, row_begin, row_end, output);
}
