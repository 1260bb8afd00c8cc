import Foundation

/// The SVG figures of tasks without one class per sample: for a regression, predicted against actual
/// values (with the line y = x) and a histogram of the residuals; for a multi-label task, the ROC and
/// precision-recall curves of every label with their micro averages.
public enum TargetPlots {
  /// `predicted_vs_actual.svg` and `residuals.svg`; one colour per output.
  public static func regression(targets: [Double], predictions: [Double], names: [String])
    -> [(name: String, svg: String)]
  {
    let width = names.count
    var scatter: [SVGPlot.Series] = []
    var histograms: [SVGPlot.Series] = []
    let residuals = zip(predictions, targets).map { $0 - $1 }
    let finite = residuals.filter(\.isFinite)
    let low = finite.min() ?? 0
    let high = finite.max() ?? 1
    for (output, name) in names.enumerated() {
      let rows = stride(from: output, to: targets.count, by: width)
      scatter.append(
        SVGPlot.Series(
          name: name, points: rows.map { (targets[$0], predictions[$0]) }, color: output, markers: true))
      histograms.append(
        SVGPlot.Series(
          name: name, points: histogram(rows.map { residuals[$0] }, low: low, high: high), color: output))
    }
    // Both axes share one range so the diagonal is y = x.
    let values = (targets + predictions).filter(\.isFinite)
    let range = (values.min() ?? 0, values.max() ?? 1)
    let samples = targets.count / max(width, 1)
    return [
      (
        "predicted_vs_actual.svg",
        SVGPlot.lines(
          title: "predicted against actual (\(samples) samples)", xLabel: "actual", yLabel: "predicted",
          series: scatter, xRange: range, yRange: range, diagonal: true)
      ),
      (
        "residuals.svg",
        SVGPlot.lines(
          title: "residuals (predicted - actual)", xLabel: "residual", yLabel: "samples", series: histograms)
      ),
    ]
  }

  /// A histogram drawn as the outline of its bars: about √n bins (5 to 40) between `low` and `high`.
  static func histogram(_ values: [Double], low: Double, high: Double) -> [(Double, Double)] {
    let bins = min(40, max(5, Int(Double(values.count).squareRoot().rounded())))
    let span = high > low ? high - low : 1
    var counts = [Int](repeating: 0, count: bins)
    for value in values where value.isFinite {
      counts[min(bins - 1, max(0, Int((value - low) / span * Double(bins))))] += 1
    }
    var points: [(Double, Double)] = [(low, 0)]
    for (bin, count) in counts.enumerated() {
      let left = low + span * Double(bin) / Double(bins)
      let right = low + span * Double(bin + 1) / Double(bins)
      points += [(left, Double(count)), (right, Double(count))]
    }
    points.append((low + span, 0))
    return points
  }

  /// `roc.svg` and `pr.svg`: a curve per label that has both positive and negative samples, and the
  /// micro average over every (sample, label) pair, dashed.
  public static func multilabel(targets: [Bool], scores: [Double], names: [String]) -> [(
    name: String, svg: String
  )] {
    let width = names.count
    var rocSeries: [SVGPlot.Series] = []
    var prSeries: [SVGPlot.Series] = []
    for (label, name) in names.enumerated() {
      let rows = Array(stride(from: label, to: targets.count, by: width))
      let labelScores = rows.map { scores[$0] }
      let positives = rows.map { targets[$0] }
      if let roc = ROCCurve(scores: labelScores, positives: positives) {
        rocSeries.append(
          SVGPlot.Series(
            name: "\(name) (AUC \(EvaluationPlots.format(roc.area)))", points: roc.points, color: label))
      }
      if let pr = PrecisionRecallCurve(scores: labelScores, positives: positives) {
        prSeries.append(
          SVGPlot.Series(
            name: "\(name) (AP \(EvaluationPlots.format(pr.averagePrecision)))",
            points: EvaluationPlots.steps(pr.points), color: label))
      }
    }
    if let roc = ROCCurve(scores: scores, positives: targets) {
      rocSeries.append(
        SVGPlot.Series(
          name: "micro average (AUC \(EvaluationPlots.format(roc.area)))", points: roc.points, dashed: true,
          color: 7))
    }
    if let pr = PrecisionRecallCurve(scores: scores, positives: targets) {
      prSeries.append(
        SVGPlot.Series(
          name: "micro average (AP \(EvaluationPlots.format(pr.averagePrecision)))",
          points: EvaluationPlots.steps(pr.points), dashed: true, color: 7))
    }
    return [
      (
        "roc.svg",
        SVGPlot.lines(
          title: "ROC curve of each label", xLabel: "false positive rate", yLabel: "true positive rate",
          series: rocSeries, xRange: (0, 1), yRange: (0, 1), diagonal: true)
      ),
      (
        "pr.svg",
        SVGPlot.lines(
          title: "precision-recall curve of each label", xLabel: "recall", yLabel: "precision",
          series: prSeries, xRange: (0, 1), yRange: (0, 1))
      ),
    ]
  }
}
