import NNCData
import NNCSpec

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A failure to read or write a safetensors file, naming the file, what is wrong and, where it
/// applies, the byte offset in the file.
public struct SafeTensorsError: Error, CustomStringConvertible, Sendable, Equatable {
  public var file: String
  public var message: String
  /// Byte offset from the start of the file, when the problem is at a particular place.
  public var offset: Int?

  public init(file: String, message: String, offset: Int? = nil) {
    self.file = file
    self.message = message
    self.offset = offset
  }

  public var description: String {
    if let offset { return "\(file): at byte \(offset): \(message)" }
    return "\(file): \(message)"
  }
}

/// One tensor of a safetensors file: element type, shape and raw little-endian bytes.
public struct SafeTensor: Sendable, Equatable {
  /// Element types nnc reads; it writes F32, I64 and U64.
  public enum DType: String, Sendable, Equatable, CaseIterable {
    case F32, F64, I64, U64, I32, U8

    /// Bytes per element.
    public var size: Int {
      switch self {
      case .F32, .I32: return 4
      case .F64, .I64, .U64: return 8
      case .U8: return 1
      }
    }
  }

  public var dtype: DType
  public var shape: [Int]
  public var bytes: [UInt8]

  /// Number of elements, the product of the shape (1 for a scalar).
  public var elementCount: Int { shape.reduce(1, *) }

  /// A tensor from raw bytes; throws if their length does not match shape × dtype size.
  public init(dtype: DType, shape: [Int], bytes: [UInt8]) throws {
    guard shape.allSatisfy({ $0 >= 0 }) else {
      throw TrainError("safetensors: negative dimension in shape \(shape)")
    }
    var expected = dtype.size
    for dimension in shape {
      let (product, overflow) = expected.multipliedReportingOverflow(by: dimension)
      guard !overflow else { throw TrainError("safetensors: shape \(shape) is too large") }
      expected = product
    }
    guard bytes.count == expected else {
      throw TrainError(
        "safetensors: \(dtype.rawValue) tensor of shape \(shape) needs \(expected) bytes, "
          + "got \(bytes.count)")
    }
    self.dtype = dtype
    self.shape = shape
    self.bytes = bytes
  }

  /// An F32 tensor; `shape` defaults to one dimension of `values.count`.
  public init(_ values: [Float], shape: [Int]? = nil) throws {
    try self.init(
      dtype: .F32, shape: shape ?? [values.count],
      bytes: littleEndianBytes(values.map { $0.bitPattern }))
  }

  /// An I64 tensor (epoch and step counters).
  public init(_ values: [Int64], shape: [Int]? = nil) throws {
    try self.init(
      dtype: .I64, shape: shape ?? [values.count],
      bytes: littleEndianBytes(values.map { UInt64(bitPattern: $0) }))
  }

  /// A U64 tensor (random generator state).
  public init(_ values: [UInt64], shape: [Int]? = nil) throws {
    try self.init(dtype: .U64, shape: shape ?? [values.count], bytes: littleEndianBytes(values))
  }

  /// The elements as Float, converting from any numeric dtype (PyTorch exports may be F64).
  public func floats() -> [Float] {
    switch dtype {
    case .F32: return words(UInt32.self).map { Float(bitPattern: $0) }
    case .F64: return words(UInt64.self).map { Float(Double(bitPattern: $0)) }
    case .I64: return words(UInt64.self).map { Float(Int64(bitPattern: $0)) }
    case .U64: return words(UInt64.self).map { Float($0) }
    case .I32: return words(UInt32.self).map { Float(Int32(bitPattern: $0)) }
    case .U8: return bytes.map { Float($0) }
    }
  }

  /// The elements as signed integers; only for integer dtypes (U64 values above Int64.max wrap).
  public func int64s() throws -> [Int64] {
    switch dtype {
    case .I64, .U64: return words(UInt64.self).map { Int64(bitPattern: $0) }
    case .I32: return words(UInt32.self).map { Int64(Int32(bitPattern: $0)) }
    case .U8: return bytes.map { Int64($0) }
    case .F32, .F64: throw TrainError("safetensors: expected an integer tensor, found \(dtype.rawValue)")
    }
  }

