import NNCRandom

/// Where a data set's files are and how they are laid out.
public enum DataSource: Sendable, Equatable {
  /// An IDX images file and an IDX labels file (the MNIST format).
  case idx(images: String, labels: String)
  /// One CSV file with a label column.
  case csv(path: String, options: CSVOptions)
  /// A `.npy` samples array and a `.npy` labels array.
  case npy(samples: String, labels: String)
  /// A `.npy` samples array and a `.npy` array of float or multi-hot targets.
  case npyTargets(samples: String, targets: String, kind: Targets.Kind)
  /// A folder with one sub-folder of PNG/JPEG images per class.
  case folder(path: String, options: ImageFolderOptions)
}

/// How to load one data set: its files, the number of classes (nil: largest label + 1) and the
/// normalization applied once at load.
public struct DatasetConfiguration: Sendable, Equatable {
  public var source: DataSource
  public var classes: Int?
  public var normalization: Normalization
  /// Samples stored `[height, width, channels]` (npy from NumPy or Keras), transposed to
  /// `[channels, height, width]` on load.
  public var channelsLast = false

  public init(source: DataSource, classes: Int? = nil, normalization: Normalization = .identity) {
    self.source = source
    self.classes = classes
    self.normalization = normalization
  }

  /// Reads and normalizes the data set; relative paths are resolved against `baseDirectory` (the
  /// spec file's folder) when given.
  public func load(relativeTo baseDirectory: String? = nil) throws -> Dataset {
    var warnings: [String] = []
    return try load(relativeTo: baseDirectory, warnings: &warnings)
  }

  /// Reads and normalizes the data set, appending what a reader skipped (corrupt images) to `warnings`.
  public func load(relativeTo baseDirectory: String? = nil, warnings: inout [String]) throws -> Dataset {
    func resolve(_ path: String) -> String {
      guard let baseDirectory, !path.hasPrefix("/"), !baseDirectory.isEmpty else { return path }
      return baseDirectory.hasSuffix("/") ? baseDirectory + path : baseDirectory + "/" + path
    }
    var dataset: Dataset
    switch source {
    case .idx(let images, let labels):
      dataset = try Dataset.readIDX(images: resolve(images), labels: resolve(labels), classes: classes)
    case .csv(let path, let options):
      dataset = try Dataset.readCSV(resolve(path), options: options, classes: classes)
    case .npy(let samples, let labels):
      dataset = try Dataset.readNPY(samples: resolve(samples), labels: resolve(labels), classes: classes)
      if channelsLast { dataset = try dataset.channelsFirst() }
    case .npyTargets(let samples, let targets, let kind):
      dataset = try Dataset.readNPY(samples: resolve(samples), targets: resolve(targets), kind: kind)
      if channelsLast { dataset = try dataset.channelsFirst() }
    case .folder(let path, let options):
      dataset = try Dataset.readImageFolder(resolve(path), options: options, warnings: &warnings)
      if let classes, classes != dataset.classes {
        throw DataError(
          dataset.source, "has \(dataset.classes) class folders but data.classes is \(classes)")
      }
    }
    try dataset.normalize(normalization)
    return dataset
  }
}

/// The data of a run: a training set, optionally a validation set carved from it, and a test set.
public struct DataConfiguration: Sendable, Equatable {
  public var train: DatasetConfiguration
  public var test: DatasetConfiguration?
  /// A validation set of its own (instead of a split of the training set).
  public var validation: DatasetConfiguration?
  /// The fraction of the training set held out for validation (nil: none).
  public var validationSplit: Double?
  /// Hold out the same fraction of every class.
  public var stratify: Bool
  /// Keep only these classes in every split, relabelled by their position in the list.
  public var classesSubset: [Int]?
  /// Keep the first this many samples of every class in the training split (before any
  /// validation split is carved from it).
  public var limitPerClass: Int?
  /// `data.max_image_pixels`: image files whose header declares more pixels are refused before
  /// decoding (nil: `ImageCodec.defaultMaxPixels`).
  public var maxImagePixels: Int?

  public init(
    train: DatasetConfiguration, test: DatasetConfiguration? = nil, validationSplit: Double? = nil,
    stratify: Bool = false, validation: DatasetConfiguration? = nil
  ) {
    self.train = train
    self.test = test
    self.validation = validation
    self.validationSplit = validationSplit
    self.stratify = stratify
  }
}

