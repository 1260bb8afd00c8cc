#include "pointwise_gradient.h"

#include "depthwise.h"

typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));

// The portable variant passes 16-float vectors between always-inlined helpers only.
#pragma clang diagnostic ignored "-Wpsabi"

// A tile's outputs and inputs (4 × 4 sums, 16 accumulators and 8 loads a step), and the input tiles
// whose partial sums a pass over the samples keeps on the stack (16 KiB).
enum { PG_ROWS = 4, PG_COLUMNS = 4, PG_CHUNK_TILES = 16 };

#define NNC_VARIANT_BODY "pointwise_gradient_body.h"
#include "isa_variants.h"

void nnc_pointwise_weight_gradient(int isa, int out_channels, int in_channels, int pixels, int samples,
                                   const float *grad_output, long grad_output_stride, const float *input,
                                   long input_stride, float *grad_weight) {
  NNC_VARIANT_CALL(isa, pg_weight_gradient, out_channels, in_channels, pixels, samples, grad_output,
                   grad_output_stride, input, input_stride, grad_weight);
}
