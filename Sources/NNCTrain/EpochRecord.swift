import NNCSpec

/// One line of `history.jsonl`. Holds only values that are reproducible from the seed (no timings),
/// so two runs of the same spec, data and seed write identical files.
public struct EpochRecord: Codable, Equatable, Sendable {
  public var epoch: Int
  public var learning_rate: Double
  public var train_loss: Double
  /// Not a number (and left out of the file) for a regression, which decides no classes.
  public var train_accuracy: Double
  public var val_loss: Double?
  public var val_accuracy: Double?
  /// The spec's other metrics on the training predictions of the epoch, by `MetricNames.key`; written
  /// as `train_<key>` (`train_f1_macro`).
  public var trainMetrics: [String: Double] = [:]
  /// The same on the validation split, written as `val_<key>` (`val_f1_macro`).
  public var validationMetrics: [String: Double] = [:]

  public init(
    epoch: Int, learning_rate: Double, train_loss: Double, train_accuracy: Double, val_loss: Double?,
    val_accuracy: Double?
  ) {
    self.epoch = epoch
    self.learning_rate = learning_rate
    self.train_loss = train_loss
    self.train_accuracy = train_accuracy
    self.val_loss = val_loss
    self.val_accuracy = val_accuracy
  }

  struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }

  static let fixedKeys: Set<String> = [
    "epoch", "learning_rate", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
  ]

  public init(from decoder: Decoder) throws {
    let container = try decoder.container(keyedBy: Key.self)
    epoch = try container.decode(Int.self, forKey: Key("epoch"))
    learning_rate = try container.decode(Double.self, forKey: Key("learning_rate"))
    train_loss = try container.decode(Double.self, forKey: Key("train_loss"))
    train_accuracy = try container.decodeIfPresent(Double.self, forKey: Key("train_accuracy")) ?? .nan
    val_loss = try container.decodeIfPresent(Double.self, forKey: Key("val_loss"))
    val_accuracy = try container.decodeIfPresent(Double.self, forKey: Key("val_accuracy"))
    for key in container.allKeys where !Self.fixedKeys.contains(key.stringValue) {
      guard let value = try container.decodeIfPresent(Double.self, forKey: key) else { continue }
      if key.stringValue.hasPrefix("val_") {
        validationMetrics[String(key.stringValue.dropFirst(4))] = value
      } else if key.stringValue.hasPrefix("train_") {
        trainMetrics[String(key.stringValue.dropFirst(6))] = value
      }
    }
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: Key.self)
    try container.encode(epoch, forKey: Key("epoch"))
    try container.encode(learning_rate, forKey: Key("learning_rate"))
    try container.encode(train_loss, forKey: Key("train_loss"))
    if train_accuracy.isFinite { try container.encode(train_accuracy, forKey: Key("train_accuracy")) }
    try container.encodeIfPresent(val_loss, forKey: Key("val_loss"))
    try container.encodeIfPresent(
      val_accuracy.flatMap { $0.isFinite ? $0 : nil }, forKey: Key("val_accuracy"))
    for (key, value) in trainMetrics where value.isFinite {
      try container.encode(value, forKey: Key("train_" + key))
    }
    for (key, value) in validationMetrics where value.isFinite {
      try container.encode(value, forKey: Key("val_" + key))
    }
  }

  /// A metric by the name used in `monitor` (`val_accuracy`, `train_loss`, `val_f1_macro`, ...); a name
  /// without prefix is a training value.
  public func value(of metric: String) -> Double? {
    switch metric {
    case "loss", "train_loss": return train_loss
    case "accuracy", "train_accuracy": return train_accuracy.isFinite ? train_accuracy : nil
    case "val_loss": return val_loss
    case "val_accuracy": return val_accuracy.flatMap { $0.isFinite ? $0 : nil }
    default:
      if metric.hasPrefix("val_") { return validationMetrics[String(metric.dropFirst(4))] }
      if metric.hasPrefix("train_") { return trainMetrics[String(metric.dropFirst(6))] }
      return trainMetrics[metric]
    }
  }

  /// The metrics of the spec besides loss and accuracy, with their prefixes, sorted by name.
  public var metricValues: [(key: String, value: Double)] {
    (trainMetrics.map { ("train_" + $0.key, $0.value) }
      + validationMetrics.map { ("val_" + $0.key, $0.value) })
      .sorted { $0.0 < $1.0 }
  }

  /// Whether larger values of `metric` are better: `mode` when given (`max`/`min`), else losses
  /// decrease and everything else increases.
  public static func isMaximized(_ metric: String, mode: String? = nil) -> Bool {
    mode.map { $0 == "max" } ?? MetricNames.isMaximized(metric)
  }
}

/// What a training run reports as it goes; the command line renders it.
public protocol TrainingObserver: AnyObject {
  func trainingStarted(
    startEpoch: Int, epochs: Int, stepsPerEpoch: Int, trainSamples: Int, validationSamples: Int)
  func stepFinished(epoch: Int, step: Int, stepsPerEpoch: Int, loss: Double, accuracy: Double, samples: Int)
  func epochFinished(_ record: EpochRecord, improved: Bool, monitor: String)
  func note(_ message: String)
  /// The training loop of `epoch` (1-based) spent `share` of its time waiting for the data loader
  /// (reported only when the loader is the bottleneck).
  func loaderBottleneck(epoch: Int, share: Double, workers: Int)
}

extension TrainingObserver {
  public func loaderBottleneck(epoch: Int, share: Double, workers: Int) {
    note(LoaderShare.message(epoch: epoch, share: share, workers: workers))
  }
}

/// When the training loop waits for its data loader long enough to report it.
public enum LoaderShare {
  /// A quarter of the step time spent waiting for batches: below that the loader overlaps compute.
  public static let reportedFrom = 0.25

  public static func message(epoch: Int, share: Double, workers: Int) -> String {
    "epoch \(epoch): the data loader is the bottleneck: "
      + "\(Int((share * 100).rounded()))% of the step time waited for batches (data.workers \(workers)); "
      + "more data.workers, data.cache: memory or smaller images help"
  }
}
