/// One line of `history.jsonl`. Holds only values that are reproducible from the seed (no timings),
/// so two runs of the same spec, data and seed write identical files.
public struct EpochRecord: Codable, Equatable, Sendable {
  public var epoch: Int
  public var learning_rate: Double
  public var train_loss: Double
  public var train_accuracy: Double
  public var val_loss: Double?
  public var val_accuracy: Double?

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

  /// A metric by the name used in `monitor` (`val_accuracy`, `train_loss`, ...).
  public func value(of metric: String) -> Double? {
    switch metric {
    case "loss", "train_loss": return train_loss
    case "accuracy", "train_accuracy": return train_accuracy
    case "val_loss": return val_loss
    case "val_accuracy": return val_accuracy
    default: return nil
    }
  }

  /// Whether larger values of `metric` are better.
  public static func isMaximized(_ metric: String) -> Bool { metric.hasSuffix("accuracy") }
}

/// What a training run reports as it goes; the command line renders it.
public protocol TrainingObserver: AnyObject {
  func trainingStarted(
    startEpoch: Int, epochs: Int, stepsPerEpoch: Int, trainSamples: Int, validationSamples: Int)
  func stepFinished(epoch: Int, step: Int, stepsPerEpoch: Int, loss: Double, accuracy: Double, samples: Int)
  func epochFinished(_ record: EpochRecord, improved: Bool, monitor: String)
  func note(_ message: String)
}
