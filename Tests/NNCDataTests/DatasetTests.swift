import Foundation
import Testing

@testable import NNCData

// MARK: - Helpers shared by the NNCData tests

/// A fresh empty folder for the files a test writes.
func makeTemporaryDirectory() throws -> String {
  let path = NSTemporaryDirectory() + "nnc-data-tests-" + UUID().uuidString
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

func writeFile(_ directory: String, _ name: String, _ bytes: [UInt8]) throws -> String {
  let path = directory + "/" + name
  try Data(bytes).write(to: URL(fileURLWithPath: path))
  return path
}

func writeFile(_ directory: String, _ name: String, _ text: String) throws -> String {
  try writeFile(directory, name, Array(text.utf8))
}

/// The IDX encoding of an array, written out by hand: magic, big-endian dimensions, body.
func idxBytes(typeCode: UInt8 = 0x08, dimensions: [UInt32], body: [UInt8]) -> [UInt8] {
  var bytes: [UInt8] = [0, 0, typeCode, UInt8(dimensions.count)]
  for size in dimensions { bytes += withUnsafeBytes(of: size.bigEndian) { Array($0) } }
  return bytes + body
}

/// The .npy encoding: magic, version, little-endian header length, the header padded with spaces
/// and a newline to a multiple of 64 bytes (as numpy writes it), then the body.
func npyBytes(header: String, body: [UInt8], version: UInt8 = 1) -> [UInt8] {
  let preamble = version == 1 ? 10 : 12
  var text = header
  while (preamble + text.utf8.count + 1) % 64 != 0 { text += " " }
  text += "\n"
  var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
  if version == 1 {
    bytes += withUnsafeBytes(of: UInt16(text.utf8.count).littleEndian) { Array($0) }
  } else {
    bytes += withUnsafeBytes(of: UInt32(text.utf8.count).littleEndian) { Array($0) }
  }
  return bytes + Array(text.utf8) + body
}

func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
  values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
}

func littleEndianBytes(_ values: [Float]) -> [UInt8] { littleEndianBytes(values.map(\.bitPattern)) }

/// The error `body` throws, or nil when it throws none (or a different kind).
func dataError(_ body: () throws -> Any) -> DataError? {
  do {
    _ = try body()
    return nil
  } catch let error as DataError {
    return error
  } catch {
    return nil
  }
}

/// The repository's root folder, found from this file's path (Tests/NNCDataTests/…).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().path

// MARK: - Dataset

@Test func datasetChecksShapeAndDefaultsClassesToLargestLabelPlusOne() throws {
  let dataset = try Dataset(samples: [1, 2, 3, 4, 5, 6], labels: [0, 3, 1], sampleShape: [2])
  #expect(dataset.count == 3)
  #expect(dataset.classes == 4)
  #expect(dataset.sampleSize == 2)
  #expect(Array(dataset.sample(1)) == [3, 4])
  #expect(dataset.classCounts == [1, 1, 0, 1])
  let error = dataError { try Dataset(samples: [1, 2, 3], labels: [0, 1], sampleShape: [2], source: "m") }
  #expect(error?.description == "m: 3 values do not make 2 samples of shape [2] (4 values)")
}

@Test func datasetRejectsLabelsOutsideTheDeclaredClasses() {
  let tooLarge = dataError {
    try Dataset(samples: [0, 0, 0], labels: [0, 1, 5], sampleShape: [1], classes: 3, source: "x.csv")
  }
  #expect(tooLarge?.description == "x.csv: label 5 of sample 2 is out of range for 3 classes (0...2)")
  let negative = dataError { try Dataset(samples: [0, 0], labels: [0, -1], sampleShape: [1], source: "y") }
  #expect(negative?.description == "y: label -1 of sample 1 is negative")
}

@Test func subsetPicksSamplesInTheGivenOrder() throws {
  let dataset = try Dataset(samples: [0, 1, 10, 11, 20, 21], labels: [0, 1, 2], sampleShape: [2])
  let picked = dataset.subset([2, 0])
  #expect(picked.samples == [20, 21, 0, 1])
  #expect(picked.labels == [2, 0])
  #expect(picked.classes == 3)
}

@Test func dataErrorNamesTheLineOfATextFile() {
  #expect(DataError("a.csv", line: 7, "bad").description == "a.csv:7: bad")
}
