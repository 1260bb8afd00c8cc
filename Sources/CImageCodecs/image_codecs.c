#include "image_codecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

static void copy_message(char *error, size_t error_size, const char *message) {
  if (error == NULL || error_size == 0) return;
  snprintf(error, error_size, "%s", message);
}

// MARK: PNG (the simplified API handles libpng's longjmp internally)

static int png_begin(png_image *image, const uint8_t *data, size_t size, char *error, size_t error_size) {
  memset(image, 0, sizeof(*image));
  image->version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(image, data, size)) {
    copy_message(error, error_size, image->message[0] ? image->message : "not a readable PNG");
    png_image_free(image);
    return -1;
  }
  return 0;
}

int nnc_png_size(const uint8_t *data, size_t size, int *width, int *height, char *error, size_t error_size) {
  png_image image;
  if (png_begin(&image, data, size, error, error_size) != 0) return -1;
  *width = (int)image.width;
  *height = (int)image.height;
  png_image_free(&image);
  return 0;
}

int nnc_png_decode(const uint8_t *data, size_t size, int channels, uint8_t *pixels, size_t pixels_size,
                   char *error, size_t error_size) {
  png_image image;
  if (channels != 1 && channels != 3) {
    copy_message(error, error_size, "only 1 or 3 channels are supported");
    return -1;
  }
  if (png_begin(&image, data, size, error, error_size) != 0) return -1;
  image.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  if (PNG_IMAGE_SIZE(image) > pixels_size) {
    copy_message(error, error_size, "the output buffer is too small");
    png_image_free(&image);
    return -1;
  }
  png_color black = {0, 0, 0};
  if (!png_image_finish_read(&image, &black, pixels, 0, NULL)) {
    copy_message(error, error_size, image.message[0] ? image.message : "corrupt PNG data");
    png_image_free(&image);
    return -1;
  }
  png_image_free(&image);
  return 0;
}

int nnc_png_write(const char *path, const uint8_t *pixels, int width, int height, int channels, char *error,
                  size_t error_size) {
  if (channels != 1 && channels != 3) {
    copy_message(error, error_size, "only 1 or 3 channels are supported");
    return -1;
  }
  png_image image;
  memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  image.width = (png_uint_32)width;
  image.height = (png_uint_32)height;
  image.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  if (!png_image_write_to_file(&image, path, 0, pixels, 0, NULL)) {
    copy_message(error, error_size, image.message[0] ? image.message : "cannot write the PNG file");
    png_image_free(&image);
    return -1;
  }
  png_image_free(&image);
  return 0;
}

// MARK: JPEG (errors longjmp back into the function that set them up, never into Swift)

struct jpeg_failure {
  struct jpeg_error_mgr manager;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

static void jpeg_fail(j_common_ptr info) {
  struct jpeg_failure *failure = (struct jpeg_failure *)info->err;
  (*info->err->format_message)(info, failure->message);
  longjmp(failure->jump, 1);
}

// Corrupt-data warnings (for example a truncated file) become errors, so damaged files are reported.
static void jpeg_warn(j_common_ptr info, int level) {
  if (level < 0) jpeg_fail(info);
}

static int jpeg_open(struct jpeg_decompress_struct *info, struct jpeg_failure *failure, const uint8_t *data,
                     size_t size) {
  info->err = jpeg_std_error(&failure->manager);
  failure->manager.error_exit = jpeg_fail;
  failure->manager.emit_message = jpeg_warn;
  failure->message[0] = 0;
  jpeg_create_decompress(info);
  jpeg_mem_src(info, data, (unsigned long)size);
  jpeg_read_header(info, TRUE);
  return 0;
}

int nnc_jpeg_size(const uint8_t *data, size_t size, int *width, int *height, char *error, size_t error_size) {
  struct jpeg_decompress_struct info;
  struct jpeg_failure failure;
  memset(&info, 0, sizeof(info));
  if (setjmp(failure.jump)) {
    copy_message(error, error_size, failure.message);
    jpeg_destroy_decompress(&info);
    return -1;
  }
  jpeg_open(&info, &failure, data, size);
  // Checked with the size, so that indexing a folder (which reads headers only) refuses these too.
  if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) {
    copy_message(error, error_size, "CMYK JPEG files are not supported");
    jpeg_destroy_decompress(&info);
    return -1;
  }
  *width = (int)info.image_width;
  *height = (int)info.image_height;
  jpeg_destroy_decompress(&info);
  return 0;
}

