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

  /// Fills `batch` with batch `batchIndex` of `epoch`, reusing its storage.
  func fill(_ batch: inout Batch, batchIndex: Int, epoch: Int, order: [Int]) {
    let size = dataset.sampleSize
    let start = batchIndex * batchSize
    let end = min(start + batchSize, dataset.count)
    batch.samples.removeAll(keepingCapacity: true)
    batch.labels.removeAll(keepingCapacity: true)
    batch.targets.removeAll(keepingCapacity: true)
    batch.indices.removeAll(keepingCapacity: true)
    batch.samples.reserveCapacity(batchSize * size)
    batch.labels.reserveCapacity(batchSize)
    batch.indices.reserveCapacity(batchSize)
    for position in start..<end {
      let index = order[position]
      batch.samples.append(contentsOf: dataset.samples[index * size..<(index + 1) * size])
      dataset.appendTarget(of: index, to: &batch)
      batch.indices.append(index)
    }
    batch.epoch = epoch
    batch.index = batchIndex
    guard let transform else { return }
    let epochGenerator = root.derived(UInt64(truncatingIfNeeded: epoch) &* 2 &+ 1)
    batch.samples.withUnsafeMutableBufferPointer { values in
      for (slot, position) in (start..<end).enumerated() {
        var sample = UnsafeMutableBufferPointer(rebasing: values[slot * size..<(slot + 1) * size])
        var generator = epochGenerator.derived(UInt64(position))
        transform(&sample, order[position], &generator)
      }
    }
  }
}