  /// The elements as unsigned 64-bit words; only for I64 and U64 tensors (bit patterns kept).
  public func uint64s() throws -> [UInt64] {
    switch dtype {
    case .I64, .U64: return words(UInt64.self)
    default: throw TrainError("safetensors: expected a 64-bit integer tensor, found \(dtype.rawValue)")
    }
  }

  private func words<W: FixedWidthInteger>(_ type: W.Type) -> [W] {
    let size = MemoryLayout<W>.size
    return bytes.withUnsafeBytes { raw in
      (0..<(raw.count / size)).map {
        W(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * size, as: W.self))
      }
    }
  }
}

private func littleEndianBytes<W: FixedWidthInteger>(_ words: [W]) -> [UInt8] {
  var bytes: [UInt8] = []
  bytes.reserveCapacity(words.count * MemoryLayout<W>.size)
  for word in words {
    withUnsafeBytes(of: word.littleEndian) { bytes.append(contentsOf: $0) }
  }
  return bytes
}

/// A safetensors file: an 8-byte little-endian header length N, N bytes of JSON header mapping each
/// tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the data
/// section) plus an optional `"__metadata__"` string map, then the tensor data.
public struct SafeTensorsFile: Sendable, Equatable {
  public var tensors: [String: SafeTensor]
  public var metadata: [String: String]

  public init(tensors: [String: SafeTensor], metadata: [String: String] = [:]) {
    self.tensors = tensors
    self.metadata = metadata
  }

  /// Headers beyond this are refused before anything is allocated (the reference implementation
  /// uses the same 100 MB limit).
  public static let maximumHeaderLength = 100_000_000

  // MARK: Writing

  /// The file's bytes. Tensors are laid out in name order and the header is padded with spaces to a
  /// multiple of 8 bytes so that the data section is aligned.
  public func serialized() -> [UInt8] {
    let names = tensors.keys.sorted()
    var header = "{"
    var entries: [String] = []
    if !metadata.isEmpty {
      let pairs = metadata.keys.sorted().map { "\(jsonQuoted($0)):\(jsonQuoted(metadata[$0]!))" }
      entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
    }
    var offset = 0
    for name in names {
      let tensor = tensors[name]!
      let end = offset + tensor.bytes.count
      let shape = tensor.shape.map(String.init).joined(separator: ",")
      entries.append(
        "\(jsonQuoted(name)):{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],"
          + "\"data_offsets\":[\(offset),\(end)]}")
      offset = end
    }
    header += entries.joined(separator: ",") + "}"
    var headerBytes = Array(header.utf8)
    while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
    var bytes = littleEndianBytes([UInt64(headerBytes.count)])
    bytes.reserveCapacity(8 + headerBytes.count + offset)
    bytes += headerBytes
    for name in names { bytes += tensors[name]!.bytes }
    return bytes
  }

  /// Writes the file atomically and durably (`AtomicFile`): the bytes go to a temporary file in the
  /// same directory, which is flushed to disk and then renamed over `path`, so a crash leaves either
  /// the old file or the new one, never a truncated checkpoint.
  public func write(to path: String) throws {
    do {
      try AtomicFile.write(serialized(), to: path, durable: true)
    } catch let error as DataError {
      throw SafeTensorsError(file: path, message: error.message)
    }
  }

  // MARK: Reading

  /// Reads and validates a file; every problem is reported as a `SafeTensorsError`. Only a regular
  /// file is read, and in order: the header length, then the header, then (once the header's
  /// tensors tile exactly the rest of the file) the data; so no read goes beyond what the header
  /// declares and the file's size confirms.
  public static func read(from path: String) throws -> SafeTensorsFile {
    do {
      let opened = try RegularFile(path)
      let lengthBytes = try opened.bytes(0..<min(opened.size, 8))
      let dataStart = try headerEnd(lengthBytes, fileSize: opened.size, file: path)
      let header = try opened.bytes(0..<dataStart)
      let (layout, metadata) = try parseLayout(header, fileSize: opened.size, file: path)
      let data = try opened.bytes(dataStart..<opened.size)
      return try assemble(layout, metadata: metadata, data: data[...])
    } catch let error as DataError {
      throw SafeTensorsError(file: path, message: error.message)
    }
  }

