import Foundation
import NNCRandom

/// What goes into each batch of each epoch: a pure function of the data set, the batch size and the
/// seed, so epoch `e` is the same whatever ran before it (resuming a run replays it exactly) and the
/// background loader produces exactly what an inline loader would.
struct BatchSchedule: Sendable {
  let dataset: Dataset
  let batchSize: Int
  let shuffle: Bool
  let dropLast: Bool
  let root: RandomGenerator
  let transform: SampleTransform?
  /// Reads the samples of a batch in parallel (nil: on the calling thread).
  let workers: WorkerPool?
  let skipUnreadable: Bool
  let skipLog: SkipLog?
  /// In a data-parallel run, this rank's part of every batch (see `BatchPart`).
  var part = BatchPart.whole
  /// The values of one sample in a batch: the data set's, or fewer when `transform` crops.
  var sampleSize: Int

  var batchesPerEpoch: Int {
    dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
  }

  /// Writes the sample order of `epoch` into `order` (reusing its storage).
  func makeOrder(epoch: Int, into order: inout [Int]) {
    order.removeAll(keepingCapacity: true)
    order.append(contentsOf: 0..<dataset.count)
    if shuffle {
      var generator = root.derived(UInt64(truncatingIfNeeded: epoch) &* 2)
      generator.shuffle(&order)
    }
  }

  /// Fills `batch` with batch `batchIndex` of `epoch`, reusing its storage. Samples are read
  /// (decoded, converted, normalized) and transformed by `workers` when given, each into its own
  /// slot with a generator derived from its position, so the batch is the same bits whatever the
  /// number of workers. A sample that cannot be read is an error naming its file, or with
  /// `skipUnreadable` left out of the batch and recorded in `skipLog`.
  func fill(_ batch: inout Batch, batchIndex: Int, epoch: Int, order: [Int]) throws {
    let size = sampleSize
    let storedSize = dataset.sampleSize
    let globalStart = batchIndex * batchSize
    let globalEnd = min(globalStart + batchSize, dataset.count)
    let local = part.range(ofBatchSized: globalEnd - globalStart)
    let start = globalStart + local.lowerBound
    let end = globalStart + local.upperBound
    let count = end - start
    batch.samples.removeAll(keepingCapacity: true)
    batch.labels.removeAll(keepingCapacity: true)
    batch.targets.removeAll(keepingCapacity: true)
    batch.indices.removeAll(keepingCapacity: true)
    batch.samples.reserveCapacity(batchSize * size)
    batch.labels.reserveCapacity(batchSize)
    batch.indices.reserveCapacity(batchSize)
    batch.samples.append(contentsOf: repeatElement(0, count: count * size))
    for position in start..<end {
      let index = order[position]
      dataset.appendTarget(of: index, to: &batch)
      batch.indices.append(index)
    }
    batch.epoch = epoch
    batch.index = batchIndex
    let epochGenerator = root.derived(UInt64(truncatingIfNeeded: epoch) &* 2 &+ 1)
    var failures = [DataError?](repeating: nil, count: count)
    let dataset = self.dataset
    let transform = self.transform
    failures.withUnsafeMutableBufferPointer { failureBuffer in
      batch.samples.withUnsafeMutableBufferPointer { values in
        // Each slot is written by exactly one call.
        let slots = UncheckedSendableBuffer(values)
        let failed = UncheckedSendableBuffer(failureBuffer)
        let work: @Sendable (Int) -> Void = { slot in
          let position = start + slot
          let slotValues = UnsafeMutableBufferPointer(rebasing: slots.buffer[slot * size..<(slot + 1) * size])
          // A transform that crops works on the whole stored sample and leaves its result in front.
          var stored = size == storedSize ? [] : [Float](repeating: 0, count: storedSize)
          stored.withUnsafeMutableBufferPointer { storedValues in
            var sample = size == storedSize ? slotValues : storedValues
            do {
              try dataset.readSample(order[position], into: sample)
            } catch let error as DataError {
              failed.buffer[slot] = error
              return
            } catch {
              failed.buffer[slot] = DataError(dataset.source, "\(error)")
              return
            }
            if let transform {
              var generator = epochGenerator.derived(UInt64(position))
              transform(&sample, order[position], &generator)
            }
            if size != storedSize {
              _ = slotValues.initialize(from: UnsafeMutableBufferPointer(rebasing: storedValues[0..<size]))
            }
          }
        }
        if let workers, count > 1 {
          workers.run(count: count, work)
        } else {
          for slot in 0..<count { work(slot) }
        }
      }
    }
    let failedSlots = failures.indices.filter { failures[$0] != nil }
    guard let first = failedSlots.first.flatMap({ failures[$0] }) else { return }
    guard skipUnreadable else {
      guard case .images = dataset.storage else { throw first }
      throw DataError(first.path, first.message + " (set data.skip_corrupt: true to skip unreadable files)")
    }
    for slot in failedSlots.reversed() {
      batch.samples.removeSubrange(slot * size..<(slot + 1) * size)
      if !batch.labels.isEmpty { batch.labels.remove(at: slot) }
      if let width = dataset.targets?.width, !batch.targets.isEmpty {
        batch.targets.removeSubrange(slot * width..<(slot + 1) * width)
      }
      batch.indices.remove(at: slot)
    }
    skipLog?.record(failedSlots.compactMap { failures[$0] })
  }
}

/// The files a loader skipped because they could not be read (`data.skip_corrupt`), collected from
/// whichever thread assembled the batch, for the caller to report at the end of the epoch.
public final class SkipLog: @unchecked Sendable {
  // Guarded by `lock`.
  private var errors: [DataError] = []
  private let lock = NSLock()

  public init() {}

  public func record(_ new: [DataError]) {
    lock.lock()
    errors += new
    lock.unlock()
  }

  /// What was skipped since the last call, in the order the batches were assembled.
  public func take() -> [DataError] {
    lock.lock()
    defer { lock.unlock() }
    let taken = errors
    errors = []
    return taken
  }
}
