#include "max_pool.h"

#include "depthwise.h"

typedef float mp_v8 __attribute__((vector_size(32), aligned(4)));
typedef int mp_m8 __attribute__((vector_size(32), aligned(4)));
typedef float mp_v16 __attribute__((vector_size(64), aligned(4)));
typedef int mp_m16 __attribute__((vector_size(64), aligned(4)));

#define MP_WIDE_portable 0
#define MP_WIDE_avx2 0
#define MP_WIDE_avx512 1

// The portable variant passes 8-float vectors between always-inlined helpers only.
#pragma clang diagnostic ignored "-Wpsabi"

#define NNC_VARIANT_BODY "max_pool_body.h"
#include "isa_variants.h"

void nnc_max_pool_run(int isa, const float *origin, long in_width, int rows, int window_w, int stride, int count,
                      float *output) {
  NNC_VARIANT_CALL(isa, max_pool_run, origin, in_width, rows, window_w, stride, count, output);
}