  /// Parses file bytes; `file` names the source in error messages.
  public static func parse(_ bytes: [UInt8], file: String) throws -> SafeTensorsFile {
    let (layout, metadata) = try parseLayout(bytes, fileSize: bytes.count, file: file)
    let dataStart = try headerEnd(bytes, fileSize: bytes.count, file: file)
    return try assemble(layout, metadata: metadata, data: bytes[dataStart...])
  }

  private typealias Layout = [(
    name: String, dtype: SafeTensor.DType, shape: [Int], begin: Int, end: Int, at: Int
  )]

  /// Where the data section starts (8 + the header length read from the first 8 of `bytes`), checked
  /// against the limit and against the size of the file.
  private static func headerEnd(_ bytes: [UInt8], fileSize: Int, file: String) throws -> Int {
    guard bytes.count >= 8 else {
      throw SafeTensorsError(
        file: file,
        message: "truncated header: the file has \(fileSize) bytes, fewer than the 8-byte header length")
    }
    let declared = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    guard declared <= UInt64(maximumHeaderLength) else {
      throw SafeTensorsError(
        file: file, message: "header length \(declared) exceeds the limit of \(maximumHeaderLength) bytes",
        offset: 0)
    }
    let headerLength = Int(declared)
    guard 8 + headerLength <= fileSize else {
      throw SafeTensorsError(
        file: file,
        message: "header length \(headerLength) is larger than the \(fileSize - 8) bytes that follow it",
        offset: 0)
    }
    return 8 + headerLength
  }

  /// Parses the header at the start of `bytes` (at least the header length and the header of a file
  /// of `fileSize` bytes) and checks that its tensors tile the data section exactly.
  private static func parseLayout(_ bytes: [UInt8], fileSize: Int, file: String) throws -> (
    Layout, [String: String]
  ) {
    func fail(_ message: String, at offset: Int? = nil) -> SafeTensorsError {
      SafeTensorsError(file: file, message: message, offset: offset)
    }
    let dataStart = try headerEnd(bytes, fileSize: fileSize, file: file)
    var parser = JSONParser(bytes: bytes, range: 8..<dataStart)
    let root: JSONValue
    do {
      root = try parser.parseDocument()
    } catch let error as JSONParser.Failure {
      throw fail("invalid JSON header: \(error.message)", at: error.offset)
    } catch {
      throw fail("invalid JSON header: \(error)", at: 8)
    }
    guard case .object(let members) = root.kind else {
      throw fail("the header must be a JSON object", at: root.offset)
    }

    var metadata: [String: String] = [:]
    var layout: Layout = []
    var seen = Set<String>()
    for member in members {
      guard seen.insert(member.key).inserted else {
        throw fail("duplicate entry '\(member.key)' in the header", at: member.value.offset)
      }
      if member.key == "__metadata__" {
        guard case .object(let pairs) = member.value.kind else {
          throw fail("__metadata__ must be an object of strings", at: member.value.offset)
        }
        for pair in pairs {
          guard case .string(let text) = pair.value.kind else {
            throw fail("__metadata__ value for '\(pair.key)' is not a string", at: pair.value.offset)
          }
          metadata[pair.key] = text
        }
        continue
      }
      layout.append(try tensorEntry(member.key, member.value, fail: fail))
    }

    // Offsets must tile the data section exactly: sorted by start, each begins where the previous
    // ended, and the last ends at the end of the file (as the reference reader requires).
    let dataLength = fileSize - dataStart
    layout.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
    var expectedBegin = 0
    var previousName: String?
    for entry in layout {
      if entry.begin < expectedBegin, let previousName {
        throw fail(
          "tensor '\(entry.name)' data [\(entry.begin), \(entry.end)) overlaps tensor '\(previousName)' "
            + "which ends at \(expectedBegin)", at: entry.at)
      }
      if entry.begin > expectedBegin {
        throw fail(
          "gap in the data section: tensor '\(entry.name)' starts at \(entry.begin) but the previous "
            + "data ends at \(expectedBegin)", at: entry.at)
      }
      guard entry.end <= dataLength else {
        throw fail(
          "tensor '\(entry.name)' data_offsets [\(entry.begin), \(entry.end)) are out of bounds: the "
            + "data section has \(dataLength) bytes", at: entry.at)
      }
      expectedBegin = entry.end
      previousName = entry.name
    }
    guard expectedBegin == dataLength else {
      throw fail(
        "data section size mismatch: tensors cover \(expectedBegin) bytes but the data section has "
          + "\(dataLength) bytes", at: dataStart + expectedBegin)
    }
    return (layout, metadata)
  }

