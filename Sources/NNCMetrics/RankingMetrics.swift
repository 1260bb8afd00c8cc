/// Metrics of scores rather than decisions: top-k accuracy, ROC-AUC and PR-AUC (average precision),
/// one class against the rest.
public enum RankingMetrics {
  /// The fraction of samples whose label is among the `k` highest scores (row-major N×K scores).
  public static func topKAccuracy(scores: [Float], labels: [Int32], classes: Int, k: Int) -> Double {
    guard !labels.isEmpty, classes > 0 else { return 0 }
    var hits = 0
    for (sample, label) in labels.enumerated() {
      let row = scores[(sample * classes)..<((sample + 1) * classes)]
      let labelScore = row[row.startIndex + Int(label)]
      // Ties are broken in favour of lower class indices, as argmax does.
      let better = row.indices.filter {
        row[$0] > labelScore || (row[$0] == labelScore && $0 - row.startIndex < Int(label))
      }
      if better.count < k { hits += 1 }
    }
    return Double(hits) / Double(labels.count)
  }

  /// Area under the ROC curve of `scores` for binary `positives`: the probability that a random
  /// positive scores above a random negative, ties counting half (Mann-Whitney). Nil when either
  /// class is absent.
  public static func rocAUC(scores: [Float], positives: [Bool]) -> Double? {
    let positiveCount = positives.filter { $0 }.count
    let negativeCount = positives.count - positiveCount
    guard positiveCount > 0, negativeCount > 0 else { return nil }
    let order = scores.indices.sorted { scores[$0] < scores[$1] }
    var rankSum = 0.0
    var start = 0
    while start < order.count {
      var end = start
      while end + 1 < order.count, scores[order[end + 1]] == scores[order[start]] { end += 1 }
      // Tied scores share the mean of their ranks (1-based).
      let rank = Double(start + end) / 2 + 1
      for position in start...end where positives[order[position]] { rankSum += rank }
      start = end + 1
    }
    let u = rankSum - Double(positiveCount) * Double(positiveCount + 1) / 2
    return u / (Double(positiveCount) * Double(negativeCount))
  }

  /// Average precision: Σ (Rₙ − Rₙ₋₁) Pₙ over decreasing score thresholds, the step-wise area under the
  /// precision-recall curve that scikit-learn's `average_precision_score` computes. Nil without positives.
  public static func averagePrecision(scores: [Float], positives: [Bool]) -> Double? {
    let positiveCount = positives.filter { $0 }.count
    guard positiveCount > 0 else { return nil }
    let order = scores.indices.sorted { scores[$0] > scores[$1] }
    var truePositives = 0
    var seen = 0
    var previousRecall = 0.0
    var area = 0.0
    var start = 0
    while start < order.count {
      var end = start
      while end + 1 < order.count, scores[order[end + 1]] == scores[order[start]] { end += 1 }
      for position in start...end {
        seen += 1
        if positives[order[position]] { truePositives += 1 }
      }
      let recall = Double(truePositives) / Double(positiveCount)
      let precision = Double(truePositives) / Double(seen)
      area += (recall - previousRecall) * precision
      previousRecall = recall
      start = end + 1
    }
    return area
  }

  /// One-vs-rest averages over classes of `metric` (macro: plain mean over classes that have both
  /// positives and negatives; weighted: by support; micro: all (sample, class) pairs pooled).
  public static func oneVersusRest(
    scores: [Float], labels: [Int32], classes: Int, average: ConfusionMatrix.Average,
    _ metric: ([Float], [Bool]) -> Double?
  ) -> Double? {
    if average == .micro {
      let positives = labels.flatMap { label in (0..<classes).map { $0 == Int(label) } }
      return metric(scores, positives)
    }
    var total = 0.0
    var weight = 0.0
    for c in 0..<classes {
      let column = labels.indices.map { scores[$0 * classes + c] }
      let positives = labels.map { Int($0) == c }
      guard let value = metric(column, positives) else { continue }
      let w = average == .weighted ? Double(positives.filter { $0 }.count) : 1
      total += value * w
      weight += w
    }
    return weight > 0 ? total / weight : nil
  }
}
