import Foundation
import NNCRandom
import Testing

@testable import NNCTrain

/// A file made of a literal JSON header and data section.
private func fileBytes(_ header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
  let headerBytes = Array(header.utf8)
  let length = declaredLength ?? UInt64(headerBytes.count)
  return withUnsafeBytes(of: length.littleEndian) { Array($0) } + headerBytes + data
}

private func temporaryDirectory() throws -> String {
  let path = NSTemporaryDirectory() + "nnc-safetensors-\(UUID().uuidString)"
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// Parses and returns the error, failing the test if parsing succeeds.
private func parseError(_ bytes: [UInt8]) -> SafeTensorsError? {
  do {
    _ = try SafeTensorsFile.parse(bytes, file: "model.safetensors")
    Issue.record("expected parsing to fail")
    return nil
  } catch let error as SafeTensorsError {
    #expect(error.description.hasPrefix("model.safetensors: "))
    return error
  } catch {
    Issue.record("unexpected error type \(error)")
    return nil
  }
}

private func sample() throws -> SafeTensorsFile {
  SafeTensorsFile(
    tensors: [
      "conv1.weight": try SafeTensor([1.5, -2, 0.25, 3e-8, .infinity, -0.0], shape: [2, 3]),
      "optimizer.step": try SafeTensor([Int64(12_345_678_901), -1]),
      "rng.state": try SafeTensor([UInt64.max, 0, 42, 1 << 63]),
      "empty": try SafeTensor([Float](), shape: [0, 4]),
      "scalar": try SafeTensor([Float(7)], shape: []),
    ],
    metadata: ["format": "pt", "spec": "line \"one\"\n\tüñí ☃ \u{1}"])
}

@Test func roundTripThroughADiskFile() throws {
  let directory = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let path = directory + "/checkpoint.safetensors"
  let original = try sample()
  try original.write(to: path)
  let restored = try SafeTensorsFile.read(from: path)
  #expect(restored == original)
  #expect(try restored.tensors["rng.state"]!.uint64s() == [UInt64.max, 0, 42, 1 << 63])
  #expect(try restored.tensors["optimizer.step"]!.int64s() == [12_345_678_901, -1])
  #expect(
    restored.tensors["conv1.weight"]!.floats().map(\.bitPattern)
      == [1.5, -2, 0.25, 3e-8, Float.infinity, -0.0].map(\.bitPattern))
  // Only the final file remains: the temporary one was renamed over it.
  #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["checkpoint.safetensors"])

  // Overwriting replaces the whole file.
  try SafeTensorsFile(tensors: ["x": try SafeTensor([Float(1)])]).write(to: path)
  #expect(try SafeTensorsFile.read(from: path).tensors.keys.sorted() == ["x"])
}

@Test func layoutFollowsTheFormat() throws {
  let bytes = try sample().serialized()
  let headerLength = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
  #expect(headerLength % 8 == 0)
  let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
  let json = try JSONSerialization.jsonObject(with: Data(header.utf8)) as! [String: Any]
  let weight = json["conv1.weight"] as! [String: Any]
  #expect(weight["dtype"] as? String == "F32")
  #expect(weight["shape"] as? [Int] == [2, 3])
  let offsets = weight["data_offsets"] as! [Int]
  let start = 8 + headerLength + offsets[0]
  // Raw little-endian Float32 data at the offsets, relative to the data section.
  let first = bytes[start..<(start + 4)].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
  #expect(Float(bitPattern: first) == 1.5)
  #expect((json["__metadata__"] as? [String: String])?["format"] == "pt")
}

@Test func readsEveryDtype() throws {
  let header =
    #"{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"#
    + #""b":{"dtype":"I32","shape":[2],"data_offsets":[8,16]},"#
    + #""c":{"dtype":"U8","shape":[3],"data_offsets":[16,19]}}"#
  var data = withUnsafeBytes(of: (-2.5).bitPattern.littleEndian) { Array($0) }
  data += withUnsafeBytes(of: Int32(-7).littleEndian) { Array($0) }
  data += withUnsafeBytes(of: Int32(9).littleEndian) { Array($0) }
  data += [0, 128, 255]
  let file = try SafeTensorsFile.parse(fileBytes(header, data: data), file: "x")
  #expect(file.tensors["a"]!.floats() == [-2.5])
  #expect(try file.tensors["b"]!.int64s() == [-7, 9])
  #expect(file.tensors["c"]!.floats() == [0, 128, 255])
  #expect(throws: TrainError.self) { try file.tensors["a"]!.int64s() }
}

