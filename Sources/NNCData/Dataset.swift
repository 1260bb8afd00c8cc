/// An in-memory labelled data set: `count` samples of `sampleShape`, stored row-major one after the
/// other in `samples`, with one class label per sample, or with `targets` (float values or multi-hot
/// label sets) and no class labels.
public struct Dataset: Sendable, Equatable {
  /// `count × sampleSize` values, sample after sample.
  public var samples: [Float]
  public var labels: [Int32]
  /// The shape of one sample as stored, e.g. `[1, 28, 28]` for IDX images or `[64]` for CSV rows.
  public var sampleShape: [Int]
  /// The number of classes: labels lie in `0..<classes`.
  public var classes: Int
  /// Where the data came from (a file path or a description), used to name it in errors.
  public var source: String
  /// The name of each class index, when the data names them (image folders, multi-label columns).
  public var classNames: [String]?
  /// Targets that are not one class index (regression, multi-label); nil for class labels.
  public var targets: Targets? = nil

  /// Checks that the arrays agree with the shape and that every label is in range. `classes` defaults
  /// to the largest label + 1.
  public init(
    samples: [Float], labels: [Int32], sampleShape: [Int], classes: Int? = nil, source: String = "dataset"
  ) throws {
    guard !sampleShape.isEmpty, sampleShape.allSatisfy({ $0 > 0 }) else {
      throw DataError(source, "sample shape \(sampleShape) must have at least one dimension, all positive")
    }
    let sampleSize = sampleShape.reduce(1, *)
    guard samples.count == labels.count * sampleSize else {
      throw DataError(
        source,
        "\(samples.count) values do not make \(labels.count) samples of shape \(sampleShape) "
          + "(\(labels.count * sampleSize) values)")
    }
    self.classes = try validateLabels(labels, classes: classes, file: source)
    self.samples = samples
    self.labels = labels
    self.sampleShape = sampleShape
    self.source = source
  }

  /// Samples with targets other than class indices: `labels` is empty and `classes` is the number of
  /// labels (multi-hot) or 0 (float values).
  public init(samples: [Float], targets: Targets, sampleShape: [Int], source: String = "dataset") throws {
    guard !sampleShape.isEmpty, sampleShape.allSatisfy({ $0 > 0 }) else {
      throw DataError(source, "sample shape \(sampleShape) must have at least one dimension, all positive")
    }
    let sampleSize = sampleShape.reduce(1, *)
    guard samples.count == targets.count * sampleSize else {
      throw DataError(
        source,
        "\(samples.count) values do not make \(targets.count) samples of shape \(sampleShape) "
          + "(\(targets.count * sampleSize) values)")
    }
    self.samples = samples
    self.labels = []
    self.sampleShape = sampleShape
    self.classes = targets.kind == .multiHot ? targets.width : 0
    self.source = source
    self.classNames = targets.kind == .multiHot ? targets.names : nil
    self.targets = targets
  }

  public var count: Int { targets?.count ?? labels.count }

  /// The number of values in one sample.
  public var sampleSize: Int { sampleShape.reduce(1, *) }

  /// The values of sample `index`.
  public func sample(_ index: Int) -> ArraySlice<Float> {
    samples[index * sampleSize..<(index + 1) * sampleSize]
  }

  /// The samples at `indices`, in that order (the same class count and shape).
  public func subset(_ indices: [Int]) -> Dataset {
    let size = sampleSize
    var pickedSamples: [Float] = []
    pickedSamples.reserveCapacity(indices.count * size)
    var pickedLabels: [Int32] = []
    pickedLabels.reserveCapacity(indices.count)
    for index in indices {
      pickedSamples.append(contentsOf: samples[index * size..<(index + 1) * size])
      if targets == nil { pickedLabels.append(labels[index]) }
    }
    var result = self
    result.samples = pickedSamples
    result.labels = targets == nil ? pickedLabels : []
    result.targets = targets?.subset(indices)
    return result
  }

  /// Appends sample `index`'s label, or its row of targets, to a batch being assembled.
  func appendTarget(of index: Int, to batch: inout Batch) {
    if let targets {
      batch.targets.append(contentsOf: targets.row(index))
    } else {
      batch.labels.append(labels[index])
    }
  }

  /// The class labels as one float target per sample (a regression on integer labels); a data set
  /// with targets already is returned as it is.
  public func labelsAsTargets() throws -> Dataset {
    guard targets == nil else { return self }
    return try Dataset(
      samples: samples,
      targets: Targets(kind: .values, values: labels.map(Float.init), width: 1, source: source),
      sampleShape: sampleShape, source: source)
  }

  /// How many samples each class has.
  public var classCounts: [Int] {
    var counts = [Int](repeating: 0, count: classes)
    for label in labels { counts[Int(label)] += 1 }
    return counts
  }
}

/// Checks every label against `0..<classes` and returns the class count (largest label + 1 when
/// `classes` is nil), naming the file and the first bad sample.
func validateLabels(_ labels: [Int32], classes: Int?, file: String) throws -> Int {
  if let classes, classes <= 0 {
    throw DataError(file, "the number of classes must be positive, not \(classes)")
  }
  var largest: Int32 = -1
  for (index, label) in labels.enumerated() {
    if label < 0 {
      throw DataError(file, "label \(label) of sample \(index) is negative")
    }
    if let classes, Int(label) >= classes {
      throw DataError(
        file, "label \(label) of sample \(index) is out of range for \(classes) classes (0...\(classes - 1))")
    }
    largest = max(largest, label)
  }
  return classes ?? Int(largest) + 1
}

/// Converts decoded label values to class indices, refusing fractions, negatives and absurdly large
/// values, naming the file and the sample.
func integerLabels(_ values: [Double], file: String) throws -> [Int32] {
  var labels: [Int32] = []
  labels.reserveCapacity(values.count)
  for (index, value) in values.enumerated() {
    guard value.isFinite, value.rounded() == value else {
      throw DataError(file, "label \(value) of sample \(index) is not an integer")
    }
    guard value >= 0 else {
      throw DataError(file, "label \(wholeNumberText(value)) of sample \(index) is negative")
    }
    guard value <= Double(Int32.max) else {
      throw DataError(
        file, "label \(wholeNumberText(value)) of sample \(index) is too large for a class index")
    }
    labels.append(Int32(value))
  }
  return labels
}

/// A whole number's digits when it fits an Int64, else its floating-point text (1e+300 and 2^64 do
/// not fit, and converting them would trap).
private func wholeNumberText(_ value: Double) -> String {
  abs(value) < 0x1p63 ? String(Int64(value)) : String(value)
}
