import CBLAS
import Dispatch
import Foundation

/// Batch- or channel-parallel loops for the kernels, and the thread count every kernel (matrix
/// products included) runs on. Every task writes a disjoint part of the output and reduces in a
/// fixed order, so results do not depend on scheduling.
///
/// OpenBLAS is kept single-threaded: products are split across threads here (`sgemm`), because
/// OpenBLAS's own worker threads busy-wait (`sched_yield`) after each product and, on a machine with
/// as many cores as threads, steal those cores from the threads running the other kernels. Loops run
/// on `WorkerPool.shared`.
public enum Parallel {
  /// Below this many scalar operations a loop runs on the calling thread: dispatch costs more.
  static let minimumParallelWork = 1 << 15

  static let coreCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

  /// Runs per thread of a parallel loop: more than one, so a thread slowed by another process does
  /// not hold the others up for a whole half of the work.
  static let partsPerThread = 4

  /// Threads the kernels use; set through `Executor.setThreads`. Read by every kernel call, written
  /// only between runs, so the unsynchronized access is benign.
  nonisolated(unsafe) private(set) static var threadCount = coreCount

  /// Turns OpenBLAS's own threading off, once per process, before the first product.
  static let singleThreadedBLAS: Void = openblas_set_num_threads(1)

  static func setThreadCount(_ count: Int) {
    singleThreadedBLAS
    threadCount = max(1, count)
  }

  /// Calls `body(i)` for every `i` in `0..<count`, concurrently when `count * workPerItem` is large.
  static func forEach(_ count: Int, workPerItem: Int, _ body: (Int) -> Void) {
    let threads = threadCount
    guard count > 1 && threads > 1 && count * max(workPerItem, 1) >= minimumParallelWork else {
      for index in 0..<count { body(index) }
      return
    }
    // Contiguous runs of items, a few per thread, claimed by whichever thread is free: handing out
    // items one by one would make the cores fight over the shared counter (thousands of tiny items
    // per call in the late stages of a ResNet) and write neighbouring cache lines.
    forEachPart(count, parts: threads * partsPerThread) { range in for index in range { body(index) } }
  }

  /// Parts `forEach(_:workPerItem:withPart:)` splits a loop into at most, whatever the thread count:
  /// kernels size per-part scratch by it.
  static let maximumParts = 16

  /// `forEach` whose body also gets the number (below `partLimit`, at most `maximumParts`) of the part
  /// running the item. A part runs its items one after another, so per-part scratch needs no locking.
  static func forEach(
    _ count: Int, workPerItem: Int, partLimit: Int = maximumParts, threads: Int = threadCount,
    withPart body: (_ part: Int, _ index: Int) -> Void
  ) {
    guard count > 1 && threads > 1 && count * max(workPerItem, 1) >= minimumParallelWork else {
      for index in 0..<count { body(0, index) }
      return
    }
    let parts = min(partLimit, maximumParts, threads * partsPerThread, count)
    runParts(parts, threads: threads) { part in
      for index in partRange(part, of: parts, units: count) { body(part, index) }
    }
  }

  /// Part `part` of `units` units cut into `parts` contiguous runs: the first `units % parts` runs
  /// one unit longer than the rest. Parts are claimed in order, so with two threads the longer runs
  /// go one to each; where the longer runs alternated with the shorter (36 Winograd positions in 8
  /// parts as 4, 5, 4, 5, …) one thread got every longer one, and the other waited for it at the end
  /// of the loop: a fifth of the loop on ResNet-50's 14x14 Winograd products.
  @inline(__always)
  static func partRange(_ part: Int, of parts: Int, units: Int) -> Range<Int> {
    let (base, longer) = units.quotientAndRemainder(dividingBy: parts)
    let start = part * base + min(part, longer)
    return start..<(start + base + (part < longer ? 1 : 0))
  }

  /// Calls `body` on contiguous chunks covering `0..<count`, several per thread when `count` is large.
  public static func forEachChunk(_ count: Int, _ body: (Range<Int>) -> Void) {
    let threads = threadCount
    guard count >= minimumParallelWork && threads > 1 else {
      if count > 0 { body(0..<count) }
      return
    }
    forEachPart(count, parts: min(threads * partsPerThread, count / (minimumParallelWork / 4)), body)
  }

  /// `forEachChunk` over items of `unit` scalar operations each: `body` gets ranges of items, and
  /// `workItems` (the operations) decides whether and how finely to split.
  static func forEachChunk(_ workItems: Int, unit: Int, _ body: (Range<Int>) -> Void) {
    let items = workItems / max(unit, 1)
    let threads = threadCount
    guard workItems >= minimumParallelWork && threads > 1 && items > 1 else {
      if items > 0 { body(0..<items) }
      return
    }
    forEachPart(
      items, parts: min(threads * partsPerThread, workItems / (minimumParallelWork / 4)), body)
  }

  /// Splits `0..<count` into `parts` contiguous ranges of nearly equal length, each a multiple of
  /// `alignment` except the last, and runs them concurrently on `threads` threads. The ranges depend
  /// on `count`, `parts` and `alignment` only.
  static func forEachPart(
    _ count: Int, parts: Int, alignment: Int = 1, threads: Int = threadCount,
    _ body: (Range<Int>) -> Void
  ) {
    let units = (count + alignment - 1) / alignment
    let parts = max(1, min(parts, units))
    if parts == 1 {
      if count > 0 { body(0..<count) }
      return
    }
    runParts(parts, threads: threads) { part in
      let range = partRange(part, of: parts, units: units)
      let start = min(count, range.lowerBound * alignment)
      let end = min(count, range.upperBound * alignment)
      if start < end { body(start..<end) }
    }
  }

  /// Runs `body(part)` for `0..<parts` concurrently: on `WorkerPool.shared` when it has a worker per
  /// extra thread (one per core) and is free, else through Dispatch (more threads than cores, two
  /// callers at once, a loop inside a loop).
  private static func runParts(_ parts: Int, threads: Int = threadCount, _ body: (Int) -> Void) {
    if threads <= 1 {
      for part in 0..<parts { body(part) }
      return
    }
    if threads <= WorkerPool.shared.workerCount + 1
      && WorkerPool.shared.run(parts: parts, threads: threads, body)
    {
      return
    }
    concurrentPerform(iterations: parts, body)
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
