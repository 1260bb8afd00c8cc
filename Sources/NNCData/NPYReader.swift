import Foundation

/// One array read from a NumPy `.npy` file (format versions 1, 2 and 3).
public struct NPYArray: Sendable, Equatable {
  public var elementType: ElementType
  public var shape: [Int]
  public var values: [Float]
  var exactValues: [Double]?
}

/// Reads `.npy` files: the magic `\x93NUMPY`, a version, a little-endian header length, a Python
/// dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (n, m), }` and the raw data.
public enum NPYReader {
  public static func read(_ path: String) throws -> NPYArray {
    try read(path, exact: false)
  }

  static func read(_ path: String, exact: Bool) throws -> NPYArray {
    let file = try RegularFile(path)
    // The preamble gives the header's length, the header the data's size: each is checked against
    // the file's size before the next part is read.
    let preamble = try file.bytes(0..<min(file.size, 12))
    let (headerStart, headerLength) = try preamble.withUnsafeBytes {
      try parsePreamble($0, fileSize: file.size, path: path)
    }
    let headerBytes = try file.bytes(0..<headerStart + headerLength)
    let header = try headerBytes.withUnsafeBytes { try parseHeader($0, fileSize: file.size, path: path) }
    let body = try file.bytes(header.dataStart..<header.dataStart + header.dataBytes)
    return try body.withUnsafeBytes { try decode($0, header: header, path: path, exact: exact) }
  }

  /// Opens the samples of an .npy file without reading them: they are read by range as batches
  /// need them, in their stored type. The header is checked against the size, and float elements
  /// are checked to be finite (chunk by chunk).
  static func openSamples(_ path: String) throws -> (header: Header, store: ElementStore) {
    let file = try RegularFile(path)
    let preamble = try file.bytes(0..<min(file.size, 12))
    let (headerStart, headerLength) = try preamble.withUnsafeBytes {
      try parsePreamble($0, fileSize: file.size, path: path)
    }
    let headerBytes = try file.bytes(0..<headerStart + headerLength)
    let header = try headerBytes.withUnsafeBytes { try parseHeader($0, fileSize: file.size, path: path) }
    let count = header.shape.first ?? 1
    let store = ElementStore(
      bytes: .file(file), elementType: header.elementType, bigEndian: false, dataStart: header.dataStart,
      sampleSize: count == 0 ? 0 : header.elementCount / count, sampleCount: count, path: path)
    try store.checkFinite()
    return (header, store)
  }

  static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

  /// What an .npy header declares.
  struct Header {
    var elementType: ElementType
    var shape: [Int]
    var elementCount: Int
    var dataStart: Int
    var dataBytes: Int
  }

  /// Checks the magic and version at the start of `bytes` and returns where the header dict starts
  /// and how long it is, checked against `fileSize`.
  static func parsePreamble(_ bytes: UnsafeRawBufferPointer, fileSize: Int, path: String) throws -> (
    start: Int, length: Int
  ) {
    guard bytes.count >= 10 else {
      throw DataError(path, "truncated at byte \(bytes.count): an .npy file starts with a 10-byte preamble")
    }
    guard Array(bytes.prefix(6)) == magic else {
      throw DataError(path, "wrong magic at byte 0: an .npy file starts with \\x93NUMPY")
    }
    let major = bytes[6]
    let headerLength: Int
    let headerStart: Int
    switch major {
    case 1:
      headerLength = Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
      headerStart = 10
    case 2, 3:
      guard bytes.count >= 12 else {
        throw DataError(path, "truncated at byte \(bytes.count): a version \(major) preamble has 12 bytes")
      }
      headerLength = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
      headerStart = 12
    default:
      throw DataError(
        path, "unsupported .npy format version \(major).\(bytes[7]) at byte 6 (1, 2 or 3 expected)")
    }
    guard fileSize >= headerStart + headerLength else {
      throw DataError(
        path,
        "truncated at byte \(fileSize): the header is \(headerLength) bytes from byte \(headerStart)")
    }
    return (headerStart, headerLength)
  }

  /// Parses the preamble and header dict at the start of `bytes` (a prefix of a file of `fileSize`
  /// bytes) and checks that the data it declares fills the rest of the file exactly.
  static func parseHeader(_ bytes: UnsafeRawBufferPointer, fileSize: Int, path: String) throws -> Header {
    let (headerStart, headerLength) = try parsePreamble(bytes, fileSize: fileSize, path: path)
    let dataStart = headerStart + headerLength
    let header = String(
      decoding: UnsafeRawBufferPointer(rebasing: bytes[headerStart..<dataStart]), as: UTF8.self)
    let fields: [String: NPYHeaderValue]
    do {
      var parser = NPYHeaderParser(header)
      fields = try parser.parseDictionary()
    } catch let error as NPYHeaderParser.Failure {
      throw DataError(
        path, "bad header at byte \(headerStart + error.offset): \(error.message) in \(header.trimmedHeader)")
    }
    guard case .string(let descr)? = fields["descr"] else {
      if fields["descr"] != nil {
        throw DataError(
          path, "structured dtype \(header.trimmedHeader) is not supported; save a plain numeric array")
      }
      throw DataError(path, "bad header at byte \(headerStart): no 'descr' key in \(header.trimmedHeader)")
    }
    guard case .bool(let fortranOrder)? = fields["fortran_order"] else {
      throw DataError(
        path, "bad header at byte \(headerStart): no 'fortran_order' True/False in \(header.trimmedHeader)")
    }
    guard !fortranOrder else {
      throw DataError(
        path,
        "fortran_order is True: the data is column-major; save it C-ordered "
          + "(numpy.save(path, numpy.ascontiguousarray(a)))")
    }
    guard case .tuple(let shape)? = fields["shape"] else {
      throw DataError(path, "bad header at byte \(headerStart): no 'shape' tuple in \(header.trimmedHeader)")
    }
    let elementType = try decodeDescr(descr, path: path)
    guard let (elementCount, dataBytes) = elementType.byteSize(of: shape) else {
      throw DataError(path, "shape \(shape) of \(descr) is too large to address")
    }
    let available = fileSize - dataStart
    guard available >= dataBytes else {
      throw DataError(
        path,
        "truncated at byte \(fileSize): shape \(shape) of \(descr) needs \(dataBytes) bytes from byte "
          + "\(dataStart) but only \(available) follow")
    }
    guard available == dataBytes else {
      throw DataError(
        path, "\(available - dataBytes) unexpected bytes after the data at byte \(dataStart + dataBytes)")
    }
    return Header(
      elementType: elementType, shape: shape, elementCount: elementCount, dataStart: dataStart,
      dataBytes: dataBytes)
  }

