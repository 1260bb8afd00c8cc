/// The numeric element types the binary readers (IDX, NPY) can decode.
public enum ElementType: Sendable, Equatable, CustomStringConvertible {
  case uint8, int8, uint16, int16, uint32, int32, uint64, int64, float16, float32, float64, bool

  /// Bytes per element.
  public var byteCount: Int {
    switch self {
    case .uint8, .int8, .bool: 1
    case .uint16, .int16, .float16: 2
    case .uint32, .int32, .float32: 4
    case .uint64, .int64, .float64: 8
    }
  }

  public var description: String {
    switch self {
    case .uint8: "uint8"
    case .int8: "int8"
    case .uint16: "uint16"
    case .int16: "int16"
    case .uint32: "uint32"
    case .int32: "int32"
    case .uint64: "uint64"
    case .int64: "int64"
    case .float16: "float16"
    case .float32: "float32"
    case .float64: "float64"
    case .bool: "bool"
    }
  }

  /// Decodes `count` elements stored from the start of `bytes` (which must hold at least
  /// `count × byteCount` bytes) into Floats.
  func decodeFloats(_ bytes: UnsafeRawBufferPointer, count: Int, bigEndian: Bool) -> [Float] {
    if self == .uint8 {
      // The common case (every MNIST image), kept free of per-element dispatch.
      return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        for index in 0..<count { buffer[index] = Float(bytes[index]) }
        initialized = count
      }
    }
    return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      for index in 0..<count { buffer[index] = Float(value(at: index, in: bytes, bigEndian: bigEndian)) }
      initialized = count
    }
  }

  /// Decodes `count` elements stored from the start of `bytes` into `output`, exactly as
  /// `decodeFloats(_:count:bigEndian:)` does (one sample of a streamed data set at a time).
  func decodeFloats(
    _ bytes: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>, count: Int,
    bigEndian: Bool
  ) {
    if self == .uint8 {
      for index in 0..<count { output[index] = Float(bytes[index]) }
      return
    }
    for index in 0..<count { output[index] = Float(value(at: index, in: bytes, bigEndian: bigEndian)) }
  }

  /// Decodes `count` elements into Doubles, exact for every integer type up to 2^53 (labels).
  func decodeDoubles(_ bytes: UnsafeRawBufferPointer, count: Int, bigEndian: Bool) -> [Double] {
    (0..<count).map { value(at: $0, in: bytes, bigEndian: bigEndian) }
  }

  private func value(at index: Int, in bytes: UnsafeRawBufferPointer, bigEndian: Bool) -> Double {
    let offset = index * byteCount
    func word<T: FixedWidthInteger>(_: T.Type) -> T {
      let raw = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
      return bigEndian ? T(bigEndian: raw) : T(littleEndian: raw)
    }
    switch self {
    case .uint8: return Double(bytes[offset])
    case .int8: return Double(Int8(bitPattern: bytes[offset]))
    case .bool: return bytes[offset] == 0 ? 0 : 1
    case .uint16: return Double(word(UInt16.self))
    case .int16: return Double(word(Int16.self))
    case .uint32: return Double(word(UInt32.self))
    case .int32: return Double(word(Int32.self))
    case .uint64: return Double(word(UInt64.self))
    case .int64: return Double(word(Int64.self))
    case .float16: return Double(Float(Float16(bitPattern: word(UInt16.self))))
    case .float32: return Double(Float(bitPattern: word(UInt32.self)))
    case .float64: return Double(bitPattern: word(UInt64.self))
    }
  }
}
