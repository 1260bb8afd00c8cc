import Foundation
import NNCRandom

/// Iterates the batches of a data set epoch by epoch: shuffled per epoch with a generator derived
/// from (seed, epoch), the last partial batch kept unless `dropLast`, and with `prefetch` the next
/// `prefetchDepth` batches assembled on a background thread (its samples read, decoded and
/// augmented by `workers` threads) while the caller works on the current one. Shuffling permutes
/// the sample order, never the data; the batches are the same bits whatever `workers` and
/// `prefetchDepth` are.
///
///     let loader = try BatchLoader(dataset: train, batchSize: 64, seed: 1)
///     var batch = Batch()
///     for epoch in 0..<epochs {
///       loader.startEpoch(epoch)
///       while try loader.next(into: &batch) { /* train on batch.samples, batch.labels */ }
///     }
///
/// Use a loader from one thread. `cancel()` (or dropping the loader) stops the background threads.
public final class BatchLoader {
  public let dataset: Dataset
  public let batchSize: Int
  /// The shape of the samples in a batch (the data set's, or a cropping transform's).
  public let sampleShape: [Int]
  private let schedule: BatchSchedule
  private let prefetcher: Prefetcher?
  private let workers: WorkerPool?
  /// The files skipped as unreadable (`skipUnreadable`), for the caller to report.
  public let skipLog = SkipLog()
  // Inline (no prefetch) state.
  private var order: [Int] = []
  private var epoch = 0
  private var nextBatchIndex = 0
  private var started = false
  /// Seconds `next(into:)` has spent waiting for (or, inline, assembling) batches.
  public private(set) var waitSeconds = 0.0

  /// - Parameters:
  ///   - shuffle: a new order every epoch (otherwise the data set order).
  ///   - dropLast: skip the last batch when it would be smaller than `batchSize`.
  ///   - seed: the root of the shuffle order and of the transform's generators.
  ///   - prefetch: assemble the next batches on a background thread.
  ///   - prefetchDepth: how many assembled batches may wait for the caller (`data.prefetch`).
  ///   - workers: threads reading the samples of a batch (`data.workers`; 1: the loader thread).
  ///   - skipUnreadable: leave a sample whose file cannot be read out of its batch (recorded in
  ///     `skipLog`) instead of failing.
  ///   - transform: runs on every sample as its batch is assembled (on a loader thread).
  ///   - part: which part of every batch this loader yields (a rank's, in a data-parallel run).
  ///   - sampleShape: the shape of a sample after `transform` when it crops (its result is then the
  ///     first values of the stored sample); nil: the data set's.
  public init(
    dataset: Dataset, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false, seed: UInt64,
    prefetch: Bool = true, prefetchDepth: Int = 1, workers: Int = 1, skipUnreadable: Bool = false,
    transform: SampleTransform? = nil, part: BatchPart = .whole, sampleShape: [Int]? = nil
  ) throws {
    guard batchSize > 0 else {
      throw DataError(dataset.source, "batch size must be positive, not \(batchSize)")
    }
    guard prefetchDepth > 0, workers > 0 else {
      throw DataError(
        dataset.source,
        "the loader needs at least one worker and one prefetched batch, not \(workers) and \(prefetchDepth)")
    }
    let sampleSize = sampleShape?.reduce(1, *) ?? dataset.sampleSize
    guard sampleSize > 0, sampleSize <= dataset.sampleSize,
      sampleSize == dataset.sampleSize || transform != nil
    else {
      throw DataError(
        dataset.source,
        "samples of shape \(dataset.sampleShape) cannot become \(sampleShape ?? []) without a cropping transform"
      )
    }
    self.dataset = dataset
    self.batchSize = batchSize
    self.sampleShape = sampleShape ?? dataset.sampleShape
    self.workers = workers > 1 ? WorkerPool(threads: workers - 1) : nil
    var schedule = BatchSchedule(
      dataset: dataset, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast,
      root: RandomGenerator(seed: seed), transform: transform, workers: self.workers,
      skipUnreadable: skipUnreadable, skipLog: skipLog, sampleSize: sampleSize)
    schedule.part = part
    self.schedule = schedule
    prefetcher = prefetch ? Prefetcher(schedule: schedule, depth: prefetchDepth) : nil
    prefetcher?.start()
  }

