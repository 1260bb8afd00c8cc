import NNCGraph

#if os(Linux)
  import Glibc
#endif

/// One zero-initialized allocation carved into tensors at planned offsets; freed with its owner.
/// Nothing is allocated once the arena exists, so a training step never touches the heap. The base
/// is cache-line aligned (large allocations otherwise start 16 bytes into a page), so offsets of
/// `MemoryPlanner.alignment` elements put 64-byte vectors on whole lines: split loads cost the
/// packed product 5–8 % on a Xeon.
final class Arena<Element> {
  let base: UnsafeMutablePointer<Element>
  let count: Int

  /// `hugePages`: for tensors the kernels read across many rows of planes at once (activations and
  /// the scratch), when at least `hugePageBytes`.
  init(count: Int, zero: Element, hugePages: Bool = false) {
    self.count = Self.allocatedCount(count)
    let bytes = self.count * MemoryLayout<Element>.stride
    let huge = hugePages && bytes >= Self.hugePageBytes
    let allocated = huge ? (bytes + Self.hugePageBytes - 1) / Self.hugePageBytes * Self.hugePageBytes : bytes
    let raw = UnsafeMutableRawPointer.allocate(
      byteCount: allocated,
      alignment: huge ? Self.hugePageBytes : max(Self.lineBytes, MemoryLayout<Element>.alignment))
    #if os(Linux)
      // Before the first touch, so that the kernel backs it with huge pages where it may.
      if huge { _ = madvise(raw, allocated, MADV_HUGEPAGE) }
    #endif
    base = raw.bindMemory(to: Element.self, capacity: self.count)
    base.initialize(repeating: zero, count: self.count)
  }

  /// Arenas this large or larger that ask for it start on a 2 MiB boundary and ask Linux for
  /// transparent huge pages (`MADV_HUGEPAGE`, which matters where the system's setting is
  /// "madvise", Debian's default): the kernels read planes of NCHW tensors hundreds of rows at a
  /// time, each row on another 4 KiB page, and so miss the TLB on most rows (ResNet-50's inference
  /// 2-3 % faster). The kernel may compact memory to find the pages when the arena is first touched:
  /// up to a quarter of a second of system time more for ResNet-50's on a KVM guest, once per executor.
  static var hugePageBytes: Int { 2 << 20 }

  deinit { UnsafeMutableRawPointer(base).deallocate() }

  /// The planner's offset unit in bytes: one cache line.
  private static var lineBytes: Int { MemoryPlanner.alignment * MemoryLayout<Float>.stride }

  /// Elements allocated for `count`: an empty buffer still gets one, so its base is a valid pointer.
  static func allocatedCount(_ count: Int) -> Int { max(count, 1) }

  var allocatedBytes: Int { count * MemoryLayout<Element>.stride }

  subscript(offset: Int) -> UnsafeMutablePointer<Element> { base + offset }
}
