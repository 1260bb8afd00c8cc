import Foundation
import NNCRandom
import Testing

@testable import NNCData

/// A sample [channels, height, width] whose value names its position: c·10000 + y·100 + x.
private func positionalSample(channels: Int, height: Int, width: Int) -> [Float] {
  var values: [Float] = []
  for c in 0..<channels {
    for y in 0..<height { for x in 0..<width { values.append(Float(c * 10000 + y * 100 + x)) } }
  }
  return values
}

/// The (top, left) of the window `cropped` was cut from, checked pixel by pixel against `positionalSample`.
private func windowOrigin(_ cropped: ArraySlice<Float>, channels: Int, size: CropSize) -> (Int, Int)? {
  let values = Array(cropped)
  let top = Int(values[0]) / 100 % 100
  let left = Int(values[0]) % 100
  for c in 0..<channels {
    for y in 0..<size.height {
      for x in 0..<size.width {
        let expected = Float(c * 10000 + (top + y) * 100 + left + x)
        if values[c * size.height * size.width + y * size.width + x] != expected { return nil }
      }
    }
  }
  return (top, left)
}

@Test func randomSizedCropTakesAWholeWindowAtEveryOffsetInRange() throws {
  let size = CropSize(height: 4, width: 5)
  let pipeline = try AugmentationPipeline(
    AugmentationConfiguration(steps: [AugmentationStep(.sizedCrop(size: size, padding: 0, fill: Fill()))]),
    sampleShape: [2, 6, 7])
  #expect(pipeline.outputShape == ImageShape(channels: 2, height: 4, width: 5))
  var origins = Set<[Int]>()
  for seed in 0..<300 {
    var sample = positionalSample(channels: 2, height: 6, width: 7)
    var generator = RandomGenerator(seed: UInt64(seed))
    sample.withUnsafeMutableBufferPointer { pipeline.apply(to: $0, using: &generator) }
    let origin = try #require(windowOrigin(sample.prefix(40), channels: 2, size: size), "seed \(seed)")
    #expect((0...2).contains(origin.0) && (0...2).contains(origin.1), "origin \(origin)")
    origins.insert([origin.0, origin.1])
    // The same generator gives the same window.
    var again = positionalSample(channels: 2, height: 6, width: 7)
    var same = RandomGenerator(seed: UInt64(seed))
    again.withUnsafeMutableBufferPointer { pipeline.apply(to: $0, using: &same) }
    #expect(again.prefix(40) == sample.prefix(40))
  }
  // Every one of the 3 x 3 windows that fit is drawn.
  #expect(origins.count == 9)
}

@Test func randomSizedCropWithPaddingFillsOutsideAndLaterStepsSeeTheCroppedSize() throws {
  let configuration = AugmentationConfiguration(steps: [
    AugmentationStep(
      .sizedCrop(size: CropSize(height: 3, width: 3), padding: 2, fill: Fill(.constant, value: -1))),
    AugmentationStep(.horizontalFlip),
  ])
  let pipeline = try AugmentationPipeline(configuration, sampleShape: [1, 3, 3])
  var sawPadding = false
  for seed in 0..<50 {
    var image = Image(
      channels: 1, height: 3, width: 3, pixels: positionalSample(channels: 1, height: 3, width: 3))
    var generator = RandomGenerator(seed: UInt64(seed))
    pipeline.apply(to: &image, using: &generator)
    #expect(image.height == 3 && image.width == 3 && image.pixels.count == 9)
    sawPadding = sawPadding || image.pixels.contains(-1)
    // Every value is either padding or a pixel of the original.
    #expect(
      image.pixels.allSatisfy {
        $0 == -1 || (0..<3).contains(Int($0) / 100) && (0..<3).contains(Int($0) % 100)
      })
  }
  #expect(sawPadding)
  #expect(configuration.outputShape(for: [1, 3, 3]) == [1, 3, 3])
  #expect(throws: DataError.self) {
    try AugmentationPipeline(
      AugmentationConfiguration(steps: [
        AugmentationStep(.sizedCrop(size: CropSize(height: 9, width: 2), padding: 1, fill: Fill()))
      ]), sampleShape: [1, 6, 6])
  }
}