  /// Parses a whole .npy file held in memory.
  static func parse(_ bytes: UnsafeRawBufferPointer, path: String, exact: Bool) throws -> NPYArray {
    let header = try parseHeader(bytes, fileSize: bytes.count, path: path)
    return try decode(
      UnsafeRawBufferPointer(rebasing: bytes[header.dataStart...]), header: header, path: path, exact: exact)
  }

  static func decode(_ body: UnsafeRawBufferPointer, header: Header, path: String, exact: Bool) throws
    -> NPYArray
  {
    let values = header.elementType.decodeFloats(body, count: header.elementCount, bigEndian: false)
    // Exact values are labels, checked as whole numbers (with a message about labels) instead.
    if !exact {
      try checkFinite(values, elementType: header.elementType, dataStart: header.dataStart, path: path)
    }
    return NPYArray(
      elementType: header.elementType, shape: header.shape, values: values,
      exactValues: exact
        ? header.elementType.decodeDoubles(body, count: header.elementCount, bigEndian: false) : nil)
  }

  /// Maps a NumPy type string ('<f4', '|u1', ...) to an element type. Only little-endian (or
  /// byte-order-free) numeric types are read: this machine is little-endian and nnc stores Float32.
  static func decodeDescr(_ descr: String, path: String) throws -> ElementType {
    let characters = Array(descr)
    guard characters.count >= 2, "<>|=".contains(characters[0]) else {
      throw DataError(path, "unsupported dtype '\(descr)': expected e.g. '<f4', '<f8', '|u1', '<i8'")
    }
    let order = characters[0]
    let kind = characters[1]
    let size = Int(String(characters[2...])) ?? 0
    if order == ">" && size > 1 {
      throw DataError(
        path, "big-endian dtype '\(descr)' is not supported; convert with a.astype('<\(kind)\(size)')")
    }
    let type: ElementType? =
      switch (kind, size) {
      case ("f", 2): .float16
      case ("f", 4): .float32
      case ("f", 8): .float64
      case ("u", 1): .uint8
      case ("u", 2): .uint16
      case ("u", 4): .uint32
      case ("u", 8): .uint64
      case ("i", 1): .int8
      case ("i", 2): .int16
      case ("i", 4): .int32
      case ("i", 8): .int64
      case ("b", 1): .bool
      default: nil
      }
    guard let type else {
      let what = kind == "O" ? "object dtype" : kind == "U" || kind == "S" ? "string dtype" : "dtype"
      throw DataError(
        path, "unsupported \(what) '\(descr)': only numeric arrays (float, int, uint, bool) can be read")
    }
    return type
  }
}

extension String {
  fileprivate var trimmedHeader: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}

extension Dataset {
  /// Reads samples and labels from two `.npy` files: samples of shape `[count, ...]` (a 1-D array
  /// gives one value per sample) and integer labels of shape `[count]` or `[count, 1]`.
  public static func readNPY(samples: String, labels: String, classes: Int? = nil) throws -> Dataset {
    let (sampleArray, sampleStore) = try NPYReader.openSamples(samples)
    let labelArray = try NPYReader.read(labels, exact: true)
    guard let count = sampleArray.shape.first else {
      throw DataError(samples, "is a 0-dimensional array; samples need shape [count, ...]")
    }
    guard labelArray.shape.count == 1 || (labelArray.shape.count == 2 && labelArray.shape[1] == 1) else {
      throw DataError(labels, "has shape \(labelArray.shape); labels need shape [count] or [count, 1]")
    }
    guard labelArray.shape[0] == count else {
      throw DataError(labels, "has \(labelArray.shape[0]) labels but \(samples) has \(count) samples")
    }
    let sampleShape = sampleArray.shape.count == 1 ? [1] : Array(sampleArray.shape.dropFirst())
    guard sampleShape.allSatisfy({ $0 > 0 }) else {
      throw DataError(samples, "sample shape \(sampleShape) has a zero dimension")
    }
    let labelValues = try integerLabels(labelArray.exactValues ?? [], file: labels)
    let classCount = try validateLabels(labelValues, classes: classes, file: labels)
    return try Dataset(
      storage: .elements(sampleStore), storedCount: count, valueCount: sampleArray.elementCount,
      labels: labelValues, sampleShape: sampleShape, classes: classCount, source: samples)
  }
}
