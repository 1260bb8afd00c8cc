#include "winograd4x4.h"

#include "depthwise.h"
#include "kernel_arithmetic.h"

#include <string.h>

// The transforms' sums rounded one operation at a time, as the Swift code they replace computes them.
#pragma clang fp contract(off)

#define NNC_VARIANT_BODY "winograd4x4_body.h"
#include "isa_variants.h"

void nnc_winograd4x4_input_tiles(int isa, const float *planes, const long *offsets, int columns, long padded_width,
                                 float *out, long stride) {
  NNC_VARIANT_CALL(isa, input_tiles, planes, offsets, columns, padded_width, out, stride);
}

void nnc_winograd4x4_output_tiles(int isa, const float *m, long stride, int tiles,
                                  const nnc_winograd_placement *placements, long out_width, float *output) {
  NNC_VARIANT_CALL(isa, output_tiles, m, stride, tiles, placements, out_width, output);
}
