import Foundation

/// TFRecord framing, the container of TensorBoard event files: each record is its length (8 bytes,
/// little-endian), the masked CRC-32C of those 8 bytes, the data, and the masked CRC-32C of the data.
public enum TFRecord {
  /// `data` framed as one record.
  public static func frame(_ data: Data) -> Data {
    var record = Data(capacity: data.count + 16)
    let length = littleEndianBytes(UInt64(data.count))
    record.append(contentsOf: length)
    record.append(contentsOf: littleEndianBytes(CRC32C.maskedChecksum(length)))
    record.append(data)
    record.append(contentsOf: littleEndianBytes(CRC32C.maskedChecksum(data)))
    return record
  }

  /// The records of `bytes` in order; a truncated record or a wrong checksum is an error giving its
  /// byte offset.
  public static func records(in bytes: Data) throws -> [Data] {
    let bytes = [UInt8](bytes)
    var records: [Data] = []
    var offset = 0
    while offset < bytes.count {
      guard bytes.count - offset >= 12 else {
        throw TFRecordError(offset: offset, reason: "a record header is cut short")
      }
      let lengthBytes = bytes[offset..<offset + 8]
      guard readUInt32(bytes, at: offset + 8) == CRC32C.maskedChecksum(lengthBytes) else {
        throw TFRecordError(offset: offset, reason: "the length's checksum does not match")
      }
      let length = lengthBytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
      // Header, data and the data's checksum must all be there.
      let available = bytes.count - offset - 16
      guard available >= 0, length <= UInt64(available) else {
        throw TFRecordError(offset: offset, reason: "the record of \(length) bytes is cut short")
      }
      let start = offset + 12
      let end = start + Int(length)
      guard readUInt32(bytes, at: end) == CRC32C.maskedChecksum(bytes[start..<end]) else {
        throw TFRecordError(offset: offset, reason: "the data's checksum does not match")
      }
      records.append(Data(bytes[start..<end]))
      offset = end + 4
    }
    return records
  }

  static func littleEndianBytes<Value: FixedWidthInteger>(_ value: Value) -> [UInt8] {
    (0..<Value.bitWidth / 8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
  }

  static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << ($1 * 8) }
  }
}

/// A malformed TFRecord stream.
public struct TFRecordError: Error, CustomStringConvertible, Equatable {
  public var offset: Int
  public var reason: String
  public var description: String { "malformed TFRecord at byte \(offset): \(reason)" }
}
