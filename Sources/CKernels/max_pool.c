#include "max_pool.h"

#include <stdlib.h>

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

// Floats of one padded row of `nnc_max_pool_padded_plane`.
static long nnc_max_pool_padded_width(int in_width, int out_width, int window_w, int stride_w, int pad_left) {
  const long covered = (long)(out_width - 1) * stride_w + window_w;
  const long width = pad_left + in_width > covered ? pad_left + in_width : covered;
  // Room for the stride-2 candidates' second load, which reads up to 7 floats past a window.
  return width + 8;
}

void nnc_max_pool_padded_plane(int isa, const float *src, int in_height, int in_width, int out_height,
                               int out_width, int window_h, int window_w, int stride_h, int stride_w, int pad_top,
                               int pad_left, float *output, int *argmax) {
  const long padded_width = nnc_max_pool_padded_width(in_width, out_width, window_w, stride_w, pad_left);
  // The planes this path takes are small (ResNet-18/32's: 16 rows of 25 floats; ResNet-50's in
  // training, with the argmax: 112 rows of 121); a heap copy for each one took a third of the
  // pooling's time.
  enum { stack_floats = 16384 };
  float stack[stack_floats];
  const long floats = in_height * padded_width;
  float *padded = floats <= stack_floats ? stack : malloc(sizeof(float) * floats);
  if (!padded) abort();
  NNC_VARIANT_CALL(isa, max_pool_padded_plane, src, in_height, in_width, out_height, out_width, window_h, window_w,
                   stride_h, stride_w, pad_top, pad_left, padded_width, padded, output, argmax);
  if (padded != stack) free(padded);
}