@Test func truncatedHeaderLength() {
  let error = parseError([1, 0, 0])
  #expect(error?.message.contains("truncated header") == true)
}

@Test func headerLengthLargerThanTheFile() {
  let error = parseError(fileBytes("{}", declaredLength: 4096))
  #expect(error?.message.contains("header length 4096 is larger") == true)
  #expect(error?.offset == 0)
  #expect(parseError(fileBytes("{}", declaredLength: UInt64.max))?.message.contains("limit") == true)
}

@Test func invalidJSONNamesTheOffset() {
  let error = parseError(fileBytes(#"{"a": {"dtype": "F32",, }}"#))
  #expect(error?.message.contains("invalid JSON") == true)
  #expect(error?.offset == 8 + 22)  // the second comma
  #expect(parseError(fileBytes(#"{"a": "#))?.message.contains("invalid JSON") == true)
  #expect(parseError(fileBytes("[1, 2]"))?.message.contains("must be a JSON object") == true)
  #expect(parseError(fileBytes(#"{"a":1} x"#))?.message.contains("after the JSON value") == true)
  let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
  #expect(parseError(fileBytes(#"{"a":"# + deep + "}"))?.message.contains("nesting") == true)
  #expect(
    parseError(fileBytes(#"{"\x":1}"#))?.message
      .contains("invalid JSON") == true)
  #expect(parseError([2, 0, 0, 0, 0, 0, 0, 0, 0x22, 0xFF])?.message.contains("invalid JSON") == true)
}

@Test func unknownDtype() {
  let error = parseError(
    fileBytes(#"{"w":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}"#, data: [0, 0]))
  #expect(error?.message.contains("unknown or unsupported dtype 'BF16'") == true)
  #expect(error?.offset == 8 + 14)
}

@Test func offsetsOutOfBounds() {
  let error = parseError(
    fileBytes(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [0, 0, 0, 0]))
  #expect(error?.message.contains("out of bounds") == true)
  #expect(error?.message.contains("'w'") == true)
}

@Test func overlappingOffsets() {
  let header =
    #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
    + #""b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
  let error = parseError(fileBytes(header, data: Array(repeating: 0, count: 12)))
  #expect(error?.message.contains("overlaps tensor 'a'") == true)
}

@Test func gapBetweenTensors() {
  let header =
    #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"#
    + #""b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
  let error = parseError(fileBytes(header, data: Array(repeating: 0, count: 12)))
  #expect(error?.message.contains("gap") == true)
}

@Test func offsetsNotMatchingShapeAndDtype() {
  let error = parseError(
    fileBytes(#"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))
  )
  #expect(error?.message.contains("needs 12") == true)
  let huge = #"{"w":{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#
  #expect(
    parseError(fileBytes(huge, data: Array(repeating: 0, count: 8)))?.message.contains("too large") == true)
  let negative = #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#
  #expect(parseError(fileBytes(negative, data: [0, 0, 0, 0]))?.message.contains("non-negative") == true)
  let backwards = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#
  #expect(parseError(fileBytes(backwards, data: [0, 0, 0, 0]))?.message.contains("begin <= end") == true)
}

@Test func dataSectionSizeMismatch() {
  let header = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
  let error = parseError(fileBytes(header, data: Array(repeating: 0, count: 6)))
  #expect(error?.message.contains("data section size mismatch") == true)
  #expect(error?.offset == 8 + header.utf8.count + 4)
}

@Test func malformedEntriesAndMetadata() {
  #expect(parseError(fileBytes(#"{"w":3}"#))?.message.contains("must be an object") == true)
  #expect(
    parseError(fileBytes(#"{"w":{"dtype":"F32","shape":[0]}}"#))?.message.contains("no 'data_offsets'")
      == true)
  #expect(parseError(fileBytes(#"{"__metadata__":{"a":1}}"#))?.message.contains("not a string") == true)
  let duplicate =
    #"{"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#
  #expect(parseError(fileBytes(duplicate))?.message.contains("duplicate") == true)
}

@Test func readingAMissingFileOrWritingToAMissingDirectoryThrows() {
  #expect(throws: SafeTensorsError.self) { try SafeTensorsFile.read(from: "/nonexistent/x.safetensors") }
  #expect(throws: SafeTensorsError.self) {
    try SafeTensorsFile(tensors: [:]).write(to: "/nonexistent/dir/x.safetensors")
  }
}

/// Random byte flips, insertions of header-significant characters and truncations must either parse
/// or throw `SafeTensorsError`; reaching the end of the loop proves nothing trapped.
@Test func randomCorruptionNeverCrashes() throws {
  let valid = try sample().serialized()
  var generator = RandomGenerator(seed: 2024)
  let interesting = Array(#"{}[]",:0123456789-eE.\u"#.utf8) + [0, 0xFF, 0x80]
  var outcomes = (parsed: 0, rejected: 0)
  for _ in 0..<3000 {
    var bytes = valid
    switch generator.next() % 4 {
    case 0:
      bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count))))
    case 1:
      for _ in 0..<(1 + generator.next() % 3) {
        let index = Int(generator.next() % UInt64(bytes.count))
        bytes[index] ^= UInt8(truncatingIfNeeded: 1 << (generator.next() % 8))
      }
    case 2:
      // Hit the JSON header specifically, where structure lives.
      let index = 8 + Int(generator.next() % UInt64(bytes.count - 8))
      bytes[index] = interesting[Int(generator.next() % UInt64(interesting.count))]
    default:
      let index = Int(generator.next() % 8)
      bytes[index] = UInt8(truncatingIfNeeded: generator.next())
    }
    do {
      _ = try SafeTensorsFile.parse(bytes, file: "fuzz")
      outcomes.parsed += 1
    } catch is SafeTensorsError {
      outcomes.rejected += 1
    }
  }
  #expect(outcomes.rejected > 0)
  #expect(outcomes.parsed + outcomes.rejected == 3000)
}

/// Written by the reference implementation (Python `safetensors` 0.8.0, `safetensors.numpy.save`):
/// fc.weight F32 [[0.5, -1.25, 3], [1e-3, -0, 2.5]], fc.bias F32 [0.125, -8], step I64 [7],
/// rng U64 [2^64 - 1, 1, 2^63], f64 F64 [pi], i32 I32 [-5, 6], u8 U8 [1, 2, 250], and metadata
/// {"format": "np", "note": "from python"}.
private let referenceFile =
  ""
  + "0AEAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmb3JtYXQiOiJucCIsIm5vdGUiOiJmcm9tIHB5dGhvbiJ9LCJybmciOnsiZHR5"
  + "cGUiOiJVNjQiLCJzaGFwZSI6WzNdLCJkYXRhX29mZnNldHMiOlswLDI0XX0sInN0ZXAiOnsiZHR5cGUiOiJJNjQiLCJzaGFw"
  + "ZSI6WzFdLCJkYXRhX29mZnNldHMiOlsyNCwzMl19LCJmNjQiOnsiZHR5cGUiOiJGNjQiLCJzaGFwZSI6WzFdLCJkYXRhX29m"
  + "ZnNldHMiOlszMiw0MF19LCJmYy5iaWFzIjp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOlsyXSwiZGF0YV9vZmZzZXRzIjpbNDAs"
  + "NDhdfSwiZmMud2VpZ2h0Ijp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOlsyLDNdLCJkYXRhX29mZnNldHMiOls0OCw3Ml19LCJp"
  + "MzIiOnsiZHR5cGUiOiJJMzIiLCJzaGFwZSI6WzJdLCJkYXRhX29mZnNldHMiOls3Miw4MF19LCJ1OCI6eyJkdHlwZSI6IlU4"
  + "Iiwic2hhcGUiOlszXSwiZGF0YV9vZmZzZXRzIjpbODAsODNdfX0gIP//////////AQAAAAAAAAAAAAAAAAAAgAcAAAAAAAAA"
  + "GC1EVPshCUAAAAA+AAAAwQAAAD8AAKC/AABAQG8SgzoAAACAAAAgQPv///8GAAAAAQL6"

@Test func readsAFileWrittenByTheReferenceImplementation() throws {
  let bytes = try #require(Data(base64Encoded: referenceFile))
  let file = try SafeTensorsFile.parse(Array(bytes), file: "reference.safetensors")
  #expect(file.metadata == ["format": "np", "note": "from python"])
  let weight = try #require(file.tensors["fc.weight"])
  #expect(weight.shape == [2, 3])
  #expect(weight.floats().map(\.bitPattern) == [Float]([0.5, -1.25, 3, 1e-3, -0.0, 2.5]).map(\.bitPattern))
  #expect(file.tensors["fc.bias"]?.floats() == [0.125, -8])
  #expect(try file.tensors["step"]?.int64s() == [7])
  #expect(try file.tensors["rng"]?.uint64s() == [UInt64.max, 1, 1 << 63])
  #expect(file.tensors["f64"]?.floats() == [Float(Double.pi)])
  #expect(try file.tensors["i32"]?.int64s() == [-5, 6])
  #expect(file.tensors["u8"]?.floats() == [1, 2, 250])
}

/// The error `body` throws on another thread, or a failure note when it has not thrown within
/// `seconds`: a read that blocks must fail the test, not hang it.
private func readError(within seconds: Double, _ body: @escaping @Sendable () throws -> Any) -> String {
  final class Box: @unchecked Sendable { var text = "" }
  let box = Box()
  let done = DispatchSemaphore(value: 0)
  Thread.detachNewThread {
    do {
      _ = try body()
      box.text = "no error"
    } catch {
      box.text = "\(error)"
    }
    done.signal()
  }
  guard done.wait(timeout: .now() + seconds) == .success else { return "still reading after \(seconds) s" }
  return box.text
}

@Test func devicesFIFOsAndFoldersAreRefusedAsCheckpoints() throws {
  let directory = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let fifo = directory + "/fifo.safetensors"
  #expect(mkfifo(fifo, 0o600) == 0)
  for (path, kind) in [
    ("/dev/zero", "is a character device"), (fifo, "is a FIFO (named pipe)"), (directory, "is a directory"),
  ] {
    let expected = "\(path): \(kind), not a regular file; data and checkpoint files must be regular files"
    #expect(readError(within: 20) { try SafeTensorsFile.read(from: path) } == expected)
    #expect(readError(within: 20) { try Checkpoint.read(from: path) } == expected)
  }
}

@Test func readingAFileChecksItsHeaderAgainstItsSize() throws {
  let directory = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let path = directory + "/x.safetensors"
  let header = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
  // A header length within the limit but beyond the file: refused without reading further.
  try Data(fileBytes(header, data: [0, 0, 0, 0], declaredLength: 50_000_000)).write(
    to: URL(fileURLWithPath: path))
  let fileSize = 8 + header.utf8.count + 4
  #expect(
    readError(within: 20) { try SafeTensorsFile.read(from: path) }
      == "\(path): at byte 0: header length 50000000 is larger than the \(fileSize - 8) bytes that follow it")
  // Data beyond what the header's tensors cover.
  try Data(fileBytes(header, data: [0, 0, 128, 63, 9])).write(to: URL(fileURLWithPath: path))
  #expect(
    readError(within: 20) { try SafeTensorsFile.read(from: path) }.contains("data section size mismatch"))
  try Data(fileBytes(header, data: [0, 0, 128, 63])).write(to: URL(fileURLWithPath: path))
  #expect(try SafeTensorsFile.read(from: path).tensors["w"]?.floats() == [1])
}
