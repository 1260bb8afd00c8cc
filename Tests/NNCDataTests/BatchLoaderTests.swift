import Foundation
import NNCRandom
import Testing

@testable import NNCData

/// `count` samples of shape [3]: sample i holds (i, i + 0.25, i + 0.5) and label i % 5.
private func rampDataset(count: Int) throws -> Dataset {
  try Dataset(
    samples: (0..<count).flatMap { index in [0, 0.25, 0.5].map { Float(index) + $0 } },
    labels: (0..<count).map { Int32($0 % 5) }, sampleShape: [3])
}

/// Every batch of `epoch`, copied out of the loader's reused buffers.
private func collectEpoch(_ loader: BatchLoader, _ epoch: Int) throws -> [Batch] {
  loader.startEpoch(epoch)
  var batch = Batch()
  var batches: [Batch] = []
  while try loader.next(into: &batch) {
    var copy = Batch()
    copy.samples = Array(batch.samples)
    copy.labels = Array(batch.labels)
    copy.indices = Array(batch.indices)
    copy.epoch = batch.epoch
    copy.index = batch.index
    batches.append(copy)
  }
  return batches
}

@Test(arguments: [false, true])
func everySampleAppearsOncePerEpochWithItsLabel(prefetch: Bool) throws {
  let dataset = try rampDataset(count: 23)
  let loader = try BatchLoader(dataset: dataset, batchSize: 5, seed: 11, prefetch: prefetch)
  #expect(loader.batchesPerEpoch == 5)
  for epoch in 0..<3 {
    let batches = try collectEpoch(loader, epoch)
    #expect(batches.map(\.count) == [5, 5, 5, 5, 3])
    #expect(batches.map(\.index) == [0, 1, 2, 3, 4])
    #expect(batches.allSatisfy { $0.epoch == epoch })
    #expect(batches.flatMap(\.indices).sorted() == Array(0..<23))
    for batch in batches {
      for (slot, index) in batch.indices.enumerated() {
        #expect(Array(batch.samples[slot * 3..<slot * 3 + 3]) == Array(dataset.sample(index)))
        #expect(batch.labels[slot] == dataset.labels[index])
      }
    }
  }
}

@Test func dropLastSkipsThePartialBatch() throws {
  let loader = try BatchLoader(dataset: try rampDataset(count: 23), batchSize: 5, dropLast: true, seed: 1)
  #expect(loader.batchesPerEpoch == 4)
  let batches = try collectEpoch(loader, 0)
  #expect(batches.map(\.count) == [5, 5, 5, 5])
  #expect(Set(batches.flatMap(\.indices)).count == 20)
  let tooSmall = try BatchLoader(dataset: try rampDataset(count: 3), batchSize: 5, dropLast: true, seed: 1)
  #expect(try collectEpoch(tooSmall, 0).isEmpty)
}

@Test func orderDependsOnlyOnSeedAndEpoch() throws {
  let dataset = try rampDataset(count: 40)
  let loader = try BatchLoader(dataset: dataset, batchSize: 8, seed: 42)
  let epoch0 = try collectEpoch(loader, 0).flatMap(\.indices)
  let epoch1 = try collectEpoch(loader, 1).flatMap(\.indices)
  #expect(epoch0 != epoch1)
  #expect(epoch0 != Array(0..<40))
  // A fresh loader with the same seed that starts directly at epoch 1 (as a resumed run does), and
  // one that abandons epoch 5 half-way first, see the same epoch 1.
  let resumed = try BatchLoader(dataset: dataset, batchSize: 8, seed: 42)
  resumed.startEpoch(5)
  var batch = Batch()
  #expect(try resumed.next(into: &batch))
  #expect(try collectEpoch(resumed, 1).flatMap(\.indices) == epoch1)
  #expect(try collectEpoch(resumed, 0).flatMap(\.indices) == epoch0)
  let otherSeed = try BatchLoader(dataset: dataset, batchSize: 8, seed: 43)
  #expect(try collectEpoch(otherSeed, 0).flatMap(\.indices) != epoch0)
  let unshuffled = try BatchLoader(dataset: dataset, batchSize: 8, shuffle: false, seed: 42)
  #expect(try collectEpoch(unshuffled, 3).flatMap(\.indices) == Array(0..<40))
}

/// Adds noise from the sample's generator and stamps the sample index into the last value.
private let noisyTransform: SampleTransform = { values, sampleIndex, generator in
  for position in values.indices { values[position] += generator.nextUniform(-1, 1) }
  values[values.count - 1] = Float(sampleIndex)
}

