import Foundation
import Testing

@testable import NNCData

@Test func csvFloatTargetsByNameAndIndex() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let path = try writeFile(directory, "r.csv", "a,price,b,size\n1,10.5,2,-1\n\n3,20,4,0.25\n")
  let byName = try Dataset.readCSV(
    path, options: CSVOptions(hasHeader: true, targets: .values([.name("price")])))
  #expect(byName.count == 2)
  #expect(byName.samples == [1, 2, -1, 3, 4, 0.25])
  #expect(byName.sampleShape == [3])
  let targets = try #require(byName.targets)
  #expect(targets.kind == .values && targets.width == 1 && targets.values == [10.5, 20])
  #expect(targets.names == ["price"])
  #expect(byName.labels.isEmpty)
  let byIndex = try Dataset.readCSV(
    path, options: CSVOptions(hasHeader: true, targets: .values([.index(3), .index(1)])))
  #expect(byIndex.targets?.values == [-1, 10.5, 0.25, 20])
  #expect(byIndex.targets?.names == ["size", "price"])
  #expect(byIndex.samples == [1, 2, 3, 4])
  let last = try Dataset.readCSV(path, options: CSVOptions(hasHeader: true, targets: .values([.index(-1)])))
  #expect(last.targets?.values == [-1, 0.25])
  // The subset keeps targets with their samples.
  let picked = byIndex.subset([1])
  #expect(picked.count == 1 && picked.samples == [3, 4] && picked.targets?.values == [0.25, 20])
}

@Test func csvMultiHotColumnsAndLabelLists() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let columns = try writeFile(directory, "m.csv", "x,a,b,c\n0.5,1,0,1\n-2,0,0,0\n")
  let multiHot = try Dataset.readCSV(
    columns, options: CSVOptions(hasHeader: true, targets: .multiHot([.name("a"), .name("b"), .name("c")])))
  #expect(multiHot.targets?.values == [1, 0, 1, 0, 0, 0])
  #expect(multiHot.targets?.kind == .multiHot)
  #expect(multiHot.classes == 3 && multiHot.classNames == ["a", "b", "c"])
  #expect(multiHot.targets?.columnSums == [1, 0, 1])

  let lists = try writeFile(directory, "l.csv", "3;1,0.5\n,1.5\n0 ; 3,2\n")
  let listed = try Dataset.readCSV(lists, options: CSVOptions(targets: .labelLists(.index(0), labels: nil)))
  #expect(listed.targets?.width == 4)
  #expect(listed.targets?.values == [0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1])
  #expect(listed.samples == [0.5, 1.5, 2])
  let wider = try Dataset.readCSV(lists, options: CSVOptions(targets: .labelLists(.index(0), labels: 6)))
  #expect(wider.targets?.width == 6)
  let fromClasses = try Dataset.readCSV(
    lists, options: CSVOptions(targets: .labelLists(.index(0), labels: nil)), classes: 5)
  #expect(fromClasses.targets?.width == 5)
}

@Test func csvTargetProblemsAreNamed() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  func csvError(_ text: String, _ options: CSVOptions) throws -> String? {
    let path = try writeFile(directory, "e.csv", text)
    return dataError { try Dataset.readCSV(path, options: options) }?.description
  }
  let path = directory + "/e.csv"
  #expect(
    try csvError("a,b\n1,2\n", CSVOptions(targets: .values([.name("b")])))
      == "\(path): column 'b' is named, but the file has no header (set data.header: true)")
  #expect(
    try csvError("a,b\n1,2\n", CSVOptions(hasHeader: true, targets: .values([.name("c")])))
      == "\(path): has no column 'c'; the header names 'a', 'b'")
  #expect(
    try csvError("1,2\n", CSVOptions(targets: .values([.index(5)])))
      == "\(path): column 5 does not exist in a row of 2 columns")
  #expect(
    try csvError("1,2\n", CSVOptions(targets: .values([.index(0), .index(1)])))
      == "\(path): every column is a target; at least one feature is needed")
  #expect(
    try csvError("1,2\n3,x\n", CSVOptions(targets: .values([.index(1)])))
      == "\(path):2: 'x' in column 2 is not a finite number")
  #expect(
    try csvError("1,2\n3,2\n", CSVOptions(targets: .multiHot([.index(1)])))
      == "\(path): label value 2.0 of sample 0 is not 0 or 1 (multi-hot targets)")
  #expect(
    try csvError("1;x,2\n", CSVOptions(targets: .labelLists(.index(0), labels: nil)))
      == "\(path):1: 'x' in the label list '1;x' is not a non-negative integer")
  #expect(
    try csvError("1;4,2\n", CSVOptions(targets: .labelLists(.index(0), labels: 3)))
      == "\(path):1: label 4 is out of range for 3 labels (0...2)")
}

