import Testing

@testable import NNCData

/// Ten samples whose single value is their index; labels cycle 0, 1, 2, 3, 4, 0, 1, ...
private func cyclingDataset() throws -> Dataset {
  var dataset = try Dataset(
    samples: (0..<10).map(Float.init), labels: (0..<10).map { Int32($0 % 5) }, sampleShape: [1],
    source: "cycle.csv")
  dataset.classNames = ["zero", "one", "two", "three", "four"]
  return dataset
}

@Test func selectingClassesKeepsTheirSamplesAndRelabelsInListOrder() throws {
  let selected = try cyclingDataset().selectingClasses([4, 1])
  #expect(selected.samples == [1, 4, 6, 9])
  // Class 4 becomes 0 and class 1 becomes 1: the order of the list, not of the labels.
  #expect(selected.labels == [1, 0, 1, 0])
  #expect(selected.classes == 2)
  #expect(selected.classNames == ["four", "one"])
}

@Test func unnamedClassesKeepTheirOriginalLabelsAsNames() throws {
  var dataset = try cyclingDataset()
  dataset.classNames = nil
  #expect(try dataset.selectingClasses([4, 1]).classNames == ["4", "1"])
}

@Test func selectingClassesRejectsUnknownAndRepeatedClasses() throws {
  let dataset = try cyclingDataset()
  #expect(throws: DataError.self) { try dataset.selectingClasses([5]) }
  #expect(throws: DataError.self) { try dataset.selectingClasses([-1]) }
  #expect(throws: DataError.self) { try dataset.selectingClasses([2, 2]) }
}

@Test func limitingPerClassKeepsTheFirstSamplesOfEachClassInFileOrder() throws {
  let limited = try cyclingDataset().limitingPerClass(1)
  #expect(limited.samples == [0, 1, 2, 3, 4])
  #expect(limited.labels == [0, 1, 2, 3, 4])
  #expect(try cyclingDataset().limitingPerClass(5).samples == (0..<10).map(Float.init))
}
