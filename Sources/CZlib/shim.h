#include <zlib.h>

// inflateInit2 is a macro, which Swift cannot call: 16 + MAX_WBITS accepts the gzip format only.
static inline int nnc_inflate_init_gzip(z_stream *stream) {
  return inflateInit2(stream, 16 + MAX_WBITS);
}
