// A software prefetch for the Swift kernels, which have no intrinsic for it: the line holding
// `address` fetched for reading into every cache level. A prefetch never faults, so `address` may
// lie past the end of a buffer.
#ifndef NNC_PREFETCH_H
#define NNC_PREFETCH_H

#include <stdint.h>

static inline __attribute__((always_inline)) void nnc_prefetch(uintptr_t address) {
  __builtin_prefetch((const void *)address, 0, 3);
}

#endif
