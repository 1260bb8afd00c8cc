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
    let affine = ChannelAffine(normalization, channels: channels)
    guard case .floats(var values) = storage, rows == nil else {
      // Stored samples (bytes, files) are normalized as they are read, with the same arithmetic.
      pendingNormalizations.append(affine)
      return
    }
    samples = []
    values.withUnsafeMutableBufferPointer { buffer in
      let size = sampleSize
      for sample in 0..<count {
        affine.apply(to: UnsafeMutableBufferPointer(rebasing: buffer[sample * size..<(sample + 1) * size]))
      }
    }
    samples = values
  }
}

/// `(x * scale - mean[c]) / std[c]` over the values of one sample, channel by channel, computed as
/// `(x * scale - mean) * (1 / std)` so that normalizing in memory and per batch give the same bits.
struct ChannelAffine: Sendable {
  let scale: Float
  let means: [Float]
  let inverseStds: [Float]

  init(_ normalization: Normalization, channels: Int) {
    func perChannel(_ values: [Float], _ fallback: Float) -> [Float] {
      values.isEmpty
        ? [Float](repeating: fallback, count: channels)
        : values.count == 1 ? [Float](repeating: values[0], count: channels) : values
    }
    scale = normalization.scale
    means = perChannel(normalization.mean, 0)
    inverseStds = perChannel(normalization.std, 1).map { 1 / $0 }
  }

  /// Normalizes one sample (`channels` planes of equal size, whatever the sample's height and width:
  /// a centre crop may come after the normalization is recorded) in place.
  func apply(to values: UnsafeMutableBufferPointer<Float>) {
    let channelSize = values.count / max(means.count, 1)
    var offset = 0
    for channel in 0..<means.count {
      let mean = means[channel]
      let inverseStd = inverseStds[channel]
      for index in offset..<offset + channelSize {
        values[index] = (values[index] * scale - mean) * inverseStd
      }
      offset += channelSize
    }
  }
}
