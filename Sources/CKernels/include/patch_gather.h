// The data movement around the patch product (`Conv2D.patchProductForward`): gathering pixels'
// input patches from channels-first samples, and writing channels-last product rows into
// channels-first planes. In C for the same reason as the kernels: Swift builds for the baseline
// ISA with overflow checks, and these loops of 3–7 floats ran at a third of the product's speed
// there (MobileNetV2's stem: gather and transposition 2.4× the product's time).
#ifndef NNC_PATCH_GATHER_H
#define NNC_PATCH_GATHER_H

#ifdef __cplusplus
extern "C" {
#endif

/// A convolution's shape as the patches need it (channels-first input of one sample).
typedef struct {
  int in_channels, in_height, in_width, out_height, out_width;
  int kernel_height, kernel_width, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
} nnc_patch_shape;

/// The patches of `count` consecutive output pixels from `first_pixel` on (counted across the
/// batch: sample, row, column) into `patches` ([count][in_channels × kernel_height × kernel_width],
/// channel, kernel row, kernel column; taps outside the input are 0). `input` is the whole batch.
/// Writes up to 4 floats past the last patch (`patches` must have room for them).
void nnc_gather_patches(const nnc_patch_shape *shape, const float *input, long first_pixel, int count,
                        float *patches);

/// rows[count][channels] into `channels` planes of `plane` floats at `target` (row r to position r):
/// target[c · plane + r] = rows[r · channels + c], plus shortcut[c · plane + r] when `shortcut` is not
/// NULL, then (with `relu`) x ≤ 0 → 0, NaN kept: the runtime's epilogue after an addition.
void nnc_transpose_rows(const float *rows, int count, int channels, float *target, long plane,
                        const float *shortcut, int relu);

#ifdef __cplusplus
}
#endif

#endif
