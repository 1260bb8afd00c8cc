import Foundation
import NNCData
import NNCMetrics
import NNCSpec

/// The metrics of a regression or a multi-label evaluation: the report `nnc eval` prints, and the
/// flat values per epoch (`history.jsonl`, progress lines, `monitor`) under the keys of
/// `MetricNames.key` (`mae`, `r2`, `f1_micro`, `average_precision_macro`).
public struct TargetMetricReport: Sendable {
  public enum Report: Sendable {
    case regression(RegressionReport)
    case multilabel(MultilabelReport)
  }

  public var report: Report
  /// Loss first (when known), then accuracy for a multi-label task (its subset accuracy), then the
  /// spec's metrics in the order it lists them.
  public var values: [(key: String, value: Double)]

  /// `settings` nil selects every metric of the task. `targets` and `outputs` are row-major, `width`
  /// per sample: values in the data's units for a regression, 0/1 targets and label probabilities
  /// for a multi-label task (decided by `rule`'s thresholds).
  public init(
    _ settings: [TrainingConfiguration.MetricSettings]?, targets: [Float], outputs: [Float], width: Int,
    rule: PredictionRule, loss: Double?, names: [String]? = nil
  ) {
    if case .multilabel = rule {
      let truth = targets.map { $0 == 1 }
      let decisions = outputs.indices.map {
        rule.predicts(probability: Double(outputs[$0]), label: $0 % width)
      }
      self.init(
        settings,
        multilabel: MultilabelReport(
          targets: truth, predictions: decisions, scores: outputs.map(Double.init), labels: width,
          names: names,
          loss: loss))
      return
    }
    self.init(
      settings,
      regression: RegressionReport(
        targets: targets.map(Double.init), predictions: outputs.map(Double.init), outputs: width,
        names: names,
        loss: loss))
  }

  /// The values of a regression report: its loss and the spec's metrics (uniform averages over outputs).
  public init(_ settings: [TrainingConfiguration.MetricSettings]?, regression: RegressionReport) {
    report = .regression(regression)
    values = []
    if let loss = regression.loss { values.append(("loss", loss)) }
    for metric in settings ?? RegressionMetric.allCases.map({ Self.setting($0.rawValue) }) {
      guard let kind = RegressionMetric(rawValue: metric.name),
        !values.contains(where: { $0.key == metric.name }),
        let value = regression.metrics.uniformAverage(kind)
      else { continue }
      values.append((metric.name, value))
    }
  }

  /// The values of a multi-label report: its loss, subset accuracy (as `accuracy`) and the spec's metrics.
  public init(_ settings: [TrainingConfiguration.MetricSettings]?, multilabel: MultilabelReport) {
    report = .multilabel(multilabel)
    values = []
    if let loss = multilabel.loss { values.append(("loss", loss)) }
    values.append(("accuracy", multilabel.metrics.subsetAccuracy))
    for metric in settings ?? Self.allMultilabel {
      let average = MultilabelAverage(rawValue: metric.average) ?? .macro
      guard let key = MetricNames.key(metric: metric.name, average: metric.average, k: metric.k),
        !values.contains(where: { $0.key == key }),
        let value = multilabel.value(metric.name, average: average)
      else { continue }
      values.append((key, value))
    }
  }

  /// The report of a model's evaluation (kept predictions), with its loss.
  public init(
    _ settings: [TrainingConfiguration.MetricSettings]?, result: EvaluationResult, names: [String]? = nil
  ) {
    self.init(
      settings, targets: result.targets, outputs: result.outputs, width: result.classes, rule: result.rule,
      loss: result.loss, names: names)
  }

  static func setting(_ name: String, average: String = "macro") -> TrainingConfiguration.MetricSettings {
    TrainingConfiguration.MetricSettings(name: name, average: average, k: 5, positiveClass: nil)
  }

  /// Every multi-label figure, for a report without a spec.
  static let allMultilabel: [TrainingConfiguration.MetricSettings] =
    [setting("subset_accuracy"), setting("hamming_loss")]
    + ["precision", "recall", "f1"].flatMap { name in
      MultilabelAverage.allCases.map { setting(name, average: $0.rawValue) }
    }
    + ["roc_auc", "average_precision"].flatMap { name in
      ["micro", "macro", "weighted"].map { setting(name, average: $0) }
    }
}
