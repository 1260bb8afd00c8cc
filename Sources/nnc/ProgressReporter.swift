import Foundation
import NNCData
import NNCMetrics
import NNCSpec
import NNCTrain

/// Renders training progress: a live bar on a terminal (epoch, step, loss, accuracy, images/s, ETA),
/// plain lines otherwise, or JSON lines with `--format json`.
/// Writes a line to standard output unbuffered, so lines appear as epochs finish even in a pipe.
func out(_ text: String) {
  Console.standardOutput(text + "\n")
}

final class ProgressReporter: TrainingObserver {
  let format: OutputFormat
  let isTerminal = isatty(STDERR_FILENO) != 0
  var epochs = 0
  var epochStart = Date()
  var samplesThisEpoch = 0
  var lastDraw = Date.distantPast
  var barShown = false

  init(format: OutputFormat) { self.format = format }

  struct Event: Encodable {
    var event: String
    var epoch: Int?
    var learning_rate: Double?
    var train_loss: Double?
    var train_accuracy: Double?
    var val_loss: Double?
    var val_accuracy: Double?
    var seconds: Double?
    var improved: Bool?
    var message: String?
    var test_loss: Double?
    var test_accuracy: Double?
    var test_samples: Int?
    /// The epoch held by checkpoint-best (by train.monitor).
    var best_epoch: Int?
    /// The epoch whose weights early stopping restored (by its own monitor), when it restored any.
    var restored_epoch: Int?
    var checkpoint: String?
    var test_metrics: [String: Double]?
    /// The spec's other metrics of the epoch, as in history.jsonl (`val_f1_macro`, `train_f1_macro`).
    var metrics: [String: Double]?
    /// The fraction of an epoch's step time spent waiting for the data loader (event "loader").
    var loader_share: Double?
    var workers: Int?
  }

  // Events hold finite numbers (training stops on a non-finite one), so encoding does not fail in practice.
  func emit(_ event: Event) { out((try? jsonLine(event)) ?? "{}") }

  func header(prepared: PreparedRun, directory: String) {
    guard format == .text else { return }
    let totals = prepared.graph.parameterTotals
    // With phases the trainable set changes; each phase announces its own count when it starts.
    let parameters =
      prepared.configuration.phases.isEmpty
      ? "\(counted(totals.trainable, "trainable parameter"))"
      : "\(counted(totals.total, "parameter")), trainable by phase"
    out(
      "model \(prepared.graph.name): \(prepared.graph.inputShape) -> \(prepared.graph.outputShape), "
        + "\(parameters); run directory \(directory)")
  }

  func trainingStarted(
    startEpoch: Int, epochs: Int, stepsPerEpoch: Int, trainSamples: Int, validationSamples: Int
  ) {
    self.epochs = epochs
    epochStart = Date()
    if format == .text {
      out(
        "training on \(counted(trainSamples, "sample")), validating on \(validationSamples); "
          + "\(stepsPerEpoch) step\(stepsPerEpoch == 1 ? "" : "s") per epoch, epochs \(startEpoch + 1)...\(epochs)"
      )
    }
  }

  func stepFinished(epoch: Int, step: Int, stepsPerEpoch: Int, loss: Double, accuracy: Double, samples: Int) {
    if step == 1 {
      // The reporter hears of a step when it ends, so the rate and ETA count from the first step's end.
      epochStart = Date()
      samplesThisEpoch = 0
    } else {
      samplesThisEpoch += samples
    }
    guard format == .text, isTerminal else { return }
    let now = Date()
    guard now.timeIntervalSince(lastDraw) > 0.1 || step == stepsPerEpoch else { return }
    lastDraw = now
    let elapsed = max(now.timeIntervalSince(epochStart), 1e-6)
    let rateText = StepRate.imagesPerSecond(samples: samplesThisEpoch, seconds: elapsed, step: step)
    let remaining = StepRate.remainingSeconds(seconds: elapsed, step: step, stepsPerEpoch: stepsPerEpoch)
    let width = 24
    let filled = width * step / max(stepsPerEpoch, 1)
    let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
    let accuracyText = accuracy.isFinite ? String(format: " acc %.4f", accuracy) : ""
    let line = String(
      format: "\repoch %d/%d [%@] %d/%d loss %.4f%@ %@ img/s ETA %@", epoch + 1, epochs, bar, step,
      stepsPerEpoch, loss, accuracyText, rateText, remaining.map(Self.duration) ?? "-")
    Console.standardError(line + "\u{1B}[K")
    barShown = true
  }

  func endLine() {
    if barShown {
      Console.standardError("\r\u{1B}[K")
      barShown = false
    }
  }

