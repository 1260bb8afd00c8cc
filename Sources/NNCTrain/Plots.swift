import Foundation
import NNCMetrics

/// The SVG figures of a run: training curves, and for an evaluation the confusion matrix and the
/// ROC and precision-recall curves of each class against the rest.
public enum Plots {
  public static func trainingCurves(_ history: [EpochRecord]) -> String {
    func series(_ name: String, _ value: (EpochRecord) -> Double?) -> SVGPlot.Series? {
      let points = history.compactMap { record in value(record).map { (Double(record.epoch), $0) } }
      return points.isEmpty ? nil : SVGPlot.Series(name: name, points: points)
    }
    let curves = [
      series("train loss") { $0.train_loss }, series("val loss") { $0.val_loss },
      series("train accuracy") { $0.train_accuracy }, series("val accuracy") { $0.val_accuracy },
    ].compactMap { $0 }
    return SVGPlot.lines(title: "training curves", xLabel: "epoch", yLabel: "loss / accuracy", series: curves)
  }

  /// Writes confusion_matrix.svg, roc.svg and pr.svg into `directory`.
  public static func writeEvaluation(_ result: EvaluationResult, to directory: String) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let matrix = ConfusionMatrix(
      labels: result.labels, predictions: result.predictions, classes: result.classes)
    var roc: [SVGPlot.Series] = []
    var precisionRecall: [SVGPlot.Series] = []
    for c in 0..<result.classes {
      let scores = result.labels.indices.map { result.probabilities[$0 * result.classes + c] }
      let positives = result.labels.map { Int($0) == c }
      if let auc = RankingMetrics.rocAUC(scores: scores, positives: positives) {
        roc.append(
          SVGPlot.Series(
            name: "class \(c) (AUC \(String(format: "%.3f", auc)))",
            points: Curves.roc(scores: scores, positives: positives)))
      }
      if let ap = RankingMetrics.averagePrecision(scores: scores, positives: positives) {
        precisionRecall.append(
          SVGPlot.Series(
            name: "class \(c) (AP \(String(format: "%.3f", ap)))",
            points: Curves.precisionRecall(scores: scores, positives: positives)))
      }
    }
    let files = [
      (
        "confusion_matrix.svg", SVGPlot.heatmap(matrix, title: "confusion matrix (\(result.samples) samples)")
      ),
      (
        "roc.svg",
        SVGPlot.lines(
          title: "ROC, one class against the rest", xLabel: "false positive rate",
          yLabel: "true positive rate",
          series: roc, xRange: (0, 1), yRange: (0, 1), diagonal: true)
      ),
      (
        "pr.svg",
        SVGPlot.lines(
          title: "precision-recall, one class against the rest", xLabel: "recall", yLabel: "precision",
          series: precisionRecall, xRange: (0, 1), yRange: (0, 1))
      ),
    ]
    for (name, text) in files {
      try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
    }
  }
}
