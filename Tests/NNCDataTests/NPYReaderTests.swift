import Foundation
import Testing

@testable import NNCData

private let float32Header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2, 2), }"

@Test func readsFloat32SamplesAndInt64Labels() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let values: [Float] = (0..<12).map { Float($0) * 0.25 - 1 }
  let samples = try writeFile(
    directory, "x.npy", npyBytes(header: float32Header, body: littleEndianBytes(values)))
  let labels = try writeFile(
    directory, "y.npy",
    npyBytes(
      header: "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
      body: littleEndianBytes([Int64(2), 0, 1])))
  let dataset = try Dataset.readNPY(samples: samples, labels: labels)
  #expect(dataset.sampleShape == [2, 2])
  #expect(dataset.samples == values)
  #expect(dataset.labels == [2, 0, 1])
  #expect(dataset.classes == 3)
}

@Test func readsOtherVersionsAndElementTypes() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let bytes = try writeFile(
    directory, "u8.npy",
    npyBytes(
      header: "{\"descr\": \"|u1\", \"fortran_order\": False, \"shape\": (2, 3)}",
      body: [0, 1, 255, 7, 8, 9], version: 2))
  let doubles = try writeFile(
    directory, "f8.npy",
    npyBytes(
      header: "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
      body: littleEndianBytes([Double(1.5).bitPattern, Double(-2).bitPattern]), version: 3))
  let labels = try writeFile(
    directory, "labels.npy",
    npyBytes(
      header: "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 1), }",
      body: littleEndianBytes([Int32(1), 4])))
  let fromBytes = try Dataset.readNPY(samples: bytes, labels: labels, classes: 5)
  #expect(fromBytes.samples == [0, 1, 255, 7, 8, 9])
  #expect(fromBytes.sampleShape == [3])
  #expect(fromBytes.labels == [1, 4])
  let fromDoubles = try Dataset.readNPY(samples: doubles, labels: labels)
  #expect(fromDoubles.samples == [1.5, -2])
  #expect(fromDoubles.sampleShape == [1])
  #expect(try NPYReader.read(bytes).elementType == .uint8)
}

@Test func npyProblemsAreReportedClearly() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let path = directory + "/bad.npy"
  func npyError(_ bytes: [UInt8]) throws -> String? {
    _ = try writeFile(directory, "bad.npy", bytes)
    return dataError { try NPYReader.read(path) }?.description
  }
  func header(_ descr: String, fortran: String = "False", shape: String = "(2,)") -> String {
    "{'descr': '\(descr)', 'fortran_order': \(fortran), 'shape': \(shape), }"
  }
  let twoFloats = littleEndianBytes([Float(1), 2])
  #expect(
    try npyError(Array("PK\u{3}\u{4}zipfile".utf8))
      == "\(path): wrong magic at byte 0: an .npy file starts with \\x93NUMPY")
  #expect(
    try npyError(npyBytes(header: header(">f4"), body: twoFloats))
      == "\(path): big-endian dtype '>f4' is not supported; convert with a.astype('<f4')")
  #expect(
    try npyError(npyBytes(header: header("|O"), body: []))
      == "\(path): unsupported object dtype '|O': only numeric arrays (float, int, uint, bool) can be read")
  #expect(
    try npyError(npyBytes(header: header("<f4", fortran: "True", shape: "(1, 2)"), body: twoFloats))
      == "\(path): fortran_order is True: the data is column-major; save it C-ordered "
      + "(numpy.save(path, numpy.ascontiguousarray(a)))")
  #expect(
    try npyError(npyBytes(header: header("<f4", shape: "(3,)"), body: twoFloats))
      == "\(path): truncated at byte 136: shape [3] of <f4 needs 12 bytes from byte 128 but only 8 follow")
  #expect(
    try npyError(npyBytes(header: header("<f4", shape: "(1,)"), body: twoFloats))
      == "\(path): 4 unexpected bytes after the data at byte 132")
  #expect(
    try npyError(
      npyBytes(header: "{'descr' '<f4', 'fortran_order': False, 'shape': (2,), }", body: twoFloats))?
      .hasPrefix("\(path): bad header at byte 19: expected ':' but found ''' in {'descr' '<f4'") == true)
  #expect(
    try npyError(npyBytes(header: "{'descr': '<f4', 'shape': (2,), }", body: twoFloats))
      == "\(path): bad header at byte 10: no 'fortran_order' True/False in {'descr': '<f4', 'shape': (2,), }")
  #expect(
    try npyError(
      npyBytes(header: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", body: twoFloats))?
      .hasPrefix("\(path): structured dtype") == true)
  #expect(
    try npyError([0x93] + Array("NUMPY".utf8) + [1, 0, 200, 0, 123])
      == "\(path): truncated at byte 11: the header is 200 bytes from byte 10")
  #expect(
    try npyError([0x93] + Array("NUMPY".utf8) + [4, 0, 0, 0])
      == "\(path): unsupported .npy format version 4.0 at byte 6 (1, 2 or 3 expected)")
}

@Test func npyPairsMustAgree() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let samples = try writeFile(
    directory, "x.npy",
    npyBytes(header: float32Header, body: littleEndianBytes([Float](repeating: 0, count: 12))))
  func labelsError(_ header: String, _ body: [UInt8], classes: Int? = nil) throws -> String? {
    let labels = try writeFile(directory, "y.npy", npyBytes(header: header, body: body))
    return dataError { try Dataset.readNPY(samples: samples, labels: labels, classes: classes) }?.description
  }
  let labels = directory + "/y.npy"
  #expect(
    try labelsError(
      "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", littleEndianBytes([Int64(0), 1]))
      == "\(labels): has 2 labels but \(samples) has 3 samples")
  #expect(
    try labelsError(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", littleEndianBytes([Float(0), 1.5, 2]))
      == "\(labels): label 1.5 of sample 1 is not an integer")
  #expect(
    try labelsError(
      "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", littleEndianBytes([Int32(0), 1, -4]))
      == "\(labels): label -4 of sample 2 is negative")
  #expect(
    try labelsError(
      "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", littleEndianBytes([Int32(0), 3, 1]),
      classes: 3)
      == "\(labels): label 3 of sample 1 is out of range for 3 classes (0...2)")
  #expect(
    try labelsError(
      "{'descr': '<i4', 'fortran_order': False, 'shape': (3, 2), }",
      littleEndianBytes([Int32](repeating: 0, count: 6)))
      == "\(labels): has shape [3, 2]; labels need shape [count] or [count, 1]")
}