int nnc_jpeg_decode(const uint8_t *data, size_t size, int channels, uint8_t *pixels, size_t pixels_size,
                    char *error, size_t error_size) {
  struct jpeg_decompress_struct info;
  struct jpeg_failure failure;
  memset(&info, 0, sizeof(info));
  if (channels != 1 && channels != 3) {
    copy_message(error, error_size, "only 1 or 3 channels are supported");
    return -1;
  }
  if (setjmp(failure.jump)) {
    copy_message(error, error_size, failure.message);
    jpeg_destroy_decompress(&info);
    return -1;
  }
  jpeg_open(&info, &failure, data, size);
  if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) {
    copy_message(error, error_size, "CMYK JPEG files are not supported");
    jpeg_destroy_decompress(&info);
    return -1;
  }
  info.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  // The output size follows from the header alone; checking it before jpeg_start_decompress keeps
  // libjpeg from allocating its (for progressive files whole-image) buffers for a size the caller
  // did not make room for.
  jpeg_calc_output_dimensions(&info);
  size_t row_size = (size_t)info.output_width * (size_t)info.output_components;
  if ((int)info.output_components != channels || row_size * info.output_height > pixels_size) {
    copy_message(error, error_size, "unexpected decoded size");
    jpeg_destroy_decompress(&info);
    return -1;
  }
  jpeg_start_decompress(&info);
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = pixels + row_size * info.output_scanline;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return 0;
}

int nnc_jpeg_decode_scaled(const uint8_t *data, size_t size, int channels, int scale_denom, uint8_t *pixels,
                           size_t pixels_size, int *width, int *height, char *error, size_t error_size) {
  struct jpeg_decompress_struct info;
  struct jpeg_failure failure;
  memset(&info, 0, sizeof(info));
  if (channels != 1 && channels != 3) {
    copy_message(error, error_size, "only 1 or 3 channels are supported");
    return -1;
  }
  if (setjmp(failure.jump)) {
    copy_message(error, error_size, failure.message);
    jpeg_destroy_decompress(&info);
    return -1;
  }
  jpeg_open(&info, &failure, data, size);
  if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) {
    copy_message(error, error_size, "CMYK JPEG files are not supported");
    jpeg_destroy_decompress(&info);
    return -1;
  }
  info.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  // libjpeg-turbo scales in the inverse DCT: 1/2, 1/4 and 1/8 skip most of the decoding work.
  info.scale_num = 1;
  info.scale_denom = (unsigned int)scale_denom;
  jpeg_calc_output_dimensions(&info);
  size_t row_size = (size_t)info.output_width * (size_t)info.output_components;
  if ((int)info.output_components != channels || row_size * info.output_height > pixels_size) {
    copy_message(error, error_size, "unexpected decoded size");
    jpeg_destroy_decompress(&info);
    return -1;
  }
  jpeg_start_decompress(&info);
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = pixels + row_size * info.output_scanline;
    jpeg_read_scanlines(&info, &row, 1);
  }
  *width = (int)info.output_width;
  *height = (int)info.output_height;
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return 0;
}

int nnc_jpeg_encode(const uint8_t *pixels, int width, int height, int channels, int quality,
                    uint8_t **output, size_t *output_size, char *error, size_t error_size) {
  struct jpeg_compress_struct info;
  struct jpeg_failure failure;
  unsigned char *buffer = NULL;
  unsigned long buffer_size = 0;
  memset(&info, 0, sizeof(info));
  if (channels != 1 && channels != 3) {
    copy_message(error, error_size, "only 1 or 3 channels are supported");
    return -1;
  }
  info.err = jpeg_std_error(&failure.manager);
  failure.manager.error_exit = jpeg_fail;
  failure.message[0] = 0;
  if (setjmp(failure.jump)) {
    copy_message(error, error_size, failure.message);
    jpeg_destroy_compress(&info);
    free(buffer);
    return -1;
  }
  jpeg_create_compress(&info);
  jpeg_mem_dest(&info, &buffer, &buffer_size);
  info.image_width = (JDIMENSION)width;
  info.image_height = (JDIMENSION)height;
  info.input_components = channels;
  info.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, quality, TRUE);
  jpeg_start_compress(&info, TRUE);
  size_t row_size = (size_t)width * (size_t)channels;
  while (info.next_scanline < info.image_height) {
    JSAMPROW row = (JSAMPROW)(pixels + row_size * info.next_scanline);
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  *output = buffer;
  *output_size = buffer_size;
  return 0;
}

void nnc_free(void *pointer) { free(pointer); }
