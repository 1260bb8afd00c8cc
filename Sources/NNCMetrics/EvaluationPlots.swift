import Foundation

/// The SVG figures of an evaluation: the confusion matrix, ROC curves and precision-recall curves of
/// each class against the rest, with their averages.
public enum EvaluationPlots {
  /// File names and SVG texts: `confusion_matrix.svg`, `roc.svg`, `pr.svg`. With two classes the
  /// curves are those of `positiveClass`; with more, one per class plus the macro-average ROC curve
  /// and the micro-average precision-recall curve.
  public static func files(_ predictions: Predictions, names: [String]? = nil, positiveClass: Int = 1)
    -> [(name: String, svg: String)]
  {
    let classes = predictions.classes
    let labels = (0..<classes).map { names?.indices.contains($0) == true ? names![$0] : "class \($0)" }
    let matrix = ConfusionMatrix(
      labels: predictions.labels, predictions: predictions.predictions, classes: classes)
    let shown = classes == 2 && positiveClass < 2 ? [positiveClass] : Array(0..<classes)
    var rocSeries: [SVGPlot.Series] = []
    var prSeries: [SVGPlot.Series] = []
    var rocCurves: [ROCCurve] = []
    for c in shown {
      let positives = predictions.labels.map { $0 == c }
      let scores = predictions.column(c)
      if let roc = ROCCurve(scores: scores, positives: positives) {
        rocCurves.append(roc)
        rocSeries.append(
          SVGPlot.Series(name: "\(labels[c]) (AUC \(format(roc.area)))", points: roc.points, color: c))
      }
      if let pr = PrecisionRecallCurve(scores: scores, positives: positives) {
        prSeries.append(
          SVGPlot.Series(
            name: "\(labels[c]) (AP \(format(pr.averagePrecision)))", points: steps(pr.points), color: c))
      }
    }
    if shown.count > 2, rocCurves.count > 1 {
      let macro = rocCurves.map(\.area).reduce(0, +) / Double(rocCurves.count)
      rocSeries.append(
        SVGPlot.Series(
          name: "macro average (AUC \(format(macro)))", points: macroAverage(rocCurves), dashed: true,
          color: 7))
      let pooled = predictions.labels.flatMap { label in (0..<classes).map { $0 == label } }
      if let micro = PrecisionRecallCurve(
        scores: Array(predictions.scores.prefix(predictions.count * classes)), positives: pooled)
      {
        prSeries.append(
          SVGPlot.Series(
            name: "micro average (AP \(format(micro.averagePrecision)))", points: steps(micro.points),
            dashed: true, color: 7))
      }
    }
    let against =
      shown.count == 1 ? " of \(labels[shown[0]]), the positive class" : ", one class against the rest"
    return [
      (
        "confusion_matrix.svg",
        SVGPlot.heatmap(
          matrix, title: "confusion matrix (\(predictions.count) sample\(predictions.count == 1 ? "" : "s"))",
          names: names)
      ),
      (
        "roc.svg",
        SVGPlot.lines(
          title: "ROC curve\(against)", xLabel: "false positive rate", yLabel: "true positive rate",
          series: rocSeries, xRange: (0, 1), yRange: (0, 1), diagonal: true)
      ),
      (
        "pr.svg",
        SVGPlot.lines(
          title: "precision-recall curve\(against)", xLabel: "recall", yLabel: "precision",
          series: prSeries, xRange: (0, 1), yRange: (0, 1))
      ),
    ]
  }

  /// A precision-recall curve drawn as the step function average precision integrates: from each
  /// point along recall at its precision, then to the next precision (matplotlib's `steps-post`).
  static func steps(_ points: [(Double, Double)]) -> [(Double, Double)] {
    var result: [(Double, Double)] = []
    for (index, point) in points.enumerated() {
      if index > 0 { result.append((point.0, points[index - 1].1)) }
      result.append(point)
    }
    return result
  }

  static func format(_ value: Double) -> String { String(format: "%.3f", value) }

  /// The mean true-positive rate of the curves at every false-positive rate any of them has, each
  /// curve read by linear interpolation (the highest rate where it rises vertically).
  static func macroAverage(_ curves: [ROCCurve]) -> [(Double, Double)] {
    let grid = Set(curves.flatMap(\.falsePositiveRate)).sorted()
    var points: [(Double, Double)] = []
    for x in grid {
      // Both ends of a vertical step, so the average keeps the curves' corners.
      let low = curves.map { interpolate($0, at: x, highest: false) }.reduce(0, +) / Double(curves.count)
      let high = curves.map { interpolate($0, at: x, highest: true) }.reduce(0, +) / Double(curves.count)
      points.append((x, low))
      if high != low { points.append((x, high)) }
    }
    return points
  }

  static func interpolate(_ curve: ROCCurve, at x: Double, highest: Bool) -> Double {
    let xs = curve.falsePositiveRate
    let ys = curve.truePositiveRate
    let matching = xs.indices.filter { xs[$0] == x }
    if let index = highest ? matching.last : matching.first { return ys[index] }
    guard let upper = xs.firstIndex(where: { $0 > x }), upper > 0 else { return ys.last ?? 0 }
    let lower = upper - 1
    return ys[lower] + (ys[upper] - ys[lower]) * (x - xs[lower]) / (xs[upper] - xs[lower])
  }
}
