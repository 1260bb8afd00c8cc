#include "depthwise_nhwc.h"

#include "kernel_arithmetic.h"
#include "pointwise.h"

#include <stdlib.h>

typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4)));

// The portable variant passes 8-float vectors between always-inlined helpers only.
#pragma clang diagnostic ignored "-Wpsabi"


#define NNC_ISA portable
#include "depthwise_nhwc_body.h"
#undef NNC_ISA

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define NNC_ISA avx2
#include "depthwise_nhwc_body.h"
#undef NNC_ISA
#pragma clang attribute pop

// The same 8-lane code for AVX-512 (32 vector registers): the same operations in the same order.
#pragma clang attribute push(__attribute__((target("avx2,fma,avx512f,avx512vl,avx512bw,avx512dq"))), \
                             apply_to = function)
#define NNC_ISA avx512
#include "depthwise_nhwc_body.h"
#undef NNC_ISA
#pragma clang attribute pop
#endif

void nnc_depthwise_nhwc_forward(int isa, const nnc_depthwise_shape *shape, int channels, const float *input,
                                const float *weight, const float *bias, int activation, int row_begin, int row_end,
                                float *output) {
  if (channels < 1 || row_begin < 0 || row_end > shape->out_height || shape->stride_h < 1 || shape->stride_w < 1)
    abort();
#if defined(__x86_64__)
  if (isa == NNC_DEPTHWISE_AVX512) {
    forward_nhwc_avx512(shape, channels, input, weight, bias, activation, row_begin, row_end, output);
    return;
  }
  if (isa == NNC_DEPTHWISE_AVX2) {
    forward_nhwc_avx2(shape, channels, input, weight, bias, activation, row_begin, row_end, output);
    return;
  }
#endif
  forward_nhwc_portable(shape, channels, input, weight, bias, activation, row_begin, row_end, output);
}
