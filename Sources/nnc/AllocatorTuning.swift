#if canImport(CMalloc)
  import CMalloc
#endif

/// glibc returns freed memory at the top of a heap to the kernel once it exceeds a trim threshold
/// that it adapts to the largest recent allocation. The loader's workers allocate and free
/// sample-sized buffers (a decoded 256×256 image, its resized copy) for every image, so each one was
/// returned and faulted in again: measured on a folder of 256×256 JPEGs, page faults and zeroing of
/// fresh pages were a third of the loader's time. Fixed thresholds keep those buffers in the heap;
/// the peak resident memory does not change (the same buffers are live at the peak either way),
/// only memory freed after the peak is kept for reuse instead of returned.
enum AllocatorTuning {
  static func apply() {
    #if canImport(CMalloc)
      // Allocations below 32 MiB (glibc's largest) come from the heap, not from mmap.
      _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
      _ = mallopt(M_TRIM_THRESHOLD, 256 << 20)
    #endif
  }
}
