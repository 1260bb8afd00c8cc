/// Metrics of scores rather than decisions: top-k accuracy, ROC-AUC and average precision (PR-AUC),
/// each class against the rest. Scores are row-major, `classes` per sample.
public enum RankingMetrics {
  /// The fraction of samples whose label is among the `k` highest scores, as scikit-learn's
  /// `top_k_accuracy_score(labels=range(classes))` computes it:
  /// - with more than two classes, a stable ascending sort reversed, so among tied scores the higher
  ///   class index ranks first;
  /// - with two classes, the score of class 1 against a threshold of 0.5 (0 when scores are not in
  ///   [0, 1]), a tie predicting class 0; every k ≥ 2 is a hit.
  public static func topKAccuracy(scores: [Double], labels: [Int], classes: Int, k: Int) -> Double {
    guard !labels.isEmpty, classes > 0 else { return 0 }
    var hits = 0
    if classes == 2 {
      let positive = labels.indices.map { scores[$0 * 2 + 1] }
      let threshold = positive.allSatisfy { $0 >= 0 && $0 <= 1 } ? 0.5 : 0
      for (sample, label) in labels.enumerated()
      where k >= 2 || (positive[sample] > threshold ? 1 : 0) == label {
        hits += 1
      }
    } else {
      for (sample, label) in labels.enumerated() {
        let row = scores[(sample * classes)..<((sample + 1) * classes)]
        let labelScore = row[row.startIndex + label]
        let ahead = row.indices.filter { index in
          row[index] > labelScore || (row[index] == labelScore && index - row.startIndex > label)
        }.count
        if ahead < k { hits += 1 }
      }
    }
    return Double(hits) / Double(labels.count)
  }

  /// Area under the ROC curve (`roc_auc_score` of one binary problem): the trapezoids under the curve,
  /// which counts a tie between a positive and a negative as half. Nil when either kind is absent
  /// (scikit-learn returns NaN with a warning).
  public static func rocAUC(scores: [Double], positives: [Bool]) -> Double? {
    ROCCurve(scores: scores, positives: positives)?.area
  }

  /// `average_precision_score` of one binary problem. Nil without positives: scikit-learn then sets
  /// recall to 1 at every threshold and returns 0, a value that says nothing about the scores.
  public static func averagePrecision(scores: [Double], positives: [Bool]) -> Double? {
    PrecisionRecallCurve(scores: scores, positives: positives)?.averagePrecision
  }

  /// A ranking metric for every class against the rest, and its averages.
  public struct OneVersusRest: Sendable, Equatable {
    /// Nil for a class where the metric is undefined (no positives, or for ROC-AUC no negatives).
    public var perClass: [Double?]
    /// The mean over the classes that have a value.
    public var macro: Double?
    /// The mean weighted by support; classes without a value have no positives, so weight 0.
    public var weighted: Double?
    /// The metric of all (sample, class) pairs pooled.
    public var micro: Double?

    public func value(_ average: Average, positiveClass: Int = 1) -> Double? {
      switch average {
      case .macro: macro
      case .weighted: weighted
      case .micro: micro
      case .binary: perClass.indices.contains(positiveClass) ? perClass[positiveClass] : nil
      }
    }
  }

  /// Scikit-learn's `roc_auc_score(multi_class="ovr", labels=range(classes))` and
  /// `average_precision_score` on binarized labels agree with these averages whenever every class has
  /// a value; where a class has none, scikit-learn's macro average is NaN (ROC-AUC) or fails, and this
  /// one averages the classes that have a value.
  public static func oneVersusRest(
    scores: [Double], labels: [Int], classes: Int, _ metric: ([Double], [Bool]) -> Double?
  ) -> OneVersusRest {
    var perClass: [Double?] = []
    var supports: [Int] = []
    for c in 0..<classes {
      let column = labels.indices.map { scores[$0 * classes + c] }
      let positives = labels.map { $0 == c }
      perClass.append(metric(column, positives))
      supports.append(positives.filter { $0 }.count)
    }
    let defined = perClass.indices.filter { perClass[$0] != nil }
    let macro =
      defined.isEmpty ? nil : defined.reduce(0.0) { $0 + perClass[$1]! } / Double(defined.count)
    let weight = defined.reduce(0) { $0 + supports[$1] }
    let weighted =
      weight == 0 ? nil : defined.reduce(0.0) { $0 + perClass[$1]! * Double(supports[$1]) } / Double(weight)
    let pooled = labels.flatMap { label in (0..<classes).map { $0 == label } }
    return OneVersusRest(
      perClass: perClass, macro: macro, weighted: weighted,
      micro: metric(Array(scores.prefix(labels.count * classes)), pooled))
  }
}