/// The loaded data sets of a run, all with the same sample shape and class count.

public struct LoadedData: Sendable {
  public var train: Dataset
  public var validation: Dataset?
  public var test: Dataset?
  /// What the readers skipped or ignored (one line per file), for the user to see.
  public var warnings: [String] = []
  /// `data.normalize_targets`: the training split's statistics, applied to every split's targets.
  public var targetNormalization: TargetNormalization?

  public init(train: Dataset, validation: Dataset? = nil, test: Dataset? = nil, warnings: [String] = []) {
    self.train = train
    self.validation = validation
    self.test = test
    self.warnings = warnings
  }
}

extension DataConfiguration {
  /// Loads every data set, checks that they agree on the sample shape, gives them one class count
  /// (the declared one, or the largest over all sets) and splits off validation with `generator`.
  public func load(relativeTo baseDirectory: String? = nil, using generator: inout RandomGenerator)
    throws -> LoadedData
  {
    var warnings: [String] = []
    // Every image folder decodes under the run's image size limit.
    func limitingImages(_ configuration: DatasetConfiguration) -> DatasetConfiguration {
      guard let maxImagePixels, case .folder(let path, var options) = configuration.source else {
        return configuration
      }
      var configuration = configuration
      options.maxImagePixels = maxImagePixels
      configuration.source = .folder(path: path, options: options)
      return configuration
    }
    var trainSet = try limitingImages(train).load(relativeTo: baseDirectory, warnings: &warnings)
    // Image folders of other splits number their classes the way the training folder does.
    func matchingClasses(_ configuration: DatasetConfiguration?) -> DatasetConfiguration? {
      guard var configuration = configuration.map(limitingImages),
        case .folder(let path, var options) = configuration.source
      else {
        return configuration
      }
      options.classNames = trainSet.classNames
      configuration.source = .folder(path: path, options: options)
      return configuration
    }
    var testSet = try matchingClasses(test)?.load(relativeTo: baseDirectory, warnings: &warnings)
    var validationSet = try matchingClasses(validation)?.load(relativeTo: baseDirectory, warnings: &warnings)
    for other in [testSet, validationSet].compactMap({ $0 }) where other.sampleShape != trainSet.sampleShape {
      throw DataError(
        other.source,
        "samples have shape \(other.sampleShape) but the training samples (\(trainSet.source)) have "
          + "\(trainSet.sampleShape)")
    }
    let classes = max(trainSet.classes, testSet?.classes ?? 0, validationSet?.classes ?? 0)
    trainSet.classes = classes
    testSet?.classes = classes
    validationSet?.classes = classes
    if let classesSubset {
      trainSet = try trainSet.selectingClasses(classesSubset)
      testSet = try testSet?.selectingClasses(classesSubset)
      validationSet = try validationSet?.selectingClasses(classesSubset)
    }
    if let limitPerClass { trainSet = trainSet.limitingPerClass(limitPerClass) }
    if let validationSplit, validationSet == nil {
      (trainSet, validationSet) = try trainSet.splitValidation(
        fraction: validationSplit, stratified: stratify, using: &generator)
    }
    var loaded = LoadedData(train: trainSet, validation: validationSet, test: testSet)
    loaded.warnings = warnings
    return loaded
  }
}

extension LoadedData {
  /// Every split in turn.
  public mutating func transformSplits(_ transform: (Dataset) throws -> Dataset) rethrows {
    train = try transform(train)
    validation = try validation.map(transform)
    test = try test.map(transform)
  }

  /// Standardizes every split's regression targets with `normalization` (by default the training
  /// split's statistics), first undoing any normalization applied before.
  public mutating func normalizeTargets(_ normalization: TargetNormalization? = nil) throws {
    guard var targets = train.targets else {
      throw DataError(train.source, "normalize_targets needs float targets (regression)")
    }
    let previous = targetNormalization
    if let previous { targets.values = previous.denormalize(targets.values) }
    let next = normalization ?? TargetNormalization.statistics(of: targets)
    try transformSplits { split in
      var split = split
      if let previous, var raw = split.targets {
        raw.values = previous.denormalize(raw.values)
        split.targets = raw
      }
      try split.normalizeTargets(next)
      return split
    }
    targetNormalization = next
  }
}