@Test func centerCropTakesTheMiddleWindowRoundedTowardsTheTopLeft() throws {
  // 4x5 → 2x3: rows 1...2, columns 1...3.
  var dataset = try Dataset(
    samples: positionalSample(channels: 2, height: 4, width: 5), labels: [0], sampleShape: [2, 4, 5])
  try dataset.cropCenter(CropSize(height: 2, width: 3))
  #expect(dataset.sampleShape == [2, 2, 3])
  #expect(dataset.samples == [101, 102, 103, 201, 202, 203, 10101, 10102, 10103, 10201, 10202, 10203])
  // An odd margin (7 - 4 = 3) leaves one row above and two below.
  #expect(
    Cropping.centerOffsets(ImageShape(channels: 1, height: 7, width: 4), size: CropSize(height: 4, width: 4))
      == (1, 0))
  #expect(throws: DataError.self) { try dataset.cropCenter(CropSize(height: 3, width: 3)) }
  var vectors = try Dataset(samples: [1, 2, 3], labels: [0], sampleShape: [3])
  #expect(throws: DataError.self) { try vectors.cropCenter(CropSize(height: 1, width: 1)) }
}

@Test func streamedSamplesAreCroppedAsTheyAreReadWithTheSameBitsAsInMemory() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  var generator = RandomGenerator(seed: 11)
  let count = 12
  let pixels = (0..<count * 36).map { _ in UInt8(generator.nextUniform() * 255) }
  let images = try writeFile(directory, "images", idxBytes(dimensions: [UInt32(count), 6, 6], body: pixels))
  let labels = try writeFile(
    directory, "labels", idxBytes(dimensions: [UInt32(count)], body: (0..<count).map { UInt8($0 % 2) }))
  var streamed = try Dataset.readIDX(images: images, labels: labels)
  var inMemory = try Dataset(
    samples: pixels.map(Float.init), labels: streamed.labels, sampleShape: [1, 6, 6], source: images)
  // A normalization before the crop and one after it, in both.
  for dataset in [0, 1] {
    var target = dataset == 0 ? streamed : inMemory
    try target.normalize(Normalization(scale: 1 / 255, mean: [0.5], std: [0.25]))
    try target.cropCenter(CropSize(height: 4, width: 3))
    try target.normalize(Normalization(mean: [0.1], std: [2]))
    if dataset == 0 { streamed = target } else { inMemory = target }
  }
  guard case .elements = streamed.storage else {
    Issue.record("the crop read the streamed samples into memory")
    return
  }
  #expect(streamed.sampleShape == [1, 4, 3] && inMemory.sampleShape == [1, 4, 3])
  #expect(streamed.samples.map(\.bitPattern) == inMemory.samples.map(\.bitPattern))
  // A subset of the streamed data reads the same cropped samples.
  #expect(streamed.subset([5, 2]).samples == Array(inMemory.samples[60..<72] + inMemory.samples[24..<36]))
}

@Test func theLoaderBatchesCroppedSamplesIdenticallyForAnyWorkerCount() throws {
  let count = 20
  let dataset = try Dataset(
    samples: (0..<count).flatMap { sample in
      positionalSample(channels: 1, height: 8, width: 8).map { $0 + Float(sample) * 1e5 }
    },
    labels: (0..<count).map { Int32($0 % 3) }, sampleShape: [1, 8, 8])
  let size = CropSize(height: 5, width: 6)
  let pipeline = try AugmentationPipeline(
    AugmentationConfiguration(steps: [AugmentationStep(.sizedCrop(size: size, padding: 0, fill: Fill()))]),
    sampleShape: [1, 8, 8])
  var epochs: [[Float]] = []
  for (workers, prefetch) in [(1, false), (3, true)] {
    let loader = try BatchLoader(
      dataset: dataset, batchSize: 6, seed: 4, prefetch: prefetch, workers: workers,
      transform: pipeline.sampleTransform, sampleShape: pipeline.outputShape.sampleShape)
    #expect(loader.sampleShape == [1, 5, 6])
    loader.startEpoch(2)
    var batch = Batch()
    var values: [Float] = []
    while try loader.next(into: &batch) {
      #expect(batch.samples.count == batch.count * 30)
      for (slot, index) in batch.indices.enumerated() {
        let sample = batch.samples[slot * 30..<(slot + 1) * 30].map { $0 - Float(index) * 1e5 }
        #expect(windowOrigin(sample[...], channels: 1, size: size) != nil, "sample \(index)")
      }
      values += batch.samples
    }
    epochs.append(values)
  }
  #expect(epochs[0] == epochs[1])
  #expect(throws: DataError.self) {
    try BatchLoader(dataset: dataset, batchSize: 6, seed: 4, sampleShape: [1, 5, 6])
  }
}