@Test func npyFloatAndMultiHotTargets() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let samples = try writeFile(
    directory, "x.npy",
    npyBytes(
      header: "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }",
      body: littleEndianBytes((0..<6).map { Float($0) })))
  let vector = try writeFile(
    directory, "y.npy",
    npyBytes(
      header: "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
      body: littleEndianBytes([Float(1.5), -2, 0.25])))
  let single = try Dataset.readNPY(samples: samples, targets: vector, kind: .values)
  #expect(single.count == 3 && single.targets?.width == 1 && single.targets?.values == [1.5, -2, 0.25])
  let matrix = try writeFile(
    directory, "m.npy",
    npyBytes(
      header: "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }",
      body: littleEndianBytes([Float(1), 0, 0, 0, 1, 1])))
  let multiHot = try Dataset.readNPY(samples: samples, targets: matrix, kind: .multiHot)
  #expect(multiHot.targets?.width == 2 && multiHot.classes == 2)
  #expect(
    dataError { try Dataset.readNPY(samples: samples, targets: vector, kind: .multiHot) }?.description
      == "\(vector): label value 1.5 of sample 0 is not 0 or 1 (multi-hot targets)")
  let short = try writeFile(
    directory, "s.npy",
    npyBytes(
      header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
      body: littleEndianBytes([Float(1), 2])))
  #expect(
    dataError { try Dataset.readNPY(samples: samples, targets: short, kind: .values) }?.description
      == "\(short): has 2 rows but \(samples) has 3 samples")
}

@Test func targetNormalizationUsesTrainingStatisticsAndInverts() throws {
  let train = try Dataset(
    samples: [0, 0, 0, 0],
    targets: Targets(kind: .values, values: [1, 100, 3, 100, 5, 100, 7, 100], width: 2),
    sampleShape: [1])
  let normalization = TargetNormalization.statistics(of: try #require(train.targets))
  #expect(normalization.mean == [4, 100])
  // Population standard deviation of 1, 3, 5, 7 is sqrt(5); a constant output keeps 1.
  #expect(abs(normalization.std[0] - 5.0.squareRoot()) < 1e-12)
  #expect(normalization.std[1] == 1)
  var normalized = train
  try normalized.normalizeTargets(normalization)
  let values = try #require(normalized.targets?.values)
  #expect(abs(values[0] - Float(-3 / 5.0.squareRoot())) < 1e-6)
  #expect(values[1] == 0)
  let restored = normalization.denormalize(values)
  for (a, b) in zip(restored, train.targets!.values) { #expect(abs(a - b) < 1e-5) }
  #expect(normalization.denormalize([0.0, 2]) == [4, 102])
  var classification = try Dataset(samples: [1, 2], labels: [0, 1], sampleShape: [1])
  #expect(throws: DataError.self) { try classification.normalizeTargets(normalization) }
}

@Test func batchesCarryTheTargetRowsOfTheirSamples() throws {
  let dataset = try Dataset(
    samples: [0, 1, 2, 3, 4],
    targets: Targets(kind: .values, values: [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5], width: 2),
    sampleShape: [1])
  let loader = try BatchLoader(dataset: dataset, batchSize: 2, shuffle: true, seed: 7, prefetch: false)
  loader.startEpoch(0)
  var batch = Batch()
  var seen = 0
  while try loader.next(into: &batch) {
    #expect(batch.labels.isEmpty)
    #expect(batch.targets.count == batch.count * 2)
    for (slot, index) in batch.indices.enumerated() {
      #expect(batch.samples[slot] == Float(index))
      #expect(Array(batch.targets[(slot * 2)..<(slot * 2 + 2)]) == [Float(index), Float(index) + 0.5])
    }
    seen += batch.count
  }
  #expect(seen == 5)
}
