/// Points of ROC and precision-recall curves for one class against the rest.
public enum Curves {
  /// (false-positive rate, true-positive rate) at every distinct threshold, from (0,0) to (1,1).
  public static func roc(scores: [Float], positives: [Bool]) -> [(Double, Double)] {
    let positiveCount = Double(positives.filter { $0 }.count)
    let negativeCount = Double(positives.count) - positiveCount
    guard positiveCount > 0, negativeCount > 0 else { return [] }
    var points = [(0.0, 0.0)]
    var truePositives = 0.0
    var falsePositives = 0.0
    forEachThreshold(scores) { index in
      if positives[index] { truePositives += 1 } else { falsePositives += 1 }
    } after: {
      points.append((falsePositives / negativeCount, truePositives / positiveCount))
    }
    return points
  }

  /// (recall, precision) at every distinct threshold, highest threshold first.
  public static func precisionRecall(scores: [Float], positives: [Bool]) -> [(Double, Double)] {
    let positiveCount = Double(positives.filter { $0 }.count)
    guard positiveCount > 0 else { return [] }
    var points: [(Double, Double)] = []
    var truePositives = 0.0
    var seen = 0.0
    forEachThreshold(scores) { index in
      seen += 1
      if positives[index] { truePositives += 1 }
    } after: {
      points.append((truePositives / positiveCount, truePositives / seen))
    }
    return points
  }

  /// Visits samples by decreasing score, calling `after` once per group of tied scores.
  static func forEachThreshold(_ scores: [Float], _ visit: (Int) -> Void, after: () -> Void) {
    let order = scores.indices.sorted { scores[$0] > scores[$1] }
    var start = 0
    while start < order.count {
      var end = start
      while end + 1 < order.count, scores[order[end + 1]] == scores[order[start]] { end += 1 }
      for position in start...end { visit(order[position]) }
      after()
      start = end + 1
    }
  }
}
