import Dispatch
import Foundation

/// Batch- or channel-parallel loops for the non-BLAS kernels. Every task writes a disjoint part of the
/// output and reduces in a fixed order, so results do not depend on scheduling.
enum Parallel {
  /// Below this many scalar operations a loop runs on the calling thread: dispatch costs more.
  static let minimumParallelWork = 1 << 15

  static let coreCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

  /// Calls `body(i)` for every `i` in `0..<count`, concurrently when `count * workPerItem` is large.
  static func forEach(_ count: Int, workPerItem: Int, _ body: (Int) -> Void) {
    if count > 1 && coreCount > 1 && count * max(workPerItem, 1) >= minimumParallelWork {
      concurrentPerform(iterations: count, body)
    } else {
      for index in 0..<count { body(index) }
    }
  }

  /// Calls `body` on contiguous chunks covering `0..<count`, one chunk per core when `count` is large.
  static func forEachChunk(_ count: Int, _ body: (Range<Int>) -> Void) {
    guard count >= minimumParallelWork && coreCount > 1 else {
      if count > 0 { body(0..<count) }
      return
    }
    let chunks = min(coreCount * 4, count / (minimumParallelWork / 4))
    let chunkSize = (count + chunks - 1) / chunks
    concurrentPerform(iterations: chunks) { chunk in
      let start = chunk * chunkSize
      let end = min(count, start + chunkSize)
      if start < end { body(start..<end) }
    }
  }

  /// `DispatchQueue.concurrentPerform` asks for a `@Sendable` body, but kernel bodies capture raw
  /// pointers. Each kernel guarantees that concurrent iterations write disjoint memory, which is the
  /// property `Sendable` stands for here, so the check is waived in this one place.
  private static func concurrentPerform(iterations: Int, _ body: (Int) -> Void) {
    withoutActuallyEscaping(body) { escapable in
      let sendable = unsafeBitCast(escapable, to: (@Sendable (Int) -> Void).self)
      DispatchQueue.concurrentPerform(iterations: iterations, execute: sendable)
    }
  }
}
