import Foundation
import Testing

@testable import NNCMetrics

/// Labels [0,0,0,1,1,2], predictions [0,0,1,1,2,2]: worked by hand below.
let labels: [Int32] = [0, 0, 0, 1, 1, 2]
let predictions: [Int32] = [0, 0, 1, 1, 2, 2]

@Test func confusionMatrixCountsPairs() {
  let matrix = ConfusionMatrix(labels: labels, predictions: predictions, classes: 3)
  #expect(matrix.counts == [2, 1, 0, 0, 1, 1, 0, 0, 1])
  #expect(matrix.accuracy == 4.0 / 6.0)
}

@Test func precisionRecallAndF1Averages() {
  let matrix = ConfusionMatrix(labels: labels, predictions: predictions, classes: 3)
  // Per class: precision 2/2, 1/2, 1/2; recall 2/3, 1/2, 1/1; support 3, 2, 1.
  let precisionMacro: Double = 2.0 / 3
  let recallMacro: Double = (2.0 / 3 + 0.5 + 1) / 3
  let recallWeighted: Double = (2.0 + 1 + 1) / 6
  #expect(abs(matrix.precision(.macro) - precisionMacro) < 1e-12)
  #expect(abs(matrix.recall(.macro) - recallMacro) < 1e-12)
  #expect(abs(matrix.recall(.weighted) - recallWeighted) < 1e-12)
  // Per-class F1: 0.8, 0.5 and 2/3.
  let f1Macro: Double = (0.8 + 0.5 + 2.0 / 3) / 3
  let f1Weighted: Double = (0.8 * 3 + 0.5 * 2 + 2.0 / 3) / 6
  #expect(abs(matrix.f1(.macro) - f1Macro) < 1e-12)
  #expect(abs(matrix.f1(.weighted) - f1Weighted) < 1e-12)
  #expect(matrix.f1(.micro) == matrix.accuracy)
  // A class never predicted has precision 0, not NaN.
  let skewed = ConfusionMatrix(labels: [0, 1], predictions: [0, 0], classes: 2)
  #expect(skewed.precision(.macro) == 0.25)
}

@Test func rocAUCIsTheRankProbability() {
  // Positives score 0.9, 0.4; negatives 0.5, 0.1: of 4 pairs, 3 are ordered correctly.
  #expect(
    RankingMetrics.rocAUC(scores: [0.9, 0.5, 0.4, 0.1], positives: [true, false, true, false]) == 0.75)
  #expect(RankingMetrics.rocAUC(scores: [1, 2, 3], positives: [false, true, true]) == 1)
  #expect(RankingMetrics.rocAUC(scores: [3, 2, 1], positives: [false, true, true]) == 0)
  // A tie between a positive and a negative counts half.
  #expect(RankingMetrics.rocAUC(scores: [0.5, 0.5], positives: [true, false]) == 0.5)
  #expect(RankingMetrics.rocAUC(scores: [0.5, 0.7], positives: [true, true]) == nil)
}

@Test func averagePrecisionSteps() {
  // Descending: 0.9 (pos) P=1 R=.5; 0.5 (neg); 0.4 (pos) P=2/3 R=1  ->  .5*1 + .5*2/3.
  let ap = RankingMetrics.averagePrecision(
    scores: [0.9, 0.5, 0.4, 0.1], positives: [true, false, true, false])
  #expect(abs(ap! - (0.5 + 0.5 * 2 / 3)) < 1e-12)
  #expect(RankingMetrics.averagePrecision(scores: [0.1, 0.2], positives: [false, false]) == nil)
}

@Test func topKAndOneVersusRest() {
  let scores: [Float] = [
    0.7, 0.2, 0.1,
    0.1, 0.3, 0.6,
    0.2, 0.5, 0.3,
  ]
  let labels: [Int32] = [0, 1, 2]
  #expect(RankingMetrics.topKAccuracy(scores: scores, labels: labels, classes: 3, k: 1) == 1.0 / 3)
  #expect(RankingMetrics.topKAccuracy(scores: scores, labels: labels, classes: 3, k: 2) == 1)
  // Class 0: positive 0.7 above 0.1, 0.2 -> 1. Class 1: positive 0.3 vs 0.2 and 0.5 -> 0.5.
  // Class 2: positive 0.3 vs 0.1 and 0.6 -> 0.5.
  let macro = RankingMetrics.oneVersusRest(
    scores: scores, labels: labels, classes: 3, average: .macro, RankingMetrics.rocAUC)
  #expect(abs(macro! - 2.0 / 3) < 1e-12)
}

@Test func curvesRunFromCornerToCorner() {
  let roc = Curves.roc(scores: [0.9, 0.5, 0.4, 0.1], positives: [true, false, true, false])
  #expect(roc.map(\.0) == [0, 0, 0.5, 0.5, 1])
  #expect(roc.map(\.1) == [0, 0.5, 0.5, 1, 1])
  let pr = Curves.precisionRecall(scores: [0.9, 0.5, 0.4, 0.1], positives: [true, false, true, false])
  #expect(pr.first! == (0.5, 1))
  #expect(pr.last! == (1, 0.5))
}

@Test func svgPlotsAreWellFormedText() {
  let matrix = ConfusionMatrix(labels: labels, predictions: predictions, classes: 3)
  let heatmap = SVGPlot.heatmap(matrix, title: "a < b & c")
  #expect(heatmap.hasPrefix("<svg"))
  #expect(heatmap.hasSuffix("</svg>\n"))
  #expect(heatmap.contains("a &lt; b &amp; c"))
  #expect(heatmap.components(separatedBy: "<rect").count - 1 == 1 + 9)
  let chart = SVGPlot.lines(
    title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "s", points: [(0, 0), (1, 1)])])
  #expect(chart.contains("<polyline"))
}
