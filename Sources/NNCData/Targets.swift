/// Per-sample targets that are not one class index: float values (regression, one or several
/// outputs) or multi-hot label sets (multi-label classification).
public struct Targets: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    /// Any finite floats.
    case values
    /// 0 or 1 per label.
    case multiHot
  }

  public var kind: Kind
  /// `count × width` values, sample after sample.
  public var values: [Float]
  /// Values per sample: outputs for regression, labels for multi-label.
  public var width: Int
  /// The name of each column (a CSV header), when the data names them.
  public var names: [String]?

  /// Checks the layout and the values: finite, and 0 or 1 for multi-hot targets, naming the sample.
  public init(kind: Kind, values: [Float], width: Int, names: [String]? = nil, source: String = "targets")
    throws
  {
    guard width > 0 else { throw DataError(source, "targets need at least one value per sample") }
    guard values.count % width == 0 else {
      throw DataError(source, "\(values.count) target values do not make rows of \(width)")
    }
    if let names, names.count != width {
      throw DataError(source, "\(names.count) target names for \(width) target values per sample")
    }
    for (index, value) in values.enumerated() {
      guard value.isFinite else {
        throw DataError(source, "target \(value) of sample \(index / width) is not a finite number")
      }
      if kind == .multiHot && value != 0 && value != 1 {
        throw DataError(
          source, "label value \(value) of sample \(index / width) is not 0 or 1 (multi-hot targets)")
      }
    }
    self.kind = kind
    self.values = values
    self.width = width
    self.names = names
  }

  public var count: Int { values.count / width }

  /// The targets of sample `index`.
  public func row(_ index: Int) -> ArraySlice<Float> { values[index * width..<(index + 1) * width] }

  /// The targets of the samples at `indices`, in that order.
  public func subset(_ indices: [Int]) -> Targets {
    var result = self
    result.values = []
    result.values.reserveCapacity(indices.count * width)
    for index in indices { result.values.append(contentsOf: row(index)) }
    return result
  }

  /// How many samples have each label (multi-hot), or the sum of each output (values).
  public var columnSums: [Float] {
    var sums = [Float](repeating: 0, count: width)
    for (offset, value) in values.enumerated() { sums[offset % width] += value }
    return sums
  }
}
