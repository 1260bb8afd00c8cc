import NNCGraph

/// One zero-initialized allocation carved into tensors at planned offsets; freed with its owner.
/// Nothing is allocated once the arena exists, so a training step never touches the heap. The base
/// is cache-line aligned (large allocations otherwise start 16 bytes into a page), so offsets of
/// `MemoryPlanner.alignment` elements put 64-byte vectors on whole lines: split loads cost the
/// packed product 5–8 % on a Xeon.
final class Arena<Element> {
  let base: UnsafeMutablePointer<Element>
  let count: Int

  init(count: Int, zero: Element) {
    self.count = Self.allocatedCount(count)
    base = UnsafeMutableRawPointer.allocate(
      byteCount: self.count * MemoryLayout<Element>.stride,
      alignment: max(Self.lineBytes, MemoryLayout<Element>.alignment)
    ).bindMemory(to: Element.self, capacity: self.count)
    base.initialize(repeating: zero, count: self.count)
  }

  deinit { UnsafeMutableRawPointer(base).deallocate() }

  /// The planner's offset unit in bytes: one cache line.
  private static var lineBytes: Int { MemoryPlanner.alignment * MemoryLayout<Float>.stride }

  /// Elements allocated for `count`: an empty buffer still gets one, so its base is a valid pointer.
  static func allocatedCount(_ count: Int) -> Int { max(count, 1) }

  var allocatedBytes: Int { count * MemoryLayout<Element>.stride }

  subscript(offset: Int) -> UnsafeMutablePointer<Element> { base + offset }
}
