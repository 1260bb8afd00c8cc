/// Standardization of regression targets: `(t - mean) / std` per output, with the statistics of the
/// training split, undone on predictions so that they and their metrics are in the data's units.
public struct TargetNormalization: Sendable, Equatable, Codable {
  public var mean: [Double]
  public var std: [Double]

  public init(mean: [Double], std: [Double]) {
    precondition(mean.count == std.count && std.allSatisfy { $0 > 0 })
    self.mean = mean
    self.std = std
  }

  /// The mean and population standard deviation of every output (as scikit-learn's `StandardScaler`),
  /// computed in Double. A constant output keeps a standard deviation of 1 so nothing divides by 0.
  public static func statistics(of targets: Targets) -> TargetNormalization {
    let width = targets.width
    var sums = [Double](repeating: 0, count: width)
    for (offset, value) in targets.values.enumerated() { sums[offset % width] += Double(value) }
    let count = Double(max(1, targets.count))
    let means = sums.map { $0 / count }
    // Squared deviations from the mean (not the raw second moment), which keeps precision for large
    // values with a small spread.
    var squares = [Double](repeating: 0, count: width)
    for (offset, value) in targets.values.enumerated() {
      let deviation = Double(value) - means[offset % width]
      squares[offset % width] += deviation * deviation
    }
    let stds = squares.map { square -> Double in
      let deviation = (square / count).squareRoot()
      return deviation > 1e-12 ? deviation : 1
    }
    return TargetNormalization(mean: means, std: stds)
  }

  public var width: Int { mean.count }

  /// Standardized copies of row-major values, `width` per sample.
  public func normalize(_ values: [Float]) -> [Float] {
    values.indices.map { Float((Double(values[$0]) - mean[$0 % width]) / std[$0 % width]) }
  }

  /// Values in the data's units again, from standardized row-major values (predictions).
  public func denormalize(_ values: [Float]) -> [Float] {
    values.indices.map { Float(Double(values[$0]) * std[$0 % width] + mean[$0 % width]) }
  }

  public func denormalize(_ values: [Double]) -> [Double] {
    values.indices.map { values[$0] * std[$0 % width] + mean[$0 % width] }
  }
}

extension Dataset {
  /// Standardizes the regression targets with `normalization` (the training split's statistics).
  public mutating func normalizeTargets(_ normalization: TargetNormalization) throws {
    guard var targets, targets.kind == .values else {
      throw DataError(source, "normalize_targets needs float targets (regression)")
    }
    guard targets.width == normalization.width else {
      throw DataError(
        source, "has \(targets.width) targets per sample; the normalization has \(normalization.width)")
    }
    targets.values = normalization.normalize(targets.values)
    self.targets = targets
  }
}
