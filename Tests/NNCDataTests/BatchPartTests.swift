import NNCData
import Testing

@Suite struct BatchPartTests {
  @Test func partsTileTheBatchAndDifferByAtMostOneSample() {
    for ranks in 1...5 {
      for size in 0...17 {
        let ranges = (0..<ranks).map { BatchPart(index: $0, count: ranks).range(ofBatchSized: size) }
        #expect(ranges.first?.lowerBound == 0)
        #expect(ranges.last?.upperBound == size)
        for (left, right) in zip(ranges, ranges.dropFirst()) { #expect(left.upperBound == right.lowerBound) }
        let counts = ranges.map(\.count)
        #expect(counts.max()! - counts.min()! <= 1, "\(size) samples on \(ranks) ranks: \(counts)")
      }
    }
  }

  /// Two loaders, each with half of every batch, yield together what one loader yields: the same
  /// samples in the same order, from the same shuffle.
  @Test func theRanksPartsMakeUpTheBatchesOfOneLoader() throws {
    let dataset = try Dataset(
      samples: (0..<23).flatMap { [Float($0), Float($0) * 2] }, labels: (0..<23).map { Int32($0 % 3) },
      sampleShape: [2])
    let whole = try BatchLoader(dataset: dataset, batchSize: 8, seed: 5, prefetch: false)
    let parts = try (0..<2).map {
      try BatchLoader(
        dataset: dataset, batchSize: 8, seed: 5, prefetch: true, part: BatchPart(index: $0, count: 2))
    }
    for epoch in 0..<2 {
      whole.startEpoch(epoch)
      for loader in parts { loader.startEpoch(epoch) }
      var batch = Batch()
      var halves = [Batch(), Batch()]
      while try whole.next(into: &batch) {
        #expect(try parts[0].next(into: &halves[0]))
        #expect(try parts[1].next(into: &halves[1]))
        #expect(halves[0].count == batch.count / 2)
        #expect(halves[0].indices + halves[1].indices == batch.indices)
        #expect(halves[0].samples + halves[1].samples == batch.samples)
        #expect(halves[0].labels + halves[1].labels == batch.labels)
      }
      #expect(try !parts[0].next(into: &halves[0]))
    }
  }
}
