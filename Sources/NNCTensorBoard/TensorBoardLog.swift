import Foundation
import NNCGraph
import NNCTrain

/// Writes a training run as TensorBoard event files, laid out as Keras's TensorBoard callback does so
/// TensorBoard overlays training and validation curves: `DIR/train` holds each epoch's training
/// loss, accuracy, metrics and learning rate, the model graph and (with `histograms`) a histogram of
/// every parameter and its gradient; `DIR/validation` holds the validation values under the same tags
/// (`epoch_loss`, `epoch_accuracy`, `epoch_<metric key>`). The step is the epoch number of
/// `history.jsonl`, so a resumed run continues the same curves.
public final class TensorBoardLog: TrainingLogSink {
  public let directory: String
  public let histograms: Bool
  var train: EventFileWriter?
  var validation: EventFileWriter?
  /// The step a run (re)starts at: the first epoch it will complete.
  var firstStep: Int64 = 1

  public init(directory: String, histograms: Bool) {
    self.directory = directory
    self.histograms = histograms
  }

  public var trainDirectory: String { directory + "/train" }
  public var validationDirectory: String { directory + "/validation" }

  public var wantsParameters: Bool { histograms }

  public func runStarted(startEpoch: Int, graph: Graph) throws {
    firstStep = Int64(startEpoch + 1)
    // A resumed run's graph is already in the run's earlier event file.
    let writesGraph = startEpoch == 0 || !EventFileWriter.hasEventFiles(in: trainDirectory)
    let writer = try open(trainDirectory)
    train = writer
    if writesGraph {
      var event = Tensorboard_Event()
      event.wallTime = Date().timeIntervalSince1970
      do {
        event.graphDef = try ModelGraphDef.make(graph).serializedBytes()
      } catch {
        throw TrainError("cannot encode the model graph for \(writer.path): \(error)")
      }
      try writer.write(event)
    }
  }

  /// A new event file in `path`, starting with a `SessionLog` START at the first step: TensorBoard
  /// then drops every value an earlier run logged from that step on, so the epochs of an interrupted
  /// run that a resume replays (or a fresh run over an old one) are not drawn twice.
  func open(_ path: String) throws -> EventFileWriter {
    let writer = try EventFileWriter(directory: path)
    var start = Tensorboard_Event()
    start.wallTime = Date().timeIntervalSince1970
    start.step = firstStep
    start.sessionLog.status = .start
    try writer.write(start)
    return writer
  }

  public func epochFinished(_ record: EpochRecord, parameters: [ParameterSnapshot]) throws {
    guard let train else { throw TrainError("the TensorBoard log in \(directory) was not started") }
    var trainValues = [
      Self.scalar("epoch_loss", record.train_loss), Self.scalar("epoch_learning_rate", record.learning_rate),
    ]
    if record.train_accuracy.isFinite {
      trainValues.append(Self.scalar("epoch_accuracy", record.train_accuracy))
    }
    trainValues += Self.metricScalars(record.trainMetrics)
    for parameter in parameters {
      if let histogram = Histogram.make(parameter.values) {
        trainValues.append(Self.histogram("weights/" + parameter.name, histogram))
      }
      if let gradient = parameter.gradient, let histogram = Histogram.make(gradient) {
        trainValues.append(Self.histogram("gradients/" + parameter.name, histogram))
      }
    }
    try train.write(Self.event(step: record.epoch, values: trainValues))

    var validationValues: [Tensorboard_Summary.Value] = []
    if let loss = record.val_loss, loss.isFinite { validationValues.append(Self.scalar("epoch_loss", loss)) }
    if let accuracy = record.val_accuracy, accuracy.isFinite {
      validationValues.append(Self.scalar("epoch_accuracy", accuracy))
    }
    validationValues += Self.metricScalars(record.validationMetrics)
    guard !validationValues.isEmpty else { return }
    if validation == nil { validation = try open(validationDirectory) }
    try validation?.write(Self.event(step: record.epoch, values: validationValues))
  }

  public func runFinished() {
    train?.close()
    validation?.close()
  }

  static func metricScalars(_ metrics: [String: Double]) -> [Tensorboard_Summary.Value] {
    metrics.filter(\.value.isFinite).sorted { $0.key < $1.key }.map { scalar("epoch_" + $0.key, $0.value) }
  }

  static func scalar(_ tag: String, _ value: Double) -> Tensorboard_Summary.Value {
    var summaryValue = Tensorboard_Summary.Value()
    summaryValue.tag = tag
    summaryValue.simpleValue = Float(value)
    return summaryValue
  }

  static func histogram(_ tag: String, _ histogram: Tensorboard_HistogramProto) -> Tensorboard_Summary.Value {
    var summaryValue = Tensorboard_Summary.Value()
    summaryValue.tag = tag
    summaryValue.histo = histogram
    return summaryValue
  }

  static func event(step: Int, values: [Tensorboard_Summary.Value]) -> Tensorboard_Event {
    var event = Tensorboard_Event()
    event.wallTime = Date().timeIntervalSince1970
    event.step = Int64(step)
    event.summary.value = values
    return event
  }
}
