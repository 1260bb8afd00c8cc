import Foundation
import NNCRandom
import Testing

@testable import NNCData

// Files crafted to make a reader allocate without bound, trap, block or accept garbage: each must be
// refused with a message naming the file.

@Test func idxHeadersWhoseByteSizeOverflowAreRefused() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  // 2^31 × 2^31 elements fit an Int, but 8 bytes each do not.
  let overflowing = try writeFile(
    directory, "overflow", idxBytes(typeCode: 0x0E, dimensions: [1 << 31, 1 << 31], body: []))
  #expect(
    dataError { try IDXReader.read(overflowing) }?.description
      == "\(overflowing): dimensions 2147483648×2147483648 of float64 are too large to address")
  // 80000000 × 80000000 float64 is addressable but far beyond the file: refused before reading.
  let huge = try writeFile(
    directory, "huge", idxBytes(typeCode: 0x0E, dimensions: [80_000_000, 80_000_000], body: [1, 2]))
  let message = dataError { try IDXReader.read(huge) }?.message ?? ""
  #expect(message.hasPrefix("truncated at byte 14: the header declares 80000000×80000000 float64"))
}

@Test func npyShapesWhoseByteSizeOverflowAreRefused() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let path = try writeFile(
    directory, "x.npy",
    npyBytes(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (1152921504606846976,), }", body: []))
  #expect(
    dataError { try NPYReader.read(path) }?.description
      == "\(path): shape [1152921504606846976] of <f8 is too large to address")
}

@Test func labelsTooLargeForAnIntegerAreReportedWithoutTrapping() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let samples = try writeFile(
    directory, "x.npy",
    npyBytes(header: "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", body: [1, 2]))
  func labelError(_ descr: String, _ body: [UInt8]) throws -> String? {
    let labels = try writeFile(
      directory, "y.npy",
      npyBytes(header: "{'descr': '\(descr)', 'fortran_order': False, 'shape': (2,), }", body: body))
    return dataError { try Dataset.readNPY(samples: samples, labels: labels) }?.message
  }
  let huge = try labelError("<f8", littleEndianBytes([Double(1).bitPattern, Double(1e300).bitPattern]))
  #expect(huge == "label \(Double(1e300)) of sample 1 is too large for a class index")
  let hugeNegative = try labelError(
    "<f8", littleEndianBytes([Double(-1e300).bitPattern, Double(1).bitPattern]))
  #expect(hugeNegative == "label \(Double(-1e300)) of sample 0 is negative")
  let largest = try labelError("<u8", littleEndianBytes([UInt64(0), UInt64.max]))
  #expect(largest == "label \(Double(UInt64.max)) of sample 1 is too large for a class index")
  let large = try labelError("<i8", littleEndianBytes([Int64(0), Int64(1) << 40]))
  #expect(large == "label \(Int64(1) << 40) of sample 1 is too large for a class index")
}

@Test func nonFiniteValuesInBinaryFilesAreRefused() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let labels = try writeFile(directory, "labels", idxBytes(dimensions: [2], body: [0, 1]))
  for (value, what) in [(Float.nan, "NaN"), (Float.infinity, "infinite"), (-Float.infinity, "infinite")] {
    let body = [Float(0.5), value].flatMap { withUnsafeBytes(of: $0.bitPattern.bigEndian) { Array($0) } }
    let images = try writeFile(directory, "images", idxBytes(typeCode: 0x0D, dimensions: [2, 1], body: body))
    #expect(
      dataError { try Dataset.readIDX(images: images, labels: labels) }?.description
        == "\(images): element 1 at byte 16 is \(what); values must be finite numbers")
  }
  let npyLabels = try writeFile(
    directory, "y.npy",
    npyBytes(header: "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", body: [0, 1]))
  let float32Body = littleEndianBytes([Float.nan, 1])
  let float32Bytes = npyBytes(
    header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", body: float32Body)
  let float32 = try writeFile(directory, "f4.npy", float32Bytes)
  #expect(
    dataError { try Dataset.readNPY(samples: float32, labels: npyLabels) }?.message
      == "element 0 at byte \(float32Bytes.count - float32Body.count) is NaN; values must be finite numbers")
  // A float64 beyond the float32 range would become infinite when stored.
  let float64Body = littleEndianBytes([Double(1).bitPattern, Double(1e300).bitPattern])
  let float64Bytes = npyBytes(
    header: "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", body: float64Body)
  let float64 = try writeFile(directory, "f8.npy", float64Bytes)
  #expect(
    dataError { try Dataset.readNPY(samples: float64, labels: npyLabels) }?.message
      == "element 1 at byte \(float64Bytes.count - float64Body.count + 8) is infinite or beyond the float32 "
      + "range; values must be finite numbers")
}

@Test func csvFieldsWithANulByteAreRefused() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let feature = try writeFile(directory, "feature.csv", "0,1\n1,5\0abc\n")
  #expect(
    dataError { try Dataset.readCSV(feature) }?.description
      == "\(feature):2: column 2 holds a NUL byte after '5'; is this a text file?")
  let label = try writeFile(directory, "label.csv", "1\0,2\n")
  #expect(
    dataError { try Dataset.readCSV(label) }?.description
      == "\(label):1: column 1 holds a NUL byte after '1'; is this a text file?")
}

@Test func npyHeaderErrorsGiveByteOffsetsPastNonASCIIText() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let path = try writeFile(directory, "x.npy", npyBytes(header: "{'ké' '<f4'}", body: []))
  let offset = 10 + "{'ké' ".utf8.count
  #expect(
    dataError { try NPYReader.read(path) }?.message.hasPrefix(
      "bad header at byte \(offset): expected ':' but found '''") == true)
}

