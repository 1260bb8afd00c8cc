import Foundation
import Testing

@testable import NNCMetrics

/// Labels [0,0,0,1,1,2], predictions [0,0,1,1,2,2]: worked by hand below.
let labels = [0, 0, 0, 1, 1, 2]
let predictions = [0, 0, 1, 1, 2, 2]

@Test func confusionMatrixCountsPairs() {
  let matrix = ConfusionMatrix(labels: labels, predictions: predictions, classes: 3)
  #expect(matrix.counts == [2, 1, 0, 0, 1, 1, 0, 0, 1])
  #expect(matrix.accuracy == 4.0 / 6.0)
  // Recall per class 2/3, 1/2, 1.
  #expect(abs(matrix.balancedAccuracy - (2.0 / 3 + 0.5 + 1) / 3) < 1e-12)
  #expect(matrix.normalized(.labels)[0] == [2.0 / 3, 1.0 / 3, 0])
  #expect(matrix.normalized(.predictions)[1] == [0, 0.5, 0.5])
  #expect(matrix.normalized(.all)[2] == [0, 0, 1.0 / 6])
}

@Test func precisionRecallAndF1Averages() {
  let scores = ClassScores(ConfusionMatrix(labels: labels, predictions: predictions, classes: 3))
  // Per class: precision 2/2, 1/2, 1/2; recall 2/3, 1/2, 1/1; support 3, 2, 1.
  let precisionMacro: Double = 2.0 / 3
  let recallMacro: Double = (2.0 / 3 + 0.5 + 1) / 3
  let recallWeighted: Double = (2.0 + 1 + 1) / 6
  #expect(abs(scores.average(.precision, .macro) - precisionMacro) < 1e-12)
  #expect(abs(scores.average(.recall, .macro) - recallMacro) < 1e-12)
  #expect(abs(scores.average(.recall, .weighted) - recallWeighted) < 1e-12)
  // Per-class F1: 0.8, 0.5 and 2/3.
  let f1Macro: Double = (0.8 + 0.5 + 2.0 / 3) / 3
  let f1Weighted: Double = (0.8 * 3 + 0.5 * 2 + 2.0 / 3) / 6
  #expect(abs(scores.average(.f1, .macro) - f1Macro) < 1e-12)
  #expect(abs(scores.average(.f1, .weighted) - f1Weighted) < 1e-12)
  #expect(abs(scores.average(.f1, .micro) - 4.0 / 6) < 1e-12)
  // A class never predicted has precision 0, not NaN; one in neither labels nor predictions has none.
  let skewed = ClassScores(ConfusionMatrix(labels: [0, 1], predictions: [0, 0], classes: 3))
  #expect(skewed.precision == [0.5, 0, nil])
  #expect(skewed.average(.precision, .macro) == 0.25)
  #expect(skewed.average(.recall, .binary, positiveClass: 0) == 1)
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
  let scores: [Double] = [
    0.7, 0.2, 0.1,
    0.1, 0.3, 0.6,
    0.2, 0.5, 0.3,
  ]
  let labels = [0, 1, 2]
  #expect(RankingMetrics.topKAccuracy(scores: scores, labels: labels, classes: 3, k: 1) == 1.0 / 3)
  #expect(RankingMetrics.topKAccuracy(scores: scores, labels: labels, classes: 3, k: 2) == 1)
  // Class 0: positive 0.7 above 0.1, 0.2 -> 1. Class 1: positive 0.3 vs 0.2 and 0.5 -> 0.5.
  // Class 2: positive 0.3 vs 0.1 and 0.6 -> 0.5.
  let values = RankingMetrics.oneVersusRest(
    scores: scores, labels: labels, classes: 3, RankingMetrics.rocAUC)
  #expect(abs(values.macro! - 2.0 / 3) < 1e-12)
  // A tie in a row: the higher class index ranks first (scikit-learn's reversed stable sort).
  #expect(RankingMetrics.topKAccuracy(scores: [0.5, 0.5, 0], labels: [0], classes: 3, k: 1) == 0)
  #expect(RankingMetrics.topKAccuracy(scores: [0.5, 0.5, 0], labels: [1], classes: 3, k: 1) == 1)
}

@Test func curvesRunFromCornerToCorner() {
  let roc = ROCCurve(scores: [0.9, 0.5, 0.4, 0.1], positives: [true, false, true, false])!
  #expect(roc.falsePositiveRate == [0, 0, 0.5, 0.5, 1])
  #expect(roc.truePositiveRate == [0, 0.5, 0.5, 1, 1])
  #expect(roc.thresholds.first == .infinity)
  // Collinear points are dropped: with no corner in between, only the ends remain.
  let line = ROCCurve(scores: [4, 3, 2, 1], positives: [true, true, true, false])!
  #expect(line.truePositiveRate == [0, 1.0 / 3, 1, 1])
  let pr = PrecisionRecallCurve(scores: [0.9, 0.5, 0.4, 0.1], positives: [true, false, true, false])!
  #expect(pr.recall == [1, 1, 0.5, 0.5, 0])
  #expect(pr.precision == [0.5, 2.0 / 3, 0.5, 1, 1])
  #expect(pr.thresholds == [0.1, 0.4, 0.5, 0.9])
}

@Test func logLossClipsAtMachineEpsilon() {
  // A zero probability for the true class costs -log(2.22e-16), not infinity.
  let value = LogLoss.value(probabilities: [0, 1, 0.5, 0.5], labels: [0, 1], classes: 2)!
  #expect(abs(value - (-log(Double.ulpOfOne) - log(0.5)) / 2) < 1e-12)
  #expect(LogLoss.value(probabilities: [2, -1], labels: [0], classes: 2) == nil)
}

@Test func oneScoreColumnStandsForClassOne() {
  let predictions = Predictions(labels: [0, 1], predictions: [0, 1], scores: [0.25, 0.75], classes: 1)
  #expect(predictions.classes == 2)
  #expect(predictions.scores == [0.75, 0.25, 0.25, 0.75])
}

@Test func svgPlotsAreWellFormedText() {
  let matrix = ConfusionMatrix(labels: labels, predictions: predictions, classes: 3)
  let heatmap = SVGPlot.heatmap(matrix, title: "a < b & c")
  #expect(heatmap.hasPrefix("<svg"))
  #expect(heatmap.hasSuffix("</svg>\n"))
  #expect(heatmap.contains("a &lt; b &amp; c"))
  let chart = SVGPlot.lines(
    title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "s", points: [(0, 0), (1, 1)])])
  #expect(chart.contains("<polyline"))
}
