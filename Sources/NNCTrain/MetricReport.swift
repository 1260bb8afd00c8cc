import NNCMetrics
import NNCSpec

/// The metrics a spec asks for, computed from a set of predictions: the full report (`nnc eval`) and
/// the flat per-epoch values (`history.jsonl`, progress lines, `monitor`). Loss and accuracy are
/// always included.
public struct MetricReport: Sendable {
  public var report: ClassificationReport
  /// Values by key (`MetricNames.key`) in the order the spec lists them, after `loss` and `accuracy`.
  public var values: [(key: String, value: Double)]

  /// Present when the spec asks for `confusion_matrix`: rows are true labels, columns predictions.
  public var confusionMatrix: ConfusionMatrix? {
    report.selection.confusionMatrix ? report.confusionMatrix : nil
  }

  /// `settings` nil selects every metric. `positiveClass` overrides the spec's.
  public init(
    _ settings: [TrainingConfiguration.MetricSettings]?, predictions: Predictions, loss: Double?,
    positiveClass: Int? = nil
  ) {
    let selection = settings.map(Self.selection) ?? .all(classes: predictions.classes)
    let positive = positiveClass ?? settings.flatMap(Self.positiveClass) ?? 1
    report = ClassificationReport(predictions, selection: selection, positiveClass: positive, loss: loss)
    values = []
    if let loss { values.append(("loss", loss)) }
    values.append(("accuracy", report.accuracy))
    for metric in settings ?? [] {
      guard let key = MetricNames.key(metric: metric.name, average: metric.average, k: metric.k),
        !values.contains(where: { $0.key == key }), let value = value(of: metric)
      else { continue }
      values.append((key, value))
    }
  }

  /// The report of a model's evaluation, with its loss.
  public init(
    _ settings: [TrainingConfiguration.MetricSettings]?, result: EvaluationResult, positiveClass: Int? = nil
  ) {
    self.init(
      settings, predictions: result.metricPredictions, loss: result.loss, positiveClass: positiveClass)
  }

  /// The value of one metric of the spec (nil where it is undefined or not a number).
  func value(of metric: TrainingConfiguration.MetricSettings) -> Double? {
    let average = Average(rawValue: metric.average) ?? .macro
    let positive = report.positiveClass
    switch metric.name {
    case "accuracy": return report.accuracy
    case "balanced_accuracy": return report.balancedAccuracy
    case "top_k_accuracy": return report.topK.first { $0.k == metric.k }?.value
    case "log_loss": return report.logLoss
    case "loss": return report.loss
    case "precision", "recall", "f1":
      return report.classScores?.average(
        ClassScores.Score(rawValue: metric.name)!, average, positiveClass: positive)
    case "roc_auc": return report.rocAUC?.value(average, positiveClass: positive)
    case "pr_auc", "average_precision":
      return report.averagePrecision?.value(average, positiveClass: positive)
    default: return nil
    }
  }

  /// What a list of metric settings needs computed.
  public static func selection(_ settings: [TrainingConfiguration.MetricSettings]) -> MetricSelection {
    var selection = MetricSelection()
    for metric in settings {
      switch metric.name {
      case "balanced_accuracy": selection.balancedAccuracy = true
      case "top_k_accuracy": selection.topK.append(metric.k)
      case "log_loss": selection.logLoss = true
      case "precision": selection.precision = true
      case "recall": selection.recall = true
      case "f1": selection.f1 = true
      case "roc_auc": selection.rocAUC = true
      case "pr_auc", "average_precision": selection.averagePrecision = true
      case "confusion_matrix": selection.confusionMatrix = true
      default: break
      }
    }
    return selection
  }

  /// The first `positive_class` a metric sets.
  public static func positiveClass(_ settings: [TrainingConfiguration.MetricSettings]) -> Int? {
    settings.lazy.compactMap(\.positiveClass).first
  }

  /// Whether the settings need per-sample predictions (anything beyond loss and accuracy).
  public static func needsPredictions(_ settings: [TrainingConfiguration.MetricSettings]) -> Bool {
    settings.contains { !["accuracy", "loss", "confusion_matrix"].contains($0.name) }
  }
}

extension EvaluationResult {
  /// Labels, decisions and probabilities in the form NNCMetrics computes with.
  public var metricPredictions: Predictions {
    Predictions(
      labels: labels.map(Int.init), predictions: predictions.map(Int.init),
      scores: probabilities.map(Double.init), classes: classes)
  }
}
