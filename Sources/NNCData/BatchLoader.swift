import Foundation
import NNCRandom

/// Iterates the batches of a data set epoch by epoch: shuffled per epoch with a generator derived
/// from (seed, epoch), the last partial batch kept unless `dropLast`, and with `prefetch` the next
/// batch assembled on a background thread while the caller works on the current one.
///
///     let loader = try BatchLoader(dataset: train, batchSize: 64, seed: 1)
///     var batch = Batch()
///     for epoch in 0..<epochs {
///       loader.startEpoch(epoch)
///       while loader.next(into: &batch) { /* train on batch.samples, batch.labels */ }
///     }
///
/// Use a loader from one thread. `cancel()` (or dropping the loader) stops the background thread.
public final class BatchLoader {
  public let dataset: Dataset
  public let batchSize: Int
  private let schedule: BatchSchedule
  private let prefetcher: Prefetcher?
  // Inline (no prefetch) state.
  private var order: [Int] = []
  private var epoch = 0
  private var nextBatchIndex = 0
  private var started = false

  /// - Parameters:
  ///   - shuffle: a new order every epoch (otherwise the data set order).
  ///   - dropLast: skip the last batch when it would be smaller than `batchSize`.
  ///   - seed: the root of the shuffle order and of the transform's generators.
  ///   - prefetch: assemble the next batch on a background thread.
  ///   - transform: runs on every sample as its batch is assembled (on the loader thread).
  public init(
    dataset: Dataset, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false, seed: UInt64,
    prefetch: Bool = true, transform: SampleTransform? = nil
  ) throws {
    guard batchSize > 0 else {
      throw DataError(dataset.source, "batch size must be positive, not \(batchSize)")
    }
    self.dataset = dataset
    self.batchSize = batchSize
    schedule = BatchSchedule(
      dataset: dataset, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast,
      root: RandomGenerator(seed: seed), transform: transform)
    prefetcher = prefetch ? Prefetcher(schedule: schedule) : nil
    prefetcher?.start()
  }

  deinit { prefetcher?.cancel() }

  /// The number of batches `next(into:)` yields per epoch.
  public var batchesPerEpoch: Int { schedule.batchesPerEpoch }

  /// Begins `epoch` (abandoning what is left of the current one). Its order depends only on the seed
  /// and `epoch`.
  public func startEpoch(_ epoch: Int) {
    if let prefetcher {
      prefetcher.startEpoch(epoch)
      return
    }
    schedule.makeOrder(epoch: epoch, into: &order)
    self.epoch = epoch
    nextBatchIndex = 0
    started = true
  }

  /// Puts the next batch of the current epoch into `batch`, reusing its storage, and returns true;
  /// returns false at the end of the epoch, before `startEpoch`, or after `cancel()`.
  public func next(into batch: inout Batch) -> Bool {
    if let prefetcher { return prefetcher.next(into: &batch) }
    guard started, nextBatchIndex < schedule.batchesPerEpoch else { return false }
    schedule.fill(&batch, batchIndex: nextBatchIndex, epoch: epoch, order: order)
    nextBatchIndex += 1
    return true
  }

  /// Stops the background thread (waiting for the batch it is assembling) so it neither hangs nor
  /// outlives the loader; `next(into:)` returns false afterwards.
  public func cancel() {
    prefetcher?.cancel()
    started = false
  }

  /// Whether a background thread is still running (for tests of `cancel()`).
  var isPrefetchThreadRunning: Bool { prefetcher?.isRunning ?? false }
}

/// The state shared between the caller's thread and the loader thread: one prefetch slot (double
/// buffering: the caller owns the batch it is working on, the loader fills the slot, and `next`
/// swaps the two, so no data is copied and nothing is allocated after the first batches).
///
/// `@unchecked Sendable` because the compiler cannot see the protocol that makes it safe: every
/// mutable property is read and written only while holding `condition`, except `slot`, which the
/// loader thread moves out under the lock, fills without it, and moves back under it (while it is
/// out, `filling` is true and nobody else touches it), and `order`, which only `startEpoch` changes
/// and only after waiting until the loader is not filling.
private final class Prefetcher: @unchecked Sendable {
  private let schedule: BatchSchedule
  private let condition = NSCondition()
  private var order: [Int] = []
  private var epoch = 0
  private var active = false
  private var producedCount = 0
  private var consumedCount = 0
  private var slot = Batch()
  private var slotReady = false
  private var filling = false
  private var cancelled = false
  private var running = false

  init(schedule: BatchSchedule) { self.schedule = schedule }

  func start() {
    condition.lock()
    running = true
    condition.unlock()
    // The thread holds the prefetcher (not the loader), so dropping the loader runs its deinit,
    // which cancels and lets the thread end.
    let thread = Thread { [self] in self.run() }
    thread.name = "nnc.BatchLoader"
    thread.start()
  }

  var isRunning: Bool {
    condition.lock()
    defer { condition.unlock() }
    return running
  }

  private func run() {
    condition.lock()
    while true {
      while !cancelled && !(active && !slotReady && !filling && producedCount < schedule.batchesPerEpoch) {
        condition.wait()
      }
      if cancelled { break }
      let batchIndex = producedCount
      let epoch = self.epoch
      let order = self.order
      producedCount += 1
      filling = true
      var buffer = Batch()
      swap(&buffer, &slot)
      condition.unlock()
      schedule.fill(&buffer, batchIndex: batchIndex, epoch: epoch, order: order)
      condition.lock()
      swap(&buffer, &slot)
      filling = false
      slotReady = true
      condition.broadcast()
    }
    running = false
    condition.broadcast()
    condition.unlock()
  }

  func startEpoch(_ epoch: Int) {
    condition.lock()
    defer { condition.unlock() }
    while filling { condition.wait() }
    schedule.makeOrder(epoch: epoch, into: &order)
    self.epoch = epoch
    active = !cancelled
    producedCount = 0
    consumedCount = 0
    slotReady = false
    condition.broadcast()
  }

  func next(into batch: inout Batch) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    guard active, consumedCount < schedule.batchesPerEpoch else { return false }
    while !slotReady && !cancelled { condition.wait() }
    guard !cancelled else { return false }
    swap(&batch, &slot)
    slotReady = false
    consumedCount += 1
    condition.broadcast()
    return true
  }

  func cancel() {
    condition.lock()
    defer { condition.unlock() }
    cancelled = true
    active = false
    condition.broadcast()
    // Waiting is bounded: the loader thread checks `cancelled` after each batch it fills.
    while running { condition.wait() }
  }
}
