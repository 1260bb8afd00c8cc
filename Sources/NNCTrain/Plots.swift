import Foundation
import NNCData
import NNCMetrics

/// The SVG figures of a training run, per epoch: losses in `loss.svg`, accuracy and the spec's other
/// metrics in `metrics.svg`; training values dashed, validation values solid, one colour per metric.
public enum Plots {
  public static func trainingCurves(_ history: [EpochRecord]) -> [(name: String, svg: String)] {
    var metricKeys: [String] = ["accuracy"]
    for record in history {
      for key in record.trainMetrics.keys.sorted() + record.validationMetrics.keys.sorted()
      where !metricKeys.contains(key) {
        metricKeys.append(key)
      }
    }
    func series(_ key: String, color: Int) -> [SVGPlot.Series] {
      [("train", true), ("val", false)].compactMap { prefix, dashed in
        let points = history.compactMap { record in
          record.value(of: "\(prefix)_\(key)").map { (Double(record.epoch), $0) }
        }
        return points.isEmpty
          ? nil : SVGPlot.Series(name: "\(prefix) \(key)", points: points, dashed: dashed, color: color)
      }
    }
    let lossKeys = ["loss"] + metricKeys.filter { $0.hasSuffix("loss") }
    let scoreKeys = metricKeys.filter { !$0.hasSuffix("loss") }
    let scoreSeries = scoreKeys.enumerated().flatMap { series($1, color: $0) }
    let epochs = Double(max(history.last?.epoch ?? 1, 1))
    let xRange = (min(1, epochs), epochs > 1 ? epochs : 2)
    return [
      (
        "loss.svg",
        SVGPlot.lines(
          title: "loss per epoch", xLabel: "epoch", yLabel: "loss",
          series: lossKeys.enumerated().flatMap { series($1, color: $0) }, xRange: xRange,
          yRange: (0, lossCeiling(history, lossKeys)), integerX: true)
      ),
      (
        "metrics.svg",
        SVGPlot.lines(
          title: "metrics per epoch", xLabel: "epoch", yLabel: "value",
          series: scoreSeries, xRange: xRange, yRange: scoreRange(scoreSeries), integerX: true)
      ),
    ]
  }

  /// [0, 1] for scores that are fractions (accuracy, F1, AUC); the data's extent when a metric leaves
  /// it (a regression's `mae` in the data's units, an `r2` below 0).
  static func scoreRange(_ series: [SVGPlot.Series]) -> (Double, Double)? {
    let values = series.flatMap(\.points).map(\.1).filter(\.isFinite)
    return values.allSatisfy { (0...1).contains($0) } ? (0, 1) : nil
  }

  /// A little above the largest finite loss, so the curves start from a zero baseline (and stays
  /// finite for a loss near the largest Double).
  static func lossCeiling(_ history: [EpochRecord], _ keys: [String]) -> Double {
    let values = history.flatMap { record in
      keys.flatMap { key in [record.value(of: "train_" + key), record.value(of: "val_" + key)] }
    }.compactMap { $0 }.filter(\.isFinite)
    return min(max(values.max() ?? 1, 1e-6) * 1.05, .greatestFiniteMagnitude)
  }

  /// Writes the training curves into a run directory.
  public static func writeTrainingCurves(_ history: [EpochRecord], to directory: String) throws {
    for (name, svg) in trainingCurves(history) {
      try AtomicFile.write(svg, to: directory + "/" + name)
    }
  }

  /// Writes confusion_matrix.svg, roc.svg and pr.svg into `directory`.
  public static func writeEvaluation(
    _ predictions: Predictions, names: [String]? = nil, positiveClass: Int = 1, to directory: String
  ) throws {
    try AtomicFile.createDirectory(directory)
    for (name, svg) in EvaluationPlots.files(predictions, names: names, positiveClass: positiveClass) {
      try AtomicFile.write(svg, to: directory + "/" + name)
    }
  }
}
