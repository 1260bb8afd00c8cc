import Foundation
import Testing

@testable import NNCData

@Test func readsUInt8ImagesAndLabels() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let images = try writeFile(
    directory, "images",
    idxBytes(dimensions: [2, 2, 3], body: [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]))
  let labels = try writeFile(directory, "labels", idxBytes(dimensions: [2], body: [7, 2]))
  let dataset = try Dataset.readIDX(images: images, labels: labels)
  #expect(dataset.sampleShape == [1, 2, 3])
  #expect(dataset.samples == [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255])
  #expect(dataset.labels == [7, 2])
  #expect(dataset.classes == 8)
  #expect(try Dataset.readIDX(images: images, labels: labels, classes: 10).classes == 10)
}

@Test func readsFloat32SamplesAndInt32Labels() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let values: [Float] = [0.5, -1.25, 3, 1e-3]
  let body = values.flatMap { value in withUnsafeBytes(of: value.bitPattern.bigEndian) { Array($0) } }
  let samples = try writeFile(directory, "x", idxBytes(typeCode: 0x0D, dimensions: [2, 2], body: body))
  let labelBody = [Int32(1), 0].flatMap { value in withUnsafeBytes(of: value.bigEndian) { Array($0) } }
  let labels = try writeFile(directory, "y", idxBytes(typeCode: 0x0C, dimensions: [2], body: labelBody))
  let dataset = try Dataset.readIDX(images: samples, labels: labels)
  #expect(dataset.sampleShape == [2])
  #expect(dataset.samples == values)
  #expect(dataset.labels == [1, 0])
}

@Test func idxCorruptionsAreReportedWithTheFileAndOffset() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let labels = try writeFile(directory, "labels", idxBytes(dimensions: [2], body: [1, 2]))
  func imagesError(_ bytes: [UInt8]) throws -> String? {
    let images = try writeFile(directory, "images", bytes)
    return dataError { try Dataset.readIDX(images: images, labels: labels) }?.description
  }
  let path = directory + "/images"
  #expect(
    try imagesError([0, 0, 8])
      == "\(path): truncated at byte 3: an IDX file starts with a 4-byte magic number")
  #expect(
    try imagesError([0x1F, 0x8B, 8, 0, 1, 2, 3])
      == "\(path): wrong magic number 0x1F8B0800 at byte 0: an IDX file starts with two zero bytes "
      + "(0x00000801 for labels, 0x00000803 for images); is this an IDX file (not gzip-compressed)?")
  #expect(try imagesError([0, 0, 0x07, 3])?.hasPrefix("\(path): unknown element type 0x7 at byte 2") == true)
  #expect(
    try imagesError([0, 0, 8, 3, 0, 0, 0, 2, 0, 0])
      == "\(path): truncated at byte 10: the header declares 3 dimensions and needs 16 bytes")
  #expect(
    try imagesError(idxBytes(dimensions: [2, 2, 2], body: [1, 2, 3, 4, 5, 6, 7]))
      == "\(path): truncated at byte 23: the header declares 2×2×2 uint8 (8 bytes from byte 16) "
      + "but only 7 bytes follow")
  #expect(
    try imagesError(idxBytes(dimensions: [2, 1, 1], body: [1, 2, 3]))
      == "\(path): 1 unexpected bytes after the data at byte 18: the header declares 2×1×1 uint8")
  #expect(
    try imagesError(idxBytes(dimensions: [3, 1, 1], body: [1, 2, 3]))
      == "\(directory)/labels: has 2 labels but \(path) has 3 samples")
  #expect(
    try imagesError(idxBytes(dimensions: [2], body: [1, 2]))
      == "\(path): has 1 dimension [2]; a samples file needs [count, ...] (is this the labels file?)")
}

@Test func idxLabelProblemsNameTheLabelsFileAndSample() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let images = try writeFile(directory, "images", idxBytes(dimensions: [3, 1, 1], body: [1, 2, 3]))
  let labels = try writeFile(directory, "labels", idxBytes(dimensions: [3], body: [1, 12, 2]))
  #expect(
    dataError { try Dataset.readIDX(images: images, labels: labels, classes: 10) }?.description
      == "\(labels): label 12 of sample 1 is out of range for 10 classes (0...9)")
  let signed = try writeFile(
    directory, "signed", idxBytes(typeCode: 0x09, dimensions: [3], body: [1, 0xFF, 2]))
  #expect(
    dataError { try Dataset.readIDX(images: images, labels: signed) }?.description
      == "\(signed): label -1 of sample 1 is negative")
  let wrongRank = try writeFile(directory, "rank", idxBytes(dimensions: [3, 1], body: [1, 1, 1]))
  #expect(
    dataError { try Dataset.readIDX(images: images, labels: wrongRank) }?.description
      == "\(wrongRank): has dimensions [3, 1]; a labels file needs exactly one (is this the images file?)")
  #expect(
    dataError { try Dataset.readIDX(images: directory + "/missing", labels: labels) }?.description
      == "\(directory)/missing: no such file")
}