  /// The tensors of a checked layout, cut from the data section.
  private static func assemble(_ layout: Layout, metadata: [String: String], data: ArraySlice<UInt8>) throws
    -> SafeTensorsFile
  {
    var tensors: [String: SafeTensor] = [:]
    for entry in layout {
      let slice = Array(data[(data.startIndex + entry.begin)..<(data.startIndex + entry.end)])
      tensors[entry.name] = try SafeTensor(dtype: entry.dtype, shape: entry.shape, bytes: slice)
    }
    return SafeTensorsFile(tensors: tensors, metadata: metadata)
  }

  private static func tensorEntry(
    _ name: String, _ value: JSONValue, fail: (String, Int?) -> SafeTensorsError
  ) throws -> (name: String, dtype: SafeTensor.DType, shape: [Int], begin: Int, end: Int, at: Int) {
    guard case .object(let fields) = value.kind else {
      throw fail("tensor '\(name)' must be an object with dtype, shape and data_offsets", value.offset)
    }
    func field(_ key: String) throws -> JSONValue {
      guard let found = fields.first(where: { $0.key == key }) else {
        throw fail("tensor '\(name)' has no '\(key)'", value.offset)
      }
      return found.value
    }
    func integers(_ key: String) throws -> [Int] {
      let array = try field(key)
      guard case .array(let items) = array.kind else {
        throw fail("tensor '\(name)': '\(key)' must be an array of integers", array.offset)
      }
      return try items.map { item in
        guard case .number(let text) = item.kind, let integer = Int(text), integer >= 0 else {
          throw fail("tensor '\(name)': '\(key)' must hold non-negative integers", item.offset)
        }
        return integer
      }
    }
    let dtypeValue = try field("dtype")
    guard case .string(let dtypeName) = dtypeValue.kind else {
      throw fail("tensor '\(name)': dtype must be a string", dtypeValue.offset)
    }
    guard let dtype = SafeTensor.DType(rawValue: dtypeName) else {
      let known = SafeTensor.DType.allCases.map(\.rawValue).joined(separator: ", ")
      throw fail(
        "tensor '\(name)' has unknown or unsupported dtype '\(dtypeName)' (supported: \(known))",
        dtypeValue.offset)
    }
    let shape = try integers("shape")
    let offsetsValue = try field("data_offsets")
    let offsets = try integers("data_offsets")
    guard offsets.count == 2, offsets[0] <= offsets[1] else {
      throw fail(
        "tensor '\(name)': data_offsets must be [begin, end] with begin <= end, got \(offsets)",
        offsetsValue.offset)
    }
    // Multiply with overflow checks: a crafted shape must not trap.
    var size = dtype.size
    for dimension in shape {
      let (product, overflow) = size.multipliedReportingOverflow(by: dimension)
      guard !overflow else {
        throw fail("tensor '\(name)': shape \(shape) is too large", value.offset)
      }
      size = product
    }
    guard offsets[1] - offsets[0] == size else {
      throw fail(
        "tensor '\(name)': data_offsets [\(offsets[0]), \(offsets[1])) span \(offsets[1] - offsets[0]) "
          + "bytes but shape \(shape) of \(dtype.rawValue) needs \(size)", offsetsValue.offset)
    }
    return (name, dtype, shape, offsets[0], offsets[1], offsetsValue.offset)
  }
}
