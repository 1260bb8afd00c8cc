import Testing

@testable import NNCData

/// Two samples of shape [2, 1, 2] (2 channels of 2 values).
private func twoChannelDataset() throws -> Dataset {
  try Dataset(samples: [0, 10, 100, 110, 20, 30, 120, 130], labels: [0, 1], sampleShape: [2, 1, 2])
}

@Test func globalScaleMeanAndStd() throws {
  var dataset = try twoChannelDataset()
  let original = dataset.samples
  try dataset.normalize(Normalization(scale: 0.5, mean: [5], std: [2]))
  #expect(dataset.samples == original.map { ($0 * 0.5 - 5) / 2 })
}

@Test func perChannelMeanAndStdUseTheFirstDimension() throws {
  var dataset = try twoChannelDataset()
  try dataset.normalize(Normalization(mean: [10, 100], std: [10, 5]))
  // Channel 0 holds 0, 10, 20, 30; channel 1 holds 100, 110, 120, 130.
  #expect(dataset.samples == [-1, 0, 0, 2, 1, 2, 4, 6])
}

@Test func normalizationRejectsBadParameters() throws {
  var dataset = try twoChannelDataset()
  #expect(
    dataError { try dataset.normalize(Normalization(mean: [1, 2, 3])) }?.description
      == "dataset: normalization mean has 3 values but samples of shape [2, 1, 2] have 2 channels (give 1 value or 2)"
  )
  #expect(
    dataError { try dataset.normalize(Normalization(std: [1, 0])) }?.description
      == "dataset: normalization std 0.0 must be positive")
  #expect(dataset == (try twoChannelDataset()))
}

@Test func statisticsStandardizeTheData() throws {
  var dataset = try twoChannelDataset()
  let statistics = Normalization.statistics(of: dataset, scale: 0.5, perChannel: true)
  // Channel means after scaling: (0+10+20+30)/8 = 7.5 and (100+110+120+130)/8 = 57.5; both channels
  // have population std 0.5 × sqrt(125) = 5.5902.
  #expect(statistics.mean == [7.5, 57.5])
  #expect(abs(statistics.std[0] - 5.5901699) < 1e-5)
  try dataset.normalize(statistics)
  for channel in 0..<2 {
    let values = [0, 1].flatMap { sample in (0..<2).map { dataset.samples[sample * 4 + channel * 2 + $0] } }
    let mean = values.reduce(0, +) / 4
    let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4
    #expect(abs(mean) < 1e-5)
    #expect(abs(variance - 1) < 1e-4)
  }
  let global = Normalization.statistics(of: try twoChannelDataset(), perChannel: false)
  #expect(global.mean == [65])
}
