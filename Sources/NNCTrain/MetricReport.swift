import NNCMetrics

/// The metrics a spec asks for, computed from an evaluation's predictions and probabilities. Loss and
/// accuracy are always included.
public struct MetricReport: Sendable {
  /// Metric values by key, in the order the spec lists them: `precision`, `f1`, `roc_auc`, ...;
  /// a non-default average is part of the key (`f1_micro`), and top-k is `top_<k>_accuracy`.
  public var values: [(key: String, value: Double)]
  /// Present when the spec asks for `confusion_matrix`: rows are true labels, columns predictions.
  public var confusionMatrix: ConfusionMatrix?

  public init(_ settings: [TrainingConfiguration.MetricSettings], result: EvaluationResult) {
    values = [("loss", result.loss), ("accuracy", result.accuracy)]
    let matrix = ConfusionMatrix(
      labels: result.labels, predictions: result.predictions, classes: result.classes)
    for metric in settings {
      let average = ConfusionMatrix.Average(rawValue: metric.average) ?? .macro
      let key = average == .macro ? metric.name : "\(metric.name)_\(average.rawValue)"
      let value: Double?
      switch metric.name {
      case "precision": value = matrix.precision(average)
      case "recall": value = matrix.recall(average)
      case "f1": value = matrix.f1(average)
      case "top_k_accuracy":
        values.append(
          (
            "top_\(metric.k)_accuracy",
            RankingMetrics.topKAccuracy(
              scores: result.probabilities, labels: result.labels, classes: result.classes, k: metric.k)
          ))
        continue
      case "roc_auc":
        value = RankingMetrics.oneVersusRest(
          scores: result.probabilities, labels: result.labels, classes: result.classes, average: average,
          RankingMetrics.rocAUC)
      case "pr_auc":
        value = RankingMetrics.oneVersusRest(
          scores: result.probabilities, labels: result.labels, classes: result.classes, average: average,
          RankingMetrics.averagePrecision)
      case "confusion_matrix":
        confusionMatrix = matrix
        continue
      default:
        continue  // loss and accuracy are always reported
      }
      if let value, !values.contains(where: { $0.key == key }) { values.append((key, value)) }
    }
  }
}
