/// An affine normalization applied once when a data set is loaded: `(x * scale - mean) / std`, with
/// `mean`/`std` either empty (0 and 1), one value (global) or one value per channel (the first
/// dimension of the sample shape).
public struct Normalization: Sendable, Equatable {
  public var scale: Float
  public var mean: [Float]
  public var std: [Float]

  public init(scale: Float = 1, mean: [Float] = [], std: [Float] = []) {
    self.scale = scale
    self.mean = mean
    self.std = std
  }

  /// Leaves the data unchanged.
  public static let identity = Normalization()

  public var isIdentity: Bool {
    scale == 1 && mean.allSatisfy { $0 == 0 } && std.allSatisfy { $0 == 1 }
  }

  /// The per-channel (or global) mean and standard deviation of `dataset` after multiplying by
  /// `scale`, computed in Double: use the training set's statistics for every split.
  public static func statistics(of dataset: Dataset, scale: Float = 1, perChannel: Bool) -> Normalization {
    let channels = perChannel ? dataset.sampleShape[0] : 1
    let channelSize = dataset.sampleSize / channels
    var sums = [Double](repeating: 0, count: channels)
    var squares = [Double](repeating: 0, count: channels)
    for (offset, value) in dataset.samples.enumerated() {
      let channel = (offset / channelSize) % channels
      let scaled = Double(value * scale)
      sums[channel] += scaled
      squares[channel] += scaled * scaled
    }
    let perChannelCount = Double(max(1, dataset.count * channelSize))
    let means = sums.map { $0 / perChannelCount }
    let stds = zip(squares, means).map { square, mean in
      // A constant channel would divide by zero; leave it unscaled.
      let deviation = max(0, square / perChannelCount - mean * mean).squareRoot()
      return deviation > 1e-12 ? Float(deviation) : 1
    }
    return Normalization(scale: scale, mean: means.map { Float($0) }, std: stds)
  }
}

extension Dataset {
  /// Applies `normalization` to every sample in place, checking that `mean`/`std` have one value or
  /// one per channel and that every `std` is positive.
  public mutating func normalize(_ normalization: Normalization) throws {
    let channels = sampleShape[0]
    for (name, values) in [("mean", normalization.mean), ("std", normalization.std)] {
      guard values.count <= 1 || values.count == channels else {
        throw DataError(
          source,
          "normalization \(name) has \(values.count) values but samples of shape \(sampleShape) have "
            + "\(channels) channels (give 1 value or \(channels))")
      }
      guard values.allSatisfy({ $0.isFinite }) else {
        throw DataError(source, "normalization \(name) \(values) is not finite")
      }
    }
    guard normalization.scale.isFinite else {
      throw DataError(source, "normalization scale \(normalization.scale) is not finite")
    }
    if let bad = normalization.std.first(where: { $0 <= 0 }) {
      throw DataError(source, "normalization std \(bad) must be positive")
    }
    guard !normalization.isIdentity, count > 0 else { return }
    func perChannel(_ values: [Float], _ fallback: Float) -> [Float] {
      values.isEmpty
        ? [Float](repeating: fallback, count: channels)
        : values.count == 1 ? [Float](repeating: values[0], count: channels) : values
    }
    let means = perChannel(normalization.mean, 0)
    let inverseStds = perChannel(normalization.std, 1).map { 1 / $0 }
    let scale = normalization.scale
    let channelSize = sampleSize / channels
    let sampleCount = count
    samples.withUnsafeMutableBufferPointer { values in
      var offset = 0
      for _ in 0..<sampleCount {
        for channel in 0..<channels {
          let mean = means[channel]
          let inverseStd = inverseStds[channel]
          for index in offset..<offset + channelSize {
            values[index] = (values[index] * scale - mean) * inverseStd
          }
          offset += channelSize
        }
      }
    }
  }
}
