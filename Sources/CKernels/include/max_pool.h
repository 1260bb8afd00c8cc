// Max pooling's vector kernels. `nnc_max_pool_run`, the inner loop of the inference path
// (`MaxPool2D.forwardValues`): runs of outputs whose windows lie inside the input row, eight at a
// time (sixteen for a 3x3, stride-2 window with AVX-512; a run's last outputs as its last eight or
// sixteen, overlapping the ones before), a window's pixels at stride 2 split from two vector loads
// instead of gathered one by one
// (ResNet-50's 3x3, stride-2 pooling after the stem took two and a half times ONNX Runtime's).
// `nnc_max_pool_padded_plane`: whole planes from rows padded with −∞, with or without the argmax
// (`MaxPool2D.forward` in training; inference where few windows of a row lie inside it).
// Compiled for any x86-64 or ARM CPU, with AVX2, and with AVX-512, chosen at run time like the
// depthwise kernels.
#ifndef NNC_MAX_POOL_H
#define NNC_MAX_POOL_H

#ifdef __cplusplus
extern "C" {
#endif

/// `count` consecutive outputs of one output row: output[i] = the maximum of origin[r · in_width +
/// i · stride + x] over rows r < `rows` and columns x < `window_w`, visited row by row and column by
/// column from the window's first pixel, a later pixel replacing the best only when strictly greater
/// (NaN never replaces, ties keep the first): the runtime's scalar loop, so the same bits. Every pixel
/// read lies inside the input. `isa` is an NNC_DEPTHWISE_* code.
void nnc_max_pool_run(int isa, const float *origin, long in_width, int rows, int window_w, int stride, int count,
                      float *output);

/// A whole plane's outputs (`out_width` at least 8), the same bits as the scalar loop of
/// `nnc_max_pool_run`'s contract with each window clipped to the input, and with `argmax` (or
/// null) each output's index y · in_width + x in the input plane, the first maximum in that order.
/// Padding must be smaller than the window, so every window holds a pixel.
void nnc_max_pool_padded_plane(int isa, const float *src, int in_height, int in_width, int out_height,
                               int out_width, int window_h, int window_w, int stride_h, int stride_w, int pad_top,
                               int pad_left, float *output, int *argmax);

#ifdef __cplusplus
}
#endif

#endif
