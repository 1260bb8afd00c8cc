// What the channels-first product harnesses (`plane_product.c`, `packed_product_tasks.c`) share:
// tensors placed as the runtime's arenas place them, and the process's CPU time. Included by path
// relative to the harness, so their compile lines need no extra -I.
#ifndef NNC_BENCHMARK_HARNESS_H
#define NNC_BENCHMARK_HARNESS_H

#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

// A zeroed tensor on 2 MiB boundaries with transparent huge pages asked for, as the runtime's
// arenas (`Arena`): on 4 KiB pages each row of a tile's plane is another page, and the plane and
// packed products ran 5-15 % slower.
static void *tensor(size_t bytes) {
  const size_t huge = 2u << 20;
  bytes = (bytes + huge - 1) / huge * huge;
  void *p = aligned_alloc(huge, bytes);
#ifdef __linux__
  madvise(p, bytes, MADV_HUGEPAGE);
#endif
  memset(p, 0, bytes);
  return p;
}

// The process's CPU time in seconds: a harness runs one thread, and time the host gives to others
// does not count.
static double cpu_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

#endif
