/// The counts behind ROC and precision-recall curves: for every distinct score, taken as a threshold
/// from the highest down, the true and false positives among the samples scoring at least that much.
/// Tied scores form one threshold, so their order never matters.
public struct ThresholdCounts: Sendable, Equatable {
  /// Distinct scores, decreasing.
  public var thresholds: [Double]
  public var truePositives: [Double]
  public var falsePositives: [Double]

  public init(scores: [Double], positives: [Bool]) {
    let order = scores.indices.sorted { scores[$0] > scores[$1] }
    thresholds = []
    truePositives = []
    falsePositives = []
    var truePositiveCount = 0.0
    var falsePositiveCount = 0.0
    for (position, index) in order.enumerated() {
      if positives[index] { truePositiveCount += 1 } else { falsePositiveCount += 1 }
      // A threshold closes where the next score differs (or the samples end).
      if position + 1 == order.count || scores[order[position + 1]] != scores[index] {
        thresholds.append(scores[index])
        truePositives.append(truePositiveCount)
        falsePositives.append(falsePositiveCount)
      }
    }
  }
}

/// A receiver operating characteristic: false- and true-positive rates as the threshold decreases.
public struct ROCCurve: Sendable, Equatable {
  public var falsePositiveRate: [Double]
  public var truePositiveRate: [Double]
  /// The first threshold is +infinity (no sample predicted positive), as in scikit-learn ≥ 1.3.
  public var thresholds: [Double]

  /// scikit-learn's `roc_curve(y, score, drop_intermediate=...)`. Nil when the samples are all positive
  /// or all negative (scikit-learn returns NaN rates then).
  public init?(scores: [Double], positives: [Bool], dropIntermediate: Bool = true) {
    let counts = ThresholdCounts(scores: scores, positives: positives)
    guard let positiveCount = counts.truePositives.last, let negativeCount = counts.falsePositives.last,
      positiveCount > 0, negativeCount > 0
    else { return nil }
    var kept = Array(counts.thresholds.indices)
    if dropIntermediate, kept.count > 2 {
      // Keep the ends and every corner: a point where either count's second difference is non-zero.
      let tps = counts.truePositives
      let fps = counts.falsePositives
      let last = kept.count - 1
      kept = kept.filter { index in
        index == 0 || index == last
          || fps[index + 1] - 2 * fps[index] + fps[index - 1] != 0
          || tps[index + 1] - 2 * tps[index] + tps[index - 1] != 0
      }
    }
    falsePositiveRate = [0] + kept.map { counts.falsePositives[$0] / negativeCount }
    truePositiveRate = [0] + kept.map { counts.truePositives[$0] / positiveCount }
    thresholds = [.infinity] + kept.map { counts.thresholds[$0] }
  }

  /// The trapezoidal area under the curve (scikit-learn's `auc(fpr, tpr)`).
  public var area: Double {
    var total = 0.0
    for index in 1..<falsePositiveRate.count {
      total +=
        (falsePositiveRate[index] - falsePositiveRate[index - 1])
        * (truePositiveRate[index] + truePositiveRate[index - 1]) / 2
    }
    return total
  }

  /// (false-positive rate, true-positive rate) pairs for plotting.
  public var points: [(Double, Double)] { Array(zip(falsePositiveRate, truePositiveRate)) }
}

/// Precision against recall as the threshold decreases, in scikit-learn's (≥ 1.3) order: increasing
/// thresholds, so recall decreases, ending at the point (recall 0, precision 1) that has no threshold.
public struct PrecisionRecallCurve: Sendable, Equatable {
  public var precision: [Double]
  public var recall: [Double]
  public var thresholds: [Double]

  /// scikit-learn's `precision_recall_curve(y, score)` (`drop_intermediate=False`). Nil without positive
  /// samples, where scikit-learn sets recall to 1 with a warning.
  public init?(scores: [Double], positives: [Bool]) {
    let counts = ThresholdCounts(scores: scores, positives: positives)
    guard let positiveCount = counts.truePositives.last, positiveCount > 0 else { return nil }
    let predicted = zip(counts.truePositives, counts.falsePositives).map { $0 + $1 }
    precision = zip(counts.truePositives, predicted).map { $1 == 0 ? 0 : $0 / $1 }.reversed() + [1]
    recall = counts.truePositives.map { $0 / positiveCount }.reversed() + [0]
    thresholds = counts.thresholds.reversed()
  }

  /// Average precision: Σ (Rₙ − Rₙ₋₁) Pₙ, the step-wise area that `average_precision_score` computes.
  public var averagePrecision: Double {
    var total = 0.0
    for index in 0..<(recall.count - 1) {
      total -= (recall[index + 1] - recall[index]) * precision[index]
    }
    return max(0, total)
  }

  /// (recall, precision) pairs for plotting.
  public var points: [(Double, Double)] { Array(zip(recall, precision)) }
}
