import Foundation

/// A fixed set of threads that run the iterations of one loop at a time (`data.workers`): the
/// calling thread works too, so `threads` extra threads make `threads + 1` workers. Iterations are
/// handed out one by one, so a slow file does not hold up the others; what each computes must not
/// depend on which thread runs it.
///
/// `@unchecked Sendable`: every mutable property is read and written only while holding `condition`.
final class WorkerPool: @unchecked Sendable {
  private let condition = NSCondition()
  private var body: (@Sendable (Int) -> Void)?
  private var iterations = 0
  private var nextIteration = 0
  private var unfinished = 0
  private var generation = 0
  private var stopped = false
  private var running = 0

  /// Starts `threads` threads (at least one).
  init(threads: Int) {
    precondition(threads >= 1, "a worker pool needs at least one thread")
    running = threads
    for number in 0..<threads {
      let thread = Thread { [self] in self.work() }
      thread.name = "nnc.loader.worker\(number + 1)"
      thread.start()
    }
  }

  /// Runs `body(0..<count)` on the pool and the calling thread and returns when every iteration has.
  /// One loop at a time: the loader thread is the only caller.
  func run(count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    condition.lock()
    self.body = body
    iterations = count
    nextIteration = 0
    unfinished = count
    generation += 1
    condition.broadcast()
    condition.unlock()
    drain()
    condition.lock()
    while unfinished > 0 { condition.wait() }
    self.body = nil
    condition.unlock()
  }

  /// Takes iterations until none is left.
  private func drain() {
    condition.lock()
    while nextIteration < iterations, let body {
      let iteration = nextIteration
      nextIteration += 1
      condition.unlock()
      body(iteration)
      condition.lock()
      unfinished -= 1
      if unfinished == 0 { condition.broadcast() }
    }
    condition.unlock()
  }

  private func work() {
    var seen = 0
    condition.lock()
    while true {
      while !stopped && generation == seen { condition.wait() }
      if stopped { break }
      seen = generation
      condition.unlock()
      drain()
      condition.lock()
    }
    running -= 1
    condition.broadcast()
    condition.unlock()
  }

  /// Ends the threads (after the loop they are in, if any) and waits for them.
  func shutdown() {
    condition.lock()
    stopped = true
    condition.broadcast()
    while running > 0 { condition.wait() }
    condition.unlock()
  }
}
