import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The temporary files of atomic writes in progress, kept where a signal handler can remove them:
/// a command that exits at once on SIGINT or SIGTERM leaves neither a partial output file (outputs
/// are renamed into place only when complete) nor the temporary it was writing. The handler may only
/// call async-signal-safe functions, so the paths live in memory allocated up front, and slots are
/// claimed and published with atomics instead of a lock.
public enum PendingTemporaries {
  static let slotCount = 32
  static let slotBytes = 4096
  nonisolated(unsafe) static let paths = UnsafeMutablePointer<CChar>.allocate(capacity: slotCount * slotBytes)
  /// Slots in use, and the subset whose path is complete (the handler reads only those).
  static let claimed = Atomic<UInt64>(0)
  static let published = Atomic<UInt64>(0)

  /// Touches the storage, so that its one-time initialization never runs inside a signal handler.
  public static func prepare() {
    _ = paths
    _ = claimed.load(ordering: .relaxed)
    _ = published.load(ordering: .relaxed)
  }

  /// Records `path`; returns its slot, or nil when all are taken or the path is too long (the
  /// write still happens, its temporary is only not removed by a signal).
  public static func register(_ path: String) -> Int? {
    let bytes = Array(path.utf8CString)
    guard bytes.count <= slotBytes else { return nil }
    var current = claimed.load(ordering: .relaxed)
    while true {
      guard let slot = (0..<slotCount).first(where: { current & (1 << UInt64($0)) == 0 }) else { return nil }
      let (exchanged, original) = claimed.compareExchange(
        expected: current, desired: current | (1 << UInt64(slot)), ordering: .acquiringAndReleasing)
      if exchanged {
        bytes.withUnsafeBufferPointer {
          (paths + slot * slotBytes).update(from: $0.baseAddress!, count: $0.count)
        }
        published.bitwiseOr(1 << UInt64(slot), ordering: .releasing)
        return slot
      }
      current = original
    }
  }

  public static func unregister(_ slot: Int?) {
    guard let slot else { return }
    published.bitwiseAnd(~(1 << UInt64(slot)), ordering: .acquiringAndReleasing)
    claimed.bitwiseAnd(~(1 << UInt64(slot)), ordering: .releasing)
  }

  /// Removes every registered temporary. Async-signal-safe: for signal handlers about to `_exit`.
  public static func removeAll() {
    removeAll(under: nil)
  }

  /// Removes the registered temporaries whose path starts with `prefix` (all when nil), so that a
  /// test can exercise the handler's path without deleting the temporaries of writes that other
  /// tests run at the same time.
  static func removeAll(under prefix: String?) {
    let ready = published.load(ordering: .acquiring)
    let prefixBytes = prefix.map { Array($0.utf8) } ?? []
    for slot in 0..<slotCount where ready & (1 << UInt64(slot)) != 0 {
      let path = paths + slot * slotBytes
      if !prefixBytes.isEmpty && strncmp(path, prefix!, prefixBytes.count) != 0 { continue }
      unlink(path)
    }
  }
}
