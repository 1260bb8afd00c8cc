import Foundation

/// A prediction log as bytes, so the ranks of a data-parallel run can gather each other's: six
/// little-endian 64-bit counts (labels, predictions, probabilities, targets, outputs, batch ends),
/// then the arrays' bytes in that order (the batch ends as 64-bit counts, the rest 32-bit values).
extension PredictionLog {
  static let arrayCount = 5

  func encoded() -> [UInt8] {
    var bytes: [UInt8] = []
    for count in [labels.count, predictions.count, probabilities.count, targets.count, outputs.count] {
      withUnsafeBytes(of: UInt64(count).littleEndian) { bytes.append(contentsOf: $0) }
    }
    withUnsafeBytes(of: UInt64(batchEnds.count).littleEndian) { bytes.append(contentsOf: $0) }
    labels.withUnsafeBytes { bytes.append(contentsOf: $0) }
    predictions.withUnsafeBytes { bytes.append(contentsOf: $0) }
    probabilities.withUnsafeBytes { bytes.append(contentsOf: $0) }
    targets.withUnsafeBytes { bytes.append(contentsOf: $0) }
    outputs.withUnsafeBytes { bytes.append(contentsOf: $0) }
    for end in batchEnds {
      withUnsafeBytes(of: UInt64(end).littleEndian) { bytes.append(contentsOf: $0) }
    }
    return bytes
  }

  /// The log `encoded()` wrote (another rank's).
  init(encoded bytes: [UInt8]) throws {
    let word = MemoryLayout<UInt64>.size
    let header = (Self.arrayCount + 1) * word
    guard bytes.count >= header else { throw TrainError("a gathered prediction log is truncated") }
    func count(at offset: Int) -> Int {
      Int(
        truncatingIfNeeded: UInt64(
          littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self) }))
    }
    let counts = (0...Self.arrayCount).map { count(at: $0 * word) }
    let expected =
      counts.allSatisfy { $0 >= 0 && $0 <= bytes.count }
      ? header + 4 * counts[0..<Self.arrayCount].reduce(0, +) + word * counts[Self.arrayCount] : -1
    guard bytes.count == expected else {
      throw TrainError("a gathered prediction log has \(bytes.count) bytes, not what its counts say")
    }
    var offset = header
    func take<Element>(_ count: Int, as type: Element.Type) -> [Element] {
      defer { offset += count * 4 }
      return (0..<count).map { index in
        bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + index * 4, as: type) }
      }
    }
    self.init()
    labels = take(counts[0], as: Int32.self)
    predictions = take(counts[1], as: Int32.self)
    probabilities = take(counts[2], as: Float.self)
    targets = take(counts[3], as: Float.self)
    outputs = take(counts[4], as: Float.self)
    batchEnds = (0..<counts[Self.arrayCount]).map { count(at: offset + $0 * word) }
    guard batchEnds.count % Self.arrayCount == 0 else {
      throw TrainError("a gathered prediction log's batch ends are not whole batches")
    }
  }

  /// Appends `other`'s predictions (a shard that follows this one's samples).
  mutating func append(_ other: PredictionLog) {
    labels += other.labels
    predictions += other.predictions
    probabilities += other.probabilities
    targets += other.targets
    outputs += other.outputs
  }

  /// The ranks' training logs merged in the order one process records them: batch by batch, each
  /// batch's parts in rank order (rank r holds the r-th part of every global batch).
  static func interleavingBatches(of shards: [PredictionLog]) throws -> PredictionLog {
    let batches = (shards.first?.batchEnds.count ?? 0) / arrayCount
    guard shards.allSatisfy({ $0.batchEnds.count == batches * arrayCount }) else {
      throw TrainError("the ranks' training predictions cover different numbers of batches")
    }
    var merged = PredictionLog()
    for batch in 0..<batches {
      for shard in shards {
        func part(_ array: Int) throws -> Range<Int> {
          let start = batch == 0 ? 0 : shard.batchEnds[(batch - 1) * arrayCount + array]
          let end = shard.batchEnds[batch * arrayCount + array]
          guard start <= end else { throw TrainError("a gathered prediction log's batch ends decrease") }
          return start..<end
        }
        try merged.labels += shard.labels[part(0)]
        try merged.predictions += shard.predictions[part(1)]
        try merged.probabilities += shard.probabilities[part(2)]
        try merged.targets += shard.targets[part(3)]
        try merged.outputs += shard.outputs[part(4)]
      }
      merged.endBatch()
    }
    return merged
  }
}
