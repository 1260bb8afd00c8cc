import Foundation

/// One array read from an IDX file (the MNIST format): a big-endian header of two zero bytes, a type
/// code, the number of dimensions, then each dimension as a uint32, then the elements row-major.
public struct IDXArray: Sendable, Equatable {
  public var elementType: ElementType
  public var dimensions: [Int]
  /// The elements as Floats (exact for uint8, int8, int16 and float32).
  public var values: [Float]
  /// The elements as Doubles, exact for integer types: labels are decoded from these.
  var exactValues: [Double]?
}

/// Reads IDX files, checking the magic number, the dimension count and that the size matches the header.
public enum IDXReader {
  /// The IDX type codes (third byte of the magic number).
  static func elementType(code: UInt8) -> ElementType? {
    switch code {
    case 0x08: .uint8
    case 0x09: .int8
    case 0x0B: .int16
    case 0x0C: .int32
    case 0x0D: .float32
    case 0x0E: .float64
    default: nil
    }
  }

  /// Reads an IDX file, checking its header against its size.
  public static func read(_ path: String) throws -> IDXArray {
    try read(path, exact: false)
  }

  /// With `exact`, the elements are also kept as Doubles (labels are decoded from those).
  static func read(_ path: String, exact: Bool) throws -> IDXArray {
    if GzipFile.isGzip(path) {
      let bytes = try GzipFile.inflate(path)
      return try inflatedError(path) {
        try bytes.withUnsafeBytes { try parse($0, path: path, exact: exact) }
      }
    }
    let file = try RegularFile(path)
    // The header is at most 4 + 4 × 255 bytes; the body is read only once the header agrees with
    // the file's size.
    let prefix = try file.bytes(0..<min(file.size, 4 + 4 * 255))
    let header = try prefix.withUnsafeBytes { try parseHeader($0, fileSize: file.size, path: path) }
    let body = try file.bytes(header.dataStart..<header.dataStart + header.dataBytes)
    return try body.withUnsafeBytes { try decode($0, header: header, path: path, exact: exact) }
  }

  /// Opens the samples of an IDX file without reading them: a plain file is read by range as
  /// batches need its samples, a gzip file is inflated once into memory. The header is checked
  /// against the size, and float elements are checked to be finite (chunk by chunk).
  static func openSamples(_ path: String) throws -> (header: Header, store: ElementStore) {
    let header: Header
    let bytes: ElementStore.Bytes
    if GzipFile.isGzip(path) {
      let inflated = try GzipFile.inflate(path)
      header = try inflatedError(path) {
        try inflated.withUnsafeBytes { try parseHeader($0, fileSize: inflated.count, path: path) }
      }
      bytes = .memory(inflated)
    } else {
      let file = try RegularFile(path)
      let prefix = try file.bytes(0..<min(file.size, 4 + 4 * 255))
      header = try prefix.withUnsafeBytes { try parseHeader($0, fileSize: file.size, path: path) }
      bytes = .file(file)
    }
    let count = header.dimensions.first ?? 0
    let store = ElementStore(
      bytes: bytes, elementType: header.elementType, bigEndian: true, dataStart: header.dataStart,
      sampleSize: count == 0 ? 0 : header.elementCount / count, sampleCount: count, path: path)
    try inflatedError(path) { try store.checkFinite() }
    return (header, store)
  }

  /// Says that a byte offset in an error about a gzip file's contents counts inflated bytes.
  static func inflatedError<T>(_ path: String, _ body: () throws -> T) throws -> T {
    guard GzipFile.isGzip(path) else { return try body() }
    do {
      return try body()
    } catch var error as DataError {
      error.message += " (offsets count inflated bytes)"
      throw error
    }
  }

  /// What an IDX header declares.
  struct Header {
    var elementType: ElementType
    var dimensions: [Int]
    var elementCount: Int
    var dataStart: Int
    var dataBytes: Int
  }

