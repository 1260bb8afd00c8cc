// The vector types of the direct pointwise kernels (`pointwise_nhwc.c`, `packed_product.c`): 8 and
// 16 floats, unaligned-safe (aligned(4)), and 16-lane masks. Not a public header.
#ifndef NNC_POINTWISE_LANES_H
#define NNC_POINTWISE_LANES_H

typedef float pwn_v8 __attribute__((vector_size(32), aligned(4)));
typedef float pwn_v16 __attribute__((vector_size(64), aligned(4)));
typedef int pwn_m16 __attribute__((vector_size(64), aligned(4)));

// The portable variant passes 8-float vectors between always-inlined helpers only.
#pragma clang diagnostic ignored "-Wpsabi"

#define PWN_INLINE static inline __attribute__((always_inline))

#endif
