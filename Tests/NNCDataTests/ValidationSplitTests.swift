import NNCRandom
import Testing

@testable import NNCData

/// 100 samples whose single value is their index, with labels 0..<4 in unequal proportions.
private func indexedDataset() throws -> Dataset {
  let labels = (0..<100).map { Int32($0 < 10 ? 0 : $0 < 40 ? 1 : $0 < 70 ? 2 : 3) }
  return try Dataset(samples: (0..<100).map(Float.init), labels: labels, sampleShape: [1])
}

@Test func validationSplitIsDeterministicDisjointAndComplete() throws {
  let dataset = try indexedDataset()
  var first = RandomGenerator(seed: 7)
  var second = RandomGenerator(seed: 7)
  let a = try dataset.splitValidation(fraction: 0.2, using: &first)
  let b = try dataset.splitValidation(fraction: 0.2, using: &second)
  #expect(a.train == b.train)
  #expect(a.validation == b.validation)
  #expect(a.validation.count == 20)
  #expect(a.train.count == 80)
  let all = (a.train.samples + a.validation.samples).map(Int.init).sorted()
  #expect(all == Array(0..<100))
  // Both parts keep the original order, and labels travel with their samples.
  #expect(a.train.samples == a.train.samples.sorted())
  #expect(a.validation.samples == a.validation.samples.sorted())
  for (value, label) in zip(a.validation.samples, a.validation.labels) {
    #expect(dataset.labels[Int(value)] == label)
  }
  var other = RandomGenerator(seed: 8)
  #expect(try dataset.splitValidation(fraction: 0.2, using: &other).validation != a.validation)
}

@Test func stratifiedSplitTakesTheFractionOfEachClass() throws {
  let dataset = try indexedDataset()
  var generator = RandomGenerator(seed: 3)
  let split = try dataset.splitValidation(fraction: 0.2, stratified: true, using: &generator)
  // Class sizes 10, 30, 30, 30 → 2, 6, 6, 6 held out.
  #expect(split.validation.classCounts == [2, 6, 6, 6])
  #expect(split.train.classCounts == [8, 24, 24, 24])
  #expect(split.validation.classes == 4)
}

@Test func validationSplitRejectsBadFractionsAndKeepsBothPartsNonEmpty() throws {
  let dataset = try indexedDataset()
  var generator = RandomGenerator(seed: 1)
  #expect(
    dataError { try dataset.splitValidation(fraction: 1, using: &generator) }?.description
      == "dataset: validation split 1.0 must lie strictly between 0 and 1")
  let tiny = try Dataset(samples: [0, 1, 2], labels: [0, 1, 0], sampleShape: [1])
  let split = try tiny.splitValidation(fraction: 0.01, using: &generator)
  #expect(split.validation.count == 1)
  #expect(split.train.count == 2)
}

@Test func stratifiedQuotasRoundByLargestRemainder() {
  // 0.1 × [149, 137, 142, 154] = 14.9, 13.7, 14.2, 15.4 (sum 58.2 → 58): floors 14+13+14+15 = 56,
  // the two largest remainders (0.9 of class 0, 0.7 of class 1) get the missing two.
  #expect(stratifiedQuotas(classSizes: [149, 137, 142, 154], fraction: 0.1) == [15, 14, 14, 15])
  #expect(stratifiedQuotas(classSizes: [10, 30, 30, 30], fraction: 0.2) == [2, 6, 6, 6])
  #expect(stratifiedQuotas(classSizes: [1, 1, 1], fraction: 0.5) == [1, 1, 0])
}
