import Foundation

/// A prediction log as bytes, so the ranks of a sharded evaluation can gather each other's: five
/// little-endian 64-bit counts (labels, predictions, probabilities, targets, outputs), then the
/// arrays' bytes in that order.
extension PredictionLog {
  func encoded() -> [UInt8] {
    var bytes: [UInt8] = []
    for count in [labels.count, predictions.count, probabilities.count, targets.count, outputs.count] {
      withUnsafeBytes(of: UInt64(count).littleEndian) { bytes.append(contentsOf: $0) }
    }
    labels.withUnsafeBytes { bytes.append(contentsOf: $0) }
    predictions.withUnsafeBytes { bytes.append(contentsOf: $0) }
    probabilities.withUnsafeBytes { bytes.append(contentsOf: $0) }
    targets.withUnsafeBytes { bytes.append(contentsOf: $0) }
    outputs.withUnsafeBytes { bytes.append(contentsOf: $0) }
    return bytes
  }

  /// Appends the log `encoded()` wrote (another rank's shard, which follows this one's samples).
  mutating func append(encoded bytes: [UInt8]) throws {
    let header = 5 * MemoryLayout<UInt64>.size
    guard bytes.count >= header else { throw TrainError("a gathered prediction log is truncated") }
    let counts = (0..<5).map { index in
      Int(
        UInt64(
          littleEndian: bytes.withUnsafeBytes {
            $0.loadUnaligned(fromByteOffset: index * MemoryLayout<UInt64>.size, as: UInt64.self)
          }))
    }
    guard bytes.count == header + 4 * counts.reduce(0, +) else {
      throw TrainError("a gathered prediction log has \(bytes.count) bytes, not what its counts say")
    }
    var offset = header
    func take<Element>(_ count: Int, as type: Element.Type) -> [Element] {
      defer { offset += count * 4 }
      return (0..<count).map { index in
        bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + index * 4, as: type) }
      }
    }
    labels += take(counts[0], as: Int32.self)
    predictions += take(counts[1], as: Int32.self)
    probabilities += take(counts[2], as: Float.self)
    targets += take(counts[3], as: Float.self)
    outputs += take(counts[4], as: Float.self)
  }
}
