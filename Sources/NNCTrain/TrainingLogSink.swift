import NNCGraph

/// Receives each completed epoch for a log kept beside the run (TensorBoard's event files), so the
/// trainer knows nothing of the log's format. Errors thrown here stop the run like any I/O error.
public protocol TrainingLogSink: AnyObject {
  /// Whether `epochFinished` wants the parameters and their gradients (copying them costs time).
  var wantsParameters: Bool { get }
  /// Called once before the first epoch runs; `startEpoch` is the number of epochs already completed
  /// (nonzero when resuming), `graph` the lowered model.
  func runStarted(startEpoch: Int, graph: Graph) throws
  /// Called after each epoch's record is appended to `history.jsonl`, with the same record.
  func epochFinished(_ record: EpochRecord, parameters: [ParameterSnapshot]) throws
  /// Called when the run ends, normally or not.
  func runFinished()
}

/// One parameter at the end of an epoch: its values, and the gradient of the epoch's last step as
/// the optimizer received it (nil for a frozen or untrained parameter, which has none).
public struct ParameterSnapshot: Sendable {
  public var name: String
  public var values: [Float]
  public var gradient: [Float]?

  public init(name: String, values: [Float], gradient: [Float]?) {
    self.name = name
    self.values = values
    self.gradient = gradient
  }
}
