#include "depthwise.h"

#include "kernel_arithmetic.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4)));
typedef float v4 __attribute__((vector_size(16)));
typedef float v4u __attribute__((vector_size(16), aligned(4)));


// The portable variant passes 8-float vectors between always-inlined helpers only.
#pragma clang diagnostic ignored "-Wpsabi"

// Padded planes up to this size live on the stack (32 KiB); larger ones are allocated.
#define NNC_DEPTHWISE_STACK_FLOATS 8192

// Copies a height × width plane into a zeroed rows × columns one, top and left padding `top` and
// `left` (either may be negative: rows or columns cut off). Rows are short (a plane is a few dozen
// floats wide), so the copies are inline 4-float moves: `perf` put a third of a stride-2 forward
// pass in the memset and memcpy calls a row took before (`no_builtin` keeps the compiler from turning
// the loops back into those calls).
__attribute__((no_builtin("memset", "memcpy"))) static void nnc_pad_plane(const float *in, int height, int width,
                                                                           int top, int left, float *pad, int rows,
                                                                           int columns) {
  const int first = nnc_max(0, left), last = nnc_min(columns, width + left);  // padded columns with input
  const v4 zero = {0};
  for (int r = 0; r < rows; r++) {
    float *row = pad + (size_t)r * columns;
    const int iy = r - top;
    if (iy < 0 || iy >= height || first >= last) {
      int c = 0;
      for (; c + 4 <= columns; c += 4) *(v4u *)(row + c) = zero;
      for (; c < columns; c++) row[c] = 0;
      continue;
    }
    for (int c = 0; c < first; c++) row[c] = 0;
    const float *src = in + (size_t)iy * width + (first - left);
    int c = first;
    for (; c + 4 <= last; c += 4) *(v4u *)(row + c) = *(const v4u *)(src + c - first);
    for (; c < last; c++) row[c] = src[c - first];
    for (c = last; c + 4 <= columns; c += 4) *(v4u *)(row + c) = zero;
    for (; c < columns; c++) row[c] = 0;
  }
}

// The AVX-512 variant is the same 8-lane code (EVEX encoding, 32 vector registers, masked tails the
// compiler may use): the lanes stay 8 wide so that each plane's sums are the same operations in the
// same order as in the AVX2 variant (both contract a·b + c into FMA).
#define NNC_VARIANT_BODY "depthwise_body.h"
#include "isa_variants.h"

int nnc_depthwise_avx2_available(void) {
#if defined(__x86_64__)
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  const unsigned osxsave = 1u << 27, avx = 1u << 28, fma = 1u << 12;
  if ((c & (osxsave | avx | fma)) != (osxsave | avx | fma)) return 0;
  // The OS must save the YMM registers: XCR0 bits 1 (SSE) and 2 (AVX).
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 6) != 6) return 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  return (b & (1u << 5)) ? 1 : 0;
#else
  return 0;
#endif
}

int nnc_depthwise_avx512_available(void) {
#if defined(__x86_64__)
  if (!nnc_depthwise_avx2_available()) return 0;
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  const unsigned f = 1u << 16, dq = 1u << 17, bw = 1u << 30, vl = 1u << 31;
  if ((b & (f | dq | bw | vl)) != (f | dq | bw | vl)) return 0;
  // The OS must save the opmask and ZMM registers too: XCR0 bits 5, 6 and 7 besides 1 and 2.
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (lo & 0xe6) == 0xe6 ? 1 : 0;
#else
  return 0;
#endif
}

// Calls the variant `isa` names of a kernel of depthwise_body.h and returns.
#define NNC_DISPATCH(isa, kernel, ...)                                                                   \
  do {                                                                                                 \
    NNC_VARIANT_CALL(isa, kernel, __VA_ARGS__);                                                        \
    return;                                                                                            \
  } while (0)

void nnc_depthwise_forward_plane(int isa, const nnc_depthwise_shape *shape, const float *input,
                                 const float *kernel, float bias, int accumulate, float *output) {
  NNC_DISPATCH(isa, forward_plane, shape, input, kernel, bias, accumulate, output);
}

void nnc_depthwise_forward_channels(int isa, const nnc_depthwise_shape *shape, const float *input,
                                    const float *kernels, const float *biases, int channels, float *output) {
  if (channels < 1 || channels > 8) abort();
  NNC_DISPATCH(isa, forward_channels, shape, input, kernels, biases, channels, output);
}

void nnc_depthwise_input_gradient_channels(int isa, const nnc_depthwise_shape *shape, const float *grad_output,
                                           const float *kernels, int channels, float *grad_input) {
  if (channels < 1 || channels > 8) abort();
  NNC_DISPATCH(isa, input_gradient_channels, shape, grad_output, kernels, channels, grad_input);
}

void nnc_depthwise_weight_gradient_channels(int isa, const nnc_depthwise_shape *shape, const float *input,
                                            const float *grad_output, int samples, long input_sample_stride,
                                            long grad_output_sample_stride, int channels, float *sums) {
  if (channels < 1 || channels > 8 || samples < 0) abort();
  NNC_DISPATCH(isa, weight_gradient_channels, shape, input, grad_output, samples, input_sample_stride,
               grad_output_sample_stride, channels, sums);
}

// Kernels up to this many taps are flipped on the stack for the stride-1 input gradient.
#define NNC_DEPTHWISE_MAX_FLIPPED_TAPS 64

void nnc_depthwise_input_gradient_plane(int isa, const nnc_depthwise_shape *shape, const float *grad_output,
                                        const float *kernel, int accumulate, float *grad_input) {
  const nnc_depthwise_shape *g = shape;
  const int taps = g->kernel_height * g->kernel_width;
  if (g->stride_h == 1 && g->stride_w == 1 && taps <= NNC_DEPTHWISE_MAX_FLIPPED_TAPS) {
    // dx[iy][ix] = Σ w[a][b] · dy[iy + pad_top − a·dh][ix + pad_left − b·dw]: the forward
    // convolution of dy with the kernel flipped, padded by the kernel's extent minus the padding.
    float flipped[NNC_DEPTHWISE_MAX_FLIPPED_TAPS];
    for (int t = 0; t < taps; t++) flipped[t] = kernel[taps - 1 - t];
    nnc_depthwise_shape adjoint = {
      .in_height = g->out_height, .in_width = g->out_width, .out_height = g->in_height,
      .out_width = g->in_width, .kernel_height = g->kernel_height, .kernel_width = g->kernel_width,
      .stride_h = 1, .stride_w = 1, .dilation_h = g->dilation_h, .dilation_w = g->dilation_w,
      .pad_top = (g->kernel_height - 1) * g->dilation_h - g->pad_top,
      .pad_left = (g->kernel_width - 1) * g->dilation_w - g->pad_left};
    nnc_depthwise_forward_plane(isa, &adjoint, grad_output, flipped, 0, accumulate, grad_input);
    return;
  }
  if (g->stride_w == 2 && g->dilation_w == 1)
    NNC_DISPATCH(isa, input_gradient_stride2, shape, grad_output, kernel, accumulate, grad_input);
  if (!accumulate) memset(grad_input, 0, sizeof(float) * g->in_height * g->in_width);
  NNC_DISPATCH(isa, input_gradient_scatter_plane, shape, grad_output, kernel, grad_input);
}

void nnc_depthwise_weight_gradient_plane(int isa, const nnc_depthwise_shape *shape, const float *input,
                                         const float *grad_output, float *sums) {
  NNC_DISPATCH(isa, weight_gradient_plane, shape, input, grad_output, sums);
}