  func epochFinished(_ record: EpochRecord, improved: Bool, monitor: String) {
    let seconds = Date().timeIntervalSince(epochStart)
    endLine()
    switch format {
    case .json:
      var event = Event(
        event: "epoch", epoch: record.epoch, learning_rate: record.learning_rate,
        train_loss: record.train_loss,
        train_accuracy: Self.finite(record.train_accuracy), val_loss: record.val_loss,
        val_accuracy: Self.finite(record.val_accuracy),
        seconds: seconds, improved: improved)
      let metrics = record.metricValues
      if !metrics.isEmpty {
        event.metrics = Dictionary(
          metrics.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
      }
      emit(event)
    case .text:
      var line = String(format: "epoch %d/%d  loss %.4f", record.epoch, epochs, record.train_loss)
      if record.train_accuracy.isFinite { line += String(format: "  acc %.4f", record.train_accuracy) }
      if let loss = record.val_loss {
        line += String(format: "  val_loss %.4f", loss)
        if let accuracy = Self.finite(record.val_accuracy) {
          line += String(format: "  val_acc %.4f", accuracy)
        }
      }
      // The spec's metrics on validation data, or on the training predictions without it.
      let prefix = record.validationMetrics.isEmpty ? "train_" : "val_"
      for (key, value) in record.metricValues where key.hasPrefix(prefix) {
        line += String(format: "  %@ %.4f", key, value)
      }
      line += String(
        format: "  lr %.3g  %.1fs  %.0f img/s", record.learning_rate, seconds,
        Double(samplesThisEpoch) / max(seconds, 1e-6))
      if improved { line += "  * best \(monitor)" }
      out(line)
    }
  }

  func note(_ message: String) {
    endLine()
    switch format {
    case .json: emit(Event(event: "note", message: message))
    case .text: out(message)
    }
  }

  func loaderBottleneck(epoch: Int, share: Double, workers: Int) {
    endLine()
    let message = LoaderShare.message(epoch: epoch, share: share, workers: workers)
    switch format {
    case .json:
      emit(Event(event: "loader", epoch: epoch, message: message, loader_share: share, workers: workers))
    case .text: out(message)
    }
  }

  /// A multi-line table (the weight-import report): printed as is in text, one note per line in JSON.
  func table(_ text: String) {
    endLine()
    switch format {
    case .json:
      for line in text.split(separator: "\n") { emit(Event(event: "note", message: String(line))) }
    case .text: out(text.hasSuffix("\n") ? String(text.dropLast()) : text)
    }
  }

  /// The end of a run: the test split's loss, accuracy and the spec's other metrics (`values`), the
  /// confusion matrix when the spec asks for one, the best and restored epochs and the checkpoints.
  func finished(
    _ outcome: TrainingOutcome, test: EvaluationResult?, values: [(key: String, value: Double)],
    confusionMatrix: ConfusionMatrix?
  ) {
    let extra = values.filter { $0.key != "loss" && $0.key != "accuracy" }
    switch format {
    case .json:
      var event = Event(
        event: "done", test_loss: test?.loss, test_accuracy: Self.finite(test?.accuracy),
        test_samples: test?.samples,
        best_epoch: outcome.bestEpoch, checkpoint: outcome.lastCheckpoint)
      event.restored_epoch = outcome.restoredEpoch
      if !extra.isEmpty {
        event.test_metrics = Dictionary(
          extra.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
      }
      emit(event)
    case .text:
      if let test {
        let accuracy = test.accuracy.isFinite ? String(format: "  accuracy %.4f", test.accuracy) : ""
        out(
          String(
            format: "test: loss %.4f%@  (%d sample%@)", test.loss, accuracy, test.samples,
            test.samples == 1 ? "" : "s")
            + extra.map { String(format: "  %@ %.4f", $0.key, $0.value) }.joined())
      }
      if let matrix = confusionMatrix { out(matrix.table) }
      if let best = outcome.bestEpoch {
        let restored = outcome.restoredEpoch.map { "; early stopping restored epoch \($0)" } ?? ""
        out("best epoch \(best) by \(outcome.monitor) (checkpoint-best)\(restored)")
      }
      out("checkpoints: \(outcome.lastCheckpoint), \(outcome.bestCheckpoint)")
    }
  }

  /// A value JSON can carry: nil for a regression's accuracy, which is not a number.
  static func finite(_ value: Double?) -> Double? {
    value.flatMap { $0.isFinite ? $0 : nil }
  }

  static func duration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "--:--" }
    let total = Int(seconds.rounded())
    return total >= 3600
      ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
      : String(format: "%02d:%02d", total / 60, total % 60)
  }
}
