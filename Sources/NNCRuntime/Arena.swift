/// One zero-initialized allocation carved into tensors at planned offsets; freed with its owner.
/// Nothing is allocated once the arena exists, so a training step never touches the heap.
final class Arena<Element> {
  let base: UnsafeMutablePointer<Element>
  let count: Int

  init(count: Int, zero: Element) {
    self.count = Self.allocatedCount(count)
    base = UnsafeMutablePointer<Element>.allocate(capacity: self.count)
    base.initialize(repeating: zero, count: self.count)
  }

  deinit { base.deallocate() }

  /// Elements allocated for `count`: an empty buffer still gets one, so its base is a valid pointer.
  static func allocatedCount(_ count: Int) -> Int { max(count, 1) }

  var allocatedBytes: Int { count * MemoryLayout<Element>.stride }

  subscript(offset: Int) -> UnsafeMutablePointer<Element> { base + offset }
}