@Test func prefetchGivesTheSameBatchesAsInlineLoading() throws {
  let dataset = try rampDataset(count: 37)
  for transform in [nil, noisyTransform] {
    let inline = try BatchLoader(
      dataset: dataset, batchSize: 6, seed: 9, prefetch: false, transform: transform)
    let background = try BatchLoader(
      dataset: dataset, batchSize: 6, seed: 9, prefetch: true, transform: transform)
    for epoch in [0, 1, 4] {
      let expected = try collectEpoch(inline, epoch)
      let actual = try collectEpoch(background, epoch)
      #expect(actual.map(\.samples) == expected.map(\.samples))
      #expect(actual.map(\.labels) == expected.map(\.labels))
      #expect(actual.map(\.indices) == expected.map(\.indices))
    }
  }
}

@Test func transformRunsOncePerSampleWithAGeneratorOfSeedEpochAndPosition() throws {
  let dataset = try rampDataset(count: 10)
  let loader = try BatchLoader(dataset: dataset, batchSize: 4, seed: 3, transform: noisyTransform)
  let first = try collectEpoch(loader, 2)
  let again = try collectEpoch(loader, 2)
  #expect(first.map(\.samples) == again.map(\.samples))
  // Reference: the generator of position p in epoch e is root.derived(2e + 1).derived(p).
  let epochGenerator = RandomGenerator(seed: 3).derived(2 * 2 + 1)
  let order = first.flatMap(\.indices)
  let samples = first.flatMap(\.samples)
  for (position, index) in order.enumerated() {
    var generator = epochGenerator.derived(UInt64(position))
    let expected = dataset.sample(index).map { $0 + generator.nextUniform(-1, 1) }
    #expect(Array(samples[position * 3..<position * 3 + 2]) == Array(expected.prefix(2)))
    #expect(samples[position * 3 + 2] == Float(index))
  }
  // The data set itself is untouched, and another epoch draws other noise.
  #expect(loader.dataset == dataset)
  #expect(try collectEpoch(loader, 3).flatMap(\.samples) != samples)
}

@Test(arguments: [false, true])
func batchStorageIsReusedAfterTheFirstBatches(prefetch: Bool) throws {
  let loader = try BatchLoader(dataset: try rampDataset(count: 64), batchSize: 4, seed: 2, prefetch: prefetch)
  var batch = Batch()
  var addresses = Set<UnsafePointer<Float>>()
  // Blocks of the batch's size kept alive, so that a buffer the loader allocated while its others
  // were alive would get a new address and show up here.
  var occupied: [[Float]] = []
  for epoch in 0..<2 {
    loader.startEpoch(epoch)
    while try loader.next(into: &batch) {
      if let address = batch.samples.withUnsafeBufferPointer(\.baseAddress) { addresses.insert(address) }
      occupied.append([Float](repeating: 0, count: batch.samples.count))
    }
  }
  // Inline loading refills the caller's buffer; with prefetch the caller's buffer and the loader's
  // slot trade places.
  #expect(addresses.count == (prefetch ? 2 : 1))
  #expect(occupied.count == 32)
}

@Test func cancelAndDeinitStopTheLoaderThread() async throws {
  let dataset = try rampDataset(count: 100)
  let loader = try BatchLoader(dataset: dataset, batchSize: 10, seed: 1)
  loader.startEpoch(0)
  var batch = Batch()
  #expect(try loader.next(into: &batch))
  #expect(loader.isPrefetchThreadRunning)
  loader.cancel()
  #expect(!loader.isPrefetchThreadRunning)
  #expect(try !loader.next(into: &batch))
  loader.startEpoch(1)
  #expect(try !loader.next(into: &batch))

  // Dropping a loader mid-epoch ends its thread, which then releases the transform it captured.
  final class Sentinel: Sendable {}
  weak var weakSentinel: Sentinel?
  do {
    let sentinel = Sentinel()
    weakSentinel = sentinel
    let transform: SampleTransform = { _, _, _ in _ = sentinel }
    let dropped = try BatchLoader(dataset: dataset, batchSize: 10, seed: 1, transform: transform)
    dropped.startEpoch(0)
    #expect(try dropped.next(into: &batch))
  }
  var waited = 0
  while weakSentinel != nil && waited < 200 {
    try await Task.sleep(nanoseconds: 10_000_000)
    waited += 1
  }
  #expect(weakSentinel == nil)
}

@Test func loaderRejectsANonPositiveBatchSize() throws {
  #expect(
    dataError { try BatchLoader(dataset: try rampDataset(count: 3), batchSize: 0, seed: 1) }?.description
      == "dataset: batch size must be positive, not 0")
}
