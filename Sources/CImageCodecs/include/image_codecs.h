// Small C wrappers around libpng's simplified API and libjpeg(-turbo), so Swift never sees
// libjpeg's setjmp/longjmp error handling: every function reports failure through its return value
// and a message buffer instead of exiting or jumping.
#ifndef NNC_IMAGE_CODECS_H
#define NNC_IMAGE_CODECS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Reads the size of a PNG or JPEG held in memory. Returns 0 on success, -1 on failure (with a
/// message in `error`, at most `error_size` bytes including the terminator).
int nnc_png_size(const uint8_t *data, size_t size, int *width, int *height, char *error, size_t error_size);
int nnc_jpeg_size(const uint8_t *data, size_t size, int *width, int *height, char *error, size_t error_size);

/// Decodes into `pixels` (`width * height * channels` bytes, interleaved), converting to grey
/// (`channels == 1`) or RGB (`channels == 3`). Alpha is composited onto black.
int nnc_png_decode(const uint8_t *data, size_t size, int channels, uint8_t *pixels, size_t pixels_size,
                   char *error, size_t error_size);
int nnc_jpeg_decode(const uint8_t *data, size_t size, int channels, uint8_t *pixels, size_t pixels_size,
                    char *error, size_t error_size);

/// Decodes a JPEG at 1/`scale_denom` of its size (1, 2, 4 or 8; each side rounded up) into `pixels`,
/// which holds at least `ceil(width / scale_denom) * ceil(height / scale_denom) * channels` bytes;
/// the decoded size is returned in `width` and `height`.
int nnc_jpeg_decode_scaled(const uint8_t *data, size_t size, int channels, int scale_denom, uint8_t *pixels,
                           size_t pixels_size, int *width, int *height, char *error, size_t error_size);

/// Encodes interleaved 8-bit grey or RGB pixels as a PNG file at `path`.
int nnc_png_write(const char *path, const uint8_t *pixels, int width, int height, int channels, char *error,
                  size_t error_size);

/// Encodes interleaved 8-bit grey or RGB pixels as a baseline JPEG (quality 1...100) into a buffer
/// that the caller frees with `nnc_free`.
int nnc_jpeg_encode(const uint8_t *pixels, int width, int height, int channels, int quality,
                    uint8_t **output, size_t *output_size, char *error, size_t error_size);

void nnc_free(void *pointer);

#ifdef __cplusplus
}
#endif

#endif
