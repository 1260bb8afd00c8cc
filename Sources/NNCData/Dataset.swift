/// A labelled data set: `count` samples of `sampleShape`, with one class label per sample, or with
/// `targets` (float values or multi-hot label sets) and no class labels. The samples stay in their
/// stored type in `storage` (bytes of an IDX file, elements of an NPY file read by range, an image
/// folder's files) and become Float32 one sample at a time (`readSample`), with the data set's
/// normalizations applied then, so a data set larger than memory can be trained on.
public struct Dataset: Sendable {
  /// The stored samples: `rows[i]` (or `i` without rows) is sample `i`'s position in it.
  public internal(set) var storage: SampleStorage
  /// Which stored sample each sample is (a subset or split shares its parent's storage); nil: all,
  /// in stored order.
  public internal(set) var rows: [Int]?
  /// Affine normalizations applied, in order, as samples are read (in-memory Floats are normalized
  /// in place instead).
  var pendingNormalizations: [ChannelAffine] = []
  /// The centre crop applied as samples are read from files (`data.center_crop`; in-memory samples
  /// are cropped at once): `sampleShape` is then the cropped shape, and this the stored one.
  var storedShapeBeforeCrop: ImageShape?
  public var labels: [Int32]
  /// The shape of one sample as read, e.g. `[1, 28, 28]` for IDX images or `[64]` for CSV rows (after
  /// `cropCenter`, the cropped shape).
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
    try self.init(
      storage: .floats(samples), storedCount: nil, valueCount: samples.count, labels: labels,
      sampleShape: sampleShape, classes: classes, source: source)
  }

  /// Samples kept in `storage` (`valueCount` values in all), checked like in-memory samples.
  init(
    storage: SampleStorage, storedCount: Int?, valueCount: Int, labels: [Int32], sampleShape: [Int],
    classes: Int? = nil, source: String
  ) throws {
    guard !sampleShape.isEmpty, sampleShape.allSatisfy({ $0 > 0 }) else {
      throw DataError(source, "sample shape \(sampleShape) must have at least one dimension, all positive")
    }
    let sampleSize = sampleShape.reduce(1, *)
    guard valueCount == labels.count * sampleSize else {
      throw DataError(
        source,
        "\(valueCount) values do not make \(labels.count) samples of shape \(sampleShape) "
          + "(\(labels.count * sampleSize) values)")
    }
    self.classes = try validateLabels(labels, classes: classes, file: source)
    self.storage = storage
    self.labels = labels
    self.sampleShape = sampleShape
    self.source = source
  }

  /// Samples with targets other than class indices: `labels` is empty and `classes` is the number of
  /// labels (multi-hot) or 0 (float values).
  public init(samples: [Float], targets: Targets, sampleShape: [Int], source: String = "dataset") throws {
    try self.init(
      storage: .floats(samples), valueCount: samples.count, targets: targets, sampleShape: sampleShape,
      source: source)
  }

  /// Samples kept in `storage` with targets other than class indices.
  init(storage: SampleStorage, valueCount: Int, targets: Targets, sampleShape: [Int], source: String) throws {
    guard !sampleShape.isEmpty, sampleShape.allSatisfy({ $0 > 0 }) else {
      throw DataError(source, "sample shape \(sampleShape) must have at least one dimension, all positive")
    }
    let sampleSize = sampleShape.reduce(1, *)
    guard valueCount == targets.count * sampleSize else {
      throw DataError(
        source,
        "\(valueCount) values do not make \(targets.count) samples of shape \(sampleShape) "
          + "(\(targets.count * sampleSize) values)")
    }
    self.storage = storage
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

  /// Every sample's values, sample after sample, as Float32 (normalized). Reading this converts the
  /// whole data set (and traps if a file cannot be read): it is for tests and small data; training
  /// reads sample by sample through `readSample`. Setting it keeps the samples in memory.
  public var samples: [Float] {
    get { try! materializedSamples() }
    set {
      storage = .floats(newValue)
      rows = nil
      pendingNormalizations = []
      storedShapeBeforeCrop = nil
    }
  }

  /// Every sample as Float32 (normalized), row-major; an unreadable file is an error naming it.
  public func materializedSamples() throws -> [Float] {
    if case .floats(let values) = storage, rows == nil, pendingNormalizations.isEmpty,
      storedShapeBeforeCrop == nil
    {
      return values
    }
    var values = [Float](repeating: 0, count: count * sampleSize)
    let size = sampleSize
    try values.withUnsafeMutableBufferPointer { buffer in
      for index in 0..<count {
        try readSample(
          index, into: UnsafeMutableBufferPointer(rebasing: buffer[index * size..<(index + 1) * size]))
      }
    }
    return values
  }

  /// Writes sample `index` as Float32 (normalized) into `output` (`sampleSize` values). Safe to call
  /// from several threads at once; a file that disappeared, shrank or became corrupt is an error
  /// naming it.
  public func readSample(_ index: Int, into output: UnsafeMutableBufferPointer<Float>) throws {
    if let stored = storedShapeBeforeCrop {
      var values = [Float](repeating: 0, count: stored.count)
      try values.withUnsafeMutableBufferPointer { try readStoredSample(index, into: $0) }
      values.withUnsafeBufferPointer { values in
        Cropping.centerCrop(
          values, stored, size: CropSize(height: sampleShape[1], width: sampleShape[2]), into: output)
      }
    } else {
      try readStoredSample(index, into: output)
    }
    // Per-channel affine maps commute with a crop, so those recorded before it apply after it.
    for normalization in pendingNormalizations { normalization.apply(to: output) }
  }

  /// Sample `index` as stored (before any centre crop), without the pending normalizations.
  private func readStoredSample(_ index: Int, into output: UnsafeMutableBufferPointer<Float>) throws {
    let row = rows?[index] ?? index
    let size = output.count
    switch storage {
    case .floats(let values):
      values.withUnsafeBufferPointer { stored in
        _ = output.initialize(from: stored[row * size..<(row + 1) * size])
      }
    case .elements(let store):
      try store.read(first: row, count: 1, into: output)
    case .images(let index):
      try index.read(row, into: output)
    }
  }

  /// The values of sample `index` (converted and normalized).
  public func readSample(_ index: Int) throws -> [Float] {
    var values = [Float](repeating: 0, count: sampleSize)
    try values.withUnsafeMutableBufferPointer { try readSample(index, into: $0) }
    return values
  }

  /// The values of sample `index`; traps if its file cannot be read (tests and in-memory data; code
  /// reading files uses `readSample`).
  public func sample(_ index: Int) -> ArraySlice<Float> {
    ArraySlice(try! readSample(index))
  }

  /// The first value (in sample order) for which `predicate` holds, reading one sample at a time.
  public func firstValue(where predicate: (Float) -> Bool) throws -> Float? {
    if case .floats(let values) = storage, rows == nil, pendingNormalizations.isEmpty,
      storedShapeBeforeCrop == nil
    {
      return values.first(where: predicate)
    }
    var buffer = [Float](repeating: 0, count: sampleSize)
    for index in 0..<count {
      try buffer.withUnsafeMutableBufferPointer { try readSample(index, into: $0) }
      if let value = buffer.first(where: predicate) { return value }
    }
    return nil
  }

  /// The bytes this data set holds in memory: in-memory or inflated samples, labels and targets
  /// (a file read by range and an image folder hold none of their samples).
  public var residentBytes: Int {
    var bytes = labels.count * 4 + (targets?.values.count ?? 0) * 4 + (rows?.count ?? 0) * 8
    switch storage {
    case .floats(let values): bytes += values.count * 4
    case .elements(let store): bytes += store.residentBytes
    case .images(let index): bytes += index.residentBytes
    }
    return bytes
  }

  /// The samples at `indices`, in that order (the same class count and shape), sharing this data
  /// set's storage.
  public func subset(_ indices: [Int]) -> Dataset {
    var result = self
    result.rows = indices.map { rows?[$0] ?? $0 }
    if targets == nil { result.labels = indices.map { labels[$0] } }
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

extension Dataset: Equatable {
  /// Equal when every field and every sample value is (however the samples are stored).
  public static func == (left: Dataset, right: Dataset) -> Bool {
    left.labels == right.labels && left.sampleShape == right.sampleShape && left.classes == right.classes
      && left.source == right.source && left.classNames == right.classNames && left.targets == right.targets
      && left.samples == right.samples
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
