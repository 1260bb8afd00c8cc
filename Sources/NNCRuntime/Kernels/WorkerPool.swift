import Foundation
import Synchronization

/// Persistent threads that run the parts of a parallel loop with the calling thread. Dispatch's
/// `concurrentPerform` wakes its workers through the kernel on every call; a training step runs a
/// few hundred parallel loops of tens to hundreds of microseconds, and there the wake-up came late
/// enough that the caller mostly ran every part itself. These workers instead spin for a short while
/// after each loop (the next one usually follows within microseconds) and only then sleep.
///
/// Parts are claimed from one atomic ticket holding the loop's generation, part count and next part,
/// so a worker arriving late can never take a part of a later loop. Results do not depend on which
/// thread runs which part: callers write disjoint memory per part.
final class WorkerPool: @unchecked Sendable {
  /// Workers for `Parallel.coreCount` threads in all (the caller is one of them).
  static let shared = WorkerPool(workers: Parallel.coreCount - 1)

  let workerCount: Int
  /// generation << 40 | part count << 20 | next part.
  private let ticket = Atomic<Int>(0)
  private let finishedParts = Atomic<Int>(0)
  private let sleepers = Atomic<Int>(0)
  /// Set while a loop runs: one caller at a time.
  private let busy = Atomic<Bool>(false)
  /// Workers that take part in the current loop (those numbered below it).
  private let helpers = Atomic<Int>(0)
  private var body: ((Int) -> Void)?
  private let mutex = NSCondition()
  /// Spins (atomic loads) a worker waits for the next loop before it sleeps: about 0.1 ms on a
  /// 2-vCPU Xeon guest. With a tenth of that the worker fell asleep in ResNet-50's gaps between
  /// nodes, and waking it took ~50 µs: more than half of a batch's ~100 loops started that late
  /// (2.3 ms of the worker's ~215 ms a batch of 8); with this limit, 1 in 7 (0.8 ms).
  private let spinLimit = 200_000

  private static let fieldBits = 20
  private static let fieldMask = (1 << fieldBits) - 1
  static let maximumParts = fieldMask

  init(workers: Int) {
    workerCount = max(0, workers)
    for worker in 0..<workerCount {
      let thread = Thread { [self] in workerLoop(worker) }
      thread.stackSize = 1 << 20
      thread.start()
    }
  }

  /// Calls `body(part)` for every part in `0..<parts` on the caller and the first `threads − 1`
  /// workers; returns when all are done. Returns false, running nothing, when the pool is serving
  /// another loop (another thread's, or an enclosing one): the caller runs the parts some other way.
  func run(parts: Int, threads: Int, _ body: (Int) -> Void) -> Bool {
    precondition(parts <= Self.maximumParts, "too many parts: \(parts)")
    guard parts > 1 && workerCount > 0 && threads > 1 else {
      for part in 0..<parts { body(part) }
      return true
    }
    guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
      return false
    }
    defer { busy.store(false, ordering: .releasing) }
    withoutActuallyEscaping(body) { escapable in
      self.body = escapable
      helpers.store(threads - 1, ordering: .relaxed)
      finishedParts.store(0, ordering: .relaxed)
      let generation = ((ticket.load(ordering: .relaxed) >> (2 * Self.fieldBits)) + 1) & Self.fieldMask
      let published = generation << (2 * Self.fieldBits) | parts << Self.fieldBits
      ticket.store(published, ordering: .sequentiallyConsistent)
      if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
        mutex.lock()
        mutex.broadcast()
        mutex.unlock()
      }
      runParts(of: generation)
      while finishedParts.load(ordering: .acquiring) < parts {}
      self.body = nil
    }
    return true
  }

  /// Claims and runs parts of loop `generation` until none is left.
  private func runParts(of generation: Int) {
    var current = ticket.load(ordering: .acquiring)
    while true {
      let next = current & Self.fieldMask
      let count = (current >> Self.fieldBits) & Self.fieldMask
      guard current >> (2 * Self.fieldBits) == generation, next < count else { return }
      let (exchanged, original) = ticket.compareExchange(
        expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
      if exchanged {
        body?(next)
        finishedParts.add(1, ordering: .releasing)
        current = ticket.load(ordering: .acquiring)
      } else {
        current = original
      }
    }
  }

  private func workerLoop(_ worker: Int) {
    var seen = 0
    while true {
      var generation = ticket.load(ordering: .acquiring) >> (2 * Self.fieldBits)
      var spins = 0
      while generation == seen && spins < spinLimit {
        spins += 1
        generation = ticket.load(ordering: .acquiring) >> (2 * Self.fieldBits)
      }
      if generation == seen {
        mutex.lock()
        sleepers.add(1, ordering: .sequentiallyConsistent)
        while true {
          generation = ticket.load(ordering: .sequentiallyConsistent) >> (2 * Self.fieldBits)
          if generation != seen { break }
          mutex.wait()
        }
        sleepers.subtract(1, ordering: .sequentiallyConsistent)
        mutex.unlock()
      }
      seen = generation
      // `helpers` was stored before the ticket that announced this generation.
      if worker < helpers.load(ordering: .relaxed) { runParts(of: generation) }
    }
  }
}