  /// Parses the header at the start of `bytes` (a prefix of a file of `fileSize` bytes) and checks
  /// that the data it declares fills the rest of the file exactly.
  static func parseHeader(_ bytes: UnsafeRawBufferPointer, fileSize: Int, path: String) throws -> Header {
    guard bytes.count >= 4 else {
      throw DataError(path, "truncated at byte \(bytes.count): an IDX file starts with a 4-byte magic number")
    }
    let magic = bytes.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    let magicText = "0x" + String(magic, radix: 16, uppercase: true).leftPadded(to: 8)
    guard bytes[0] == 0, bytes[1] == 0 else {
      throw DataError(
        path,
        "wrong magic number \(magicText) at byte 0: an IDX file starts with two zero bytes "
          + "(0x00000801 for labels, 0x00000803 for images); is this an IDX file (not gzip-compressed)?")
    }
    guard let elementType = elementType(code: bytes[2]) else {
      throw DataError(
        path,
        "unknown element type 0x\(String(bytes[2], radix: 16, uppercase: true)) at byte 2 of magic number "
          + "\(magicText) (expected 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32 "
          + "or 0x0E float64)")
    }
    let rank = Int(bytes[3])
    guard rank >= 1 else {
      throw DataError(path, "magic number \(magicText) declares 0 dimensions at byte 3; at least 1 is needed")
    }
    let headerSize = 4 + 4 * rank
    guard bytes.count >= headerSize else {
      throw DataError(
        path,
        "truncated at byte \(bytes.count): the header declares \(rank) dimensions and needs "
          + "\(headerSize) bytes")
    }
    var dimensions: [Int] = []
    for axis in 0..<rank {
      dimensions.append(
        Int(UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 4 + 4 * axis, as: UInt32.self))))
    }
    let shapeText = dimensions.map(String.init).joined(separator: "×")
    guard let (elementCount, dataBytes) = elementType.byteSize(of: dimensions) else {
      throw DataError(path, "dimensions \(shapeText) of \(elementType) are too large to address")
    }
    let available = fileSize - headerSize
    guard available >= dataBytes else {
      throw DataError(
        path,
        "truncated at byte \(fileSize): the header declares \(shapeText) \(elementType) "
          + "(\(dataBytes) bytes from byte \(headerSize)) but only \(available) bytes follow")
    }
    guard available == dataBytes else {
      throw DataError(
        path,
        "\(available - dataBytes) unexpected bytes after the data at byte \(headerSize + dataBytes): "
          + "the header declares \(shapeText) \(elementType)")
    }
    return Header(
      elementType: elementType, dimensions: dimensions, elementCount: elementCount, dataStart: headerSize,
      dataBytes: dataBytes)
  }

  /// Parses a whole IDX file held in memory.
  static func parse(_ bytes: UnsafeRawBufferPointer, path: String, exact: Bool) throws -> IDXArray {
    let header = try parseHeader(bytes, fileSize: bytes.count, path: path)
    let body = UnsafeRawBufferPointer(rebasing: bytes[header.dataStart...])
    return try decode(body, header: header, path: path, exact: exact)
  }

  static func decode(_ body: UnsafeRawBufferPointer, header: Header, path: String, exact: Bool) throws
    -> IDXArray
  {
    let values = header.elementType.decodeFloats(body, count: header.elementCount, bigEndian: true)
    // Exact values are labels, checked as whole numbers (with a message about labels) instead.
    if !exact {
      try checkFinite(values, elementType: header.elementType, dataStart: header.dataStart, path: path)
    }
    return IDXArray(
      elementType: header.elementType, dimensions: header.dimensions, values: values,
      exactValues: exact
        ? header.elementType.decodeDoubles(body, count: header.elementCount, bigEndian: true) : nil)
  }
}

extension Dataset {
  /// Reads an IDX pair: images of `[count, h, w]` become samples of `[1, h, w]`; other ranks keep
  /// their stored shape after the count (`[count, f]` → `[f]`, `[count, c, h, w]` → `[c, h, w]`).
  /// The labels file must hold `count` integer labels.
  public static func readIDX(images: String, labels: String, classes: Int? = nil) throws -> Dataset {
    let (imageHeader, imageStore) = try IDXReader.openSamples(images)
    let imageArray = (dimensions: imageHeader.dimensions, elementCount: imageHeader.elementCount)
    let labelArray = try IDXReader.read(labels, exact: true)
    guard imageArray.dimensions.count >= 2 else {
      throw DataError(
        images,
        "has 1 dimension \(imageArray.dimensions); a samples file needs [count, ...] "
          + "(is this the labels file?)")
    }
    guard labelArray.dimensions.count == 1 else {
      throw DataError(
        labels,
        "has dimensions \(labelArray.dimensions); a labels file needs exactly one "
          + "(is this the images file?)")
    }
    let count = imageArray.dimensions[0]
    guard labelArray.dimensions[0] == count else {
      throw DataError(
        labels,
        "has \(labelArray.dimensions[0]) labels but \(images) has \(count) samples")
    }
    var sampleShape = Array(imageArray.dimensions.dropFirst())
    if sampleShape.count == 2 { sampleShape.insert(1, at: 0) }
    guard sampleShape.allSatisfy({ $0 > 0 }) || count == 0 else {
      throw DataError(images, "sample shape \(sampleShape) has a zero dimension")
    }
    let labelValues = try integerLabels(labelArray.exactValues ?? [], file: labels)
    let classCount = try validateLabels(labelValues, classes: classes, file: labels)
    return try Dataset(
      storage: .elements(imageStore), storedCount: count, valueCount: imageArray.elementCount,
      labels: labelValues, sampleShape: sampleShape, classes: classCount, source: images)
  }
}

extension String {
  func leftPadded(to width: Int, with pad: Character = "0") -> String {
    count >= width ? self : String(repeating: pad, count: width - count) + self
  }
}