  deinit {
    prefetcher?.cancel()
    workers?.shutdown()
  }

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
  /// returns false at the end of the epoch, before `startEpoch`, or after `cancel()`. A sample that
  /// cannot be read (a file removed or corrupted during training) is a `DataError` naming the file.
  public func next(into batch: inout Batch) throws -> Bool {
    let start = DispatchTime.now().uptimeNanoseconds
    defer { waitSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
    if let prefetcher { return try prefetcher.next(into: &batch) }
    guard started, nextBatchIndex < schedule.batchesPerEpoch else { return false }
    nextBatchIndex += 1
    try schedule.fill(&batch, batchIndex: nextBatchIndex - 1, epoch: epoch, order: order)
    return true
  }

  /// Stops the background threads (waiting for the batch being assembled) so they neither hang nor
  /// outlive the loader; `next(into:)` returns false afterwards.
  public func cancel() {
    prefetcher?.cancel()
    started = false
  }

  /// Whether a background thread is still running (for tests of `cancel()`).
  var isPrefetchThreadRunning: Bool { prefetcher?.isRunning ?? false }
}

/// The state shared between the caller's thread and the loader thread: up to `depth` assembled
/// batches waiting in `ready`, and the buffers the caller gave back in `free`, so no data is copied
/// and nothing is allocated after the first batches (`next` swaps the caller's batch with the first
/// ready one).
///
/// `@unchecked Sendable` because the compiler cannot see the protocol that makes it safe: every
/// mutable property is read and written only while holding `condition`, except the buffer the
/// loader thread is filling (taken out of `free` under the lock, filled without it, put into `ready`
/// under it), and `order`, which only `startEpoch` changes and only after waiting until the loader
/// is not filling.
private final class Prefetcher: @unchecked Sendable {
  private let schedule: BatchSchedule
  private let depth: Int
  private let condition = NSCondition()
  private var order: [Int] = []
  private var epoch = 0
  private var active = false
  private var producedCount = 0
  private var consumedCount = 0
  private var ready: [Result<Batch, Error>] = []
  private var free: [Batch] = []
  private var filling = false
  private var cancelled = false
  private var running = false

  init(schedule: BatchSchedule, depth: Int) {
    self.schedule = schedule
    self.depth = depth
  }

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
      while !cancelled
        && !(active && ready.count < depth && !filling && producedCount < schedule.batchesPerEpoch)
      {
        condition.wait()
      }
      if cancelled { break }
      let batchIndex = producedCount
      let epoch = self.epoch
      let order = self.order
      producedCount += 1
      filling = true
      var buffer = free.popLast() ?? Batch()
      condition.unlock()
      let result: Result<Batch, Error>
      do {
        try schedule.fill(&buffer, batchIndex: batchIndex, epoch: epoch, order: order)
        result = .success(buffer)
      } catch {
        result = .failure(error)
      }
      condition.lock()
      if case .failure = result {
        // The caller stops at the error; nothing after it is assembled.
        producedCount = schedule.batchesPerEpoch
      }
      ready.append(result)
      filling = false
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
    for case .success(let batch) in ready { free.append(batch) }
    ready.removeAll()
    condition.broadcast()
  }

  func next(into batch: inout Batch) throws -> Bool {
    condition.lock()
    defer { condition.unlock() }
    guard active, consumedCount < schedule.batchesPerEpoch else { return false }
    while ready.isEmpty && !cancelled { condition.wait() }
    guard !cancelled else { return false }
    let first = ready.removeFirst()
    consumedCount += 1
    condition.broadcast()
    switch first {
    case .success(var assembled):
      swap(&batch, &assembled)
      free.append(assembled)
      return true
    case .failure(let error):
      active = false
      throw error
    }
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
