import Dispatch

/// Averages the gradients of a data-parallel step over the ranks: each rank's gradients, weighted
/// by its share of the global batch, are packed into buckets of `bucketElements` floats, and each
/// full bucket is summed over the ranks with one in-place all-reduce (fewer, larger messages than
/// one per parameter) and unpacked. The buckets start after the whole backward pass: communication
/// does not yet overlap backward.
public final class GradientAverager {
  public let communicator: any Communicator
  public let bucketElements: Int
  private var bucket: [Float]
  /// Where each packed piece came from: the gradient, its offset and the piece's length.
  private var pieces: [(gradient: Int, offset: Int, count: Int)] = []
  /// Seconds spent in the all-reduces so far (waiting for the slowest rank included), for
  /// `nnc bench`'s communication share.
  public private(set) var communicationSeconds = 0.0
  /// Bytes summed per rank in the all-reduces so far.
  public private(set) var communicatedBytes = 0

  public init(communicator: any Communicator, bucketBytes: Int) {
    self.communicator = communicator
    bucketElements = max(bucketBytes / MemoryLayout<Float>.stride, 1)
    bucket = []
  }

  /// Replaces every gradient by the sum over the ranks of `share` times it; with each rank's share
  /// its part of the global batch, that is the gradient of the global batch's mean loss.
  public func average(_ gradients: [UnsafeMutableBufferPointer<Float>], share: Float) throws {
    let total = gradients.reduce(0) { $0 + $1.count }
    if bucket.count != min(total, bucketElements) {
      bucket = [Float](repeating: 0, count: min(total, bucketElements))
    }
    var filled = 0
    pieces.removeAll(keepingCapacity: true)
    for (index, gradient) in gradients.enumerated() {
      var offset = 0
      while offset < gradient.count {
        let count = min(gradient.count - offset, bucket.count - filled)
        for element in 0..<count {
          bucket[filled + element] = gradient[offset + element] * share
        }
        pieces.append((index, offset, count))
        filled += count
        offset += count
        if filled == bucket.count {
          try flush(filled, into: gradients)
          filled = 0
        }
      }
    }
    if filled > 0 { try flush(filled, into: gradients) }
  }

  private func flush(_ filled: Int, into gradients: [UnsafeMutableBufferPointer<Float>]) throws {
    let start = DispatchTime.now().uptimeNanoseconds
    try bucket.withUnsafeMutableBufferPointer {
      try communicator.sum(UnsafeMutableBufferPointer(rebasing: $0[0..<filled]))
    }
    communicationSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    communicatedBytes += filled * MemoryLayout<Float>.stride
    var position = 0
    for piece in pieces {
      let gradient = gradients[piece.gradient]
      for element in 0..<piece.count {
        gradient[piece.offset + element] = bucket[position + element]
      }
      position += piece.count
    }
    pieces.removeAll(keepingCapacity: true)
  }
}