/// The description of the `DataError` that `body` throws on another thread ("no error" when it
/// throws none), or a failure note when it has not finished within `seconds`: a reader that blocks
/// must fail the test, not hang it.
private func readError(within seconds: Double, _ body: @escaping @Sendable () throws -> Any) -> String {
  final class Box: @unchecked Sendable { var text = "" }
  let box = Box()
  let done = DispatchSemaphore(value: 0)
  Thread.detachNewThread {
    box.text = dataError { try body() }?.description ?? "no error"
    done.signal()
  }
  guard done.wait(timeout: .now() + seconds) == .success else { return "still reading after \(seconds) s" }
  return box.text
}

@Test func devicesFIFOsAndFoldersAreRefusedAsDataFiles() throws {
  let directory = try makeTemporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let fifo = directory + "/fifo"
  #expect(mkfifo(fifo, 0o600) == 0)
  let readers: [(String, @Sendable (String) throws -> Any)] = [
    ("idx", { try IDXReader.read($0) }), ("npy", { try NPYReader.read($0) }),
    ("csv", { try Dataset.readCSV($0) }), ("image", { try ImageCodec.read($0, channels: 1) }),
  ]
  let cases = [
    ("/dev/zero", "is a character device"), (fifo, "is a FIFO (named pipe)"), (directory, "is a directory"),
  ]
  for (name, reader) in readers {
    for (path, kind) in cases {
      let message = readError(within: 20) { try reader(path) }
      #expect(
        message == "\(path): \(kind), not a regular file; data and checkpoint files must be regular files",
        "\(name) reader on \(path)")
    }
  }
}

/// A PNG chunk: length, type, data and the CRC-32 of type and data.
private func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
  let typed = Array(type.utf8) + data
  var crc: UInt32 = 0xFFFF_FFFF
  for byte in typed {
    crc ^= UInt32(byte)
    for _ in 0..<8 { crc = crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
  }
  return withUnsafeBytes(of: UInt32(data.count).bigEndian) { Array($0) } + typed
    + withUnsafeBytes(of: (crc ^ 0xFFFF_FFFF).bigEndian) { Array($0) }
}

@Test func imagesDeclaringMorePixelsThanTheLimitAreRefusedBeforeDecoding() throws {
  let side = withUnsafeBytes(of: UInt32(16384).bigEndian) { Array($0) }
  // A grey 8-bit 16384×16384 PNG header, then a (bogus) data chunk: a few dozen bytes.
  let png: [UInt8] =
    [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + pngChunk("IHDR", side + side + [8, 0, 0, 0, 0])
    + pngChunk("IDAT", [0x78, 0x9C]) + pngChunk("IEND", [])
  let limit = ImageCodec.defaultMaxPixels
  #expect(
    dataError { try ImageCodec.decode(Data(png), channels: 1, path: "huge.png") }?.description
      == "huge.png: PNG header declares 16384x16384 = 268435456 pixels, more than the limit of \(limit) "
      + "(data.max_image_pixels raises it)")
  // A real JPEG whose frame header is patched to declare 16384×16384.
  var jpeg = [UInt8](try ImageCodec.encodeJPEG(gradientImage(channels: 1, height: 8, width: 8)))
  let frame = try #require((0..<jpeg.count - 1).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
  let side16 = withUnsafeBytes(of: UInt16(16384).bigEndian) { Array($0) }
  // After the marker: a 2-byte length, the sample precision, then height and width as 2 bytes each.
  jpeg.replaceSubrange(frame + 5..<frame + 9, with: side16 + side16)
  #expect(
    dataError { try ImageCodec.decode(Data(jpeg), channels: 3, path: "huge.jpg") }?.description
      == "huge.jpg: JPEG header declares 16384x16384 = 268435456 pixels, more than the limit of \(limit) "
      + "(data.max_image_pixels raises it)")
  // The limit is the caller's: a 4×5 image passes at 20 pixels and is refused at 19.
  let small = try ImageCodec.encodeJPEG(gradientImage(channels: 1, height: 4, width: 5))
  #expect(try ImageCodec.decode(small, channels: 1, path: "small.jpg", maxPixels: 20).width == 5)
  #expect(dataError { try ImageCodec.decode(small, channels: 1, path: "small.jpg", maxPixels: 19) } != nil)
}

@Test func theDataConfigurationsImageLimitReachesEveryFolder() throws {
  let folder = try temporaryFolder()
  defer { try? FileManager.default.removeItem(atPath: folder) }
  for name in ["a", "b"] {
    try FileManager.default.createDirectory(atPath: folder + "/" + name, withIntermediateDirectories: true)
    try ImageCodec.writePNG(gradientImage(channels: 1, height: 3, width: 4), to: folder + "/\(name)/1.png")
  }
  let source = DataSource.folder(path: folder, options: ImageFolderOptions(channels: 1, height: 2, width: 2))
  var data = DataConfiguration(train: DatasetConfiguration(source: source))
  var generator = RandomGenerator(seed: 1)
  #expect(try data.load(using: &generator).train.count == 2)
  data.maxImagePixels = 11
  #expect(
    dataError { try data.load(using: &generator) }?.message.hasPrefix(
      "PNG header declares 4x3 = 12 pixels, more than the limit of 11 (data.max_image_pixels raises it)")
      == true)
}
