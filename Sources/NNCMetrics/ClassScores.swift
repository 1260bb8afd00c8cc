/// How per-class scores are combined into one number.
public enum Average: String, Sendable, CaseIterable {
  /// The unweighted mean over classes.
  case macro
  /// Counts pooled over classes before dividing.
  case micro
  /// The mean weighted by each class's support (its number of true samples).
  case weighted
  /// The score of the positive class alone (two-class problems).
  case binary
}

/// Precision, recall and F1 of every class against the rest, with scikit-learn's
/// `precision_recall_fscore_support(y_true, y_pred, zero_division=0)` conventions:
/// - a ratio whose denominator is 0 (precision of a class never predicted, recall of a class that
///   never occurs) counts as 0;
/// - F1 is 2·TP / (2·TP + FP + FN), 0 when that denominator is 0;
/// - only classes that occur among the labels or the predictions take part (scikit-learn's default
///   `labels`); a class in neither has no score (nil) and is left out of every average.
public struct ClassScores: Sendable, Equatable {
  public var precision: [Double?]
  public var recall: [Double?]
  public var f1: [Double?]
  public var support: [Int]
  let matrix: ConfusionMatrix

  public init(_ matrix: ConfusionMatrix) {
    self.matrix = matrix
    let classes = 0..<matrix.classes
    support = classes.map(matrix.support)
    func score(_ c: Int, _ value: (Int, Int, Int) -> Double) -> Double? {
      let truePositives = matrix.truePositives(c)
      let predicted = matrix.predicted(c)
      let actual = matrix.support(c)
      guard predicted > 0 || actual > 0 else { return nil }
      return value(truePositives, predicted - truePositives, actual - truePositives)
    }
    precision = classes.map { c in score(c) { tp, fp, _ in Self.ratio(tp, tp + fp) } }
    recall = classes.map { c in score(c) { tp, _, fn in Self.ratio(tp, tp + fn) } }
    f1 = classes.map { c in score(c) { tp, fp, fn in Self.ratio(2 * tp, 2 * tp + fp + fn) } }
  }

  static func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }

  /// The classes that take part in averages.
  var present: [Int] { (0..<matrix.classes).filter { precision[$0] != nil } }

  public enum Score: String, Sendable, CaseIterable {
    case precision
    case recall
    case f1
  }

  public func perClass(_ score: Score) -> [Double?] {
    switch score {
    case .precision: precision
    case .recall: recall
    case .f1: f1
    }
  }

  /// One average of a score. `binary` is the positive class's own score, 0 when that class occurs in
  /// neither labels nor predictions. Weighted averages are 0 when no present class has support.
  public func average(_ score: Score, _ average: Average, positiveClass: Int = 1) -> Double {
    let values = perClass(score)
    switch average {
    case .binary:
      return values.indices.contains(positiveClass) ? values[positiveClass] ?? 0 : 0
    case .macro:
      let present = self.present
      return present.isEmpty ? 0 : present.reduce(0.0) { $0 + values[$1]! } / Double(present.count)
    case .weighted:
      let present = self.present
      let total = present.reduce(0) { $0 + support[$1] }
      guard total > 0 else { return 0 }
      return present.reduce(0.0) { $0 + values[$1]! * Double(support[$1]) } / Double(total)
    case .micro:
      // Pooled over the present classes: TP sums to the correct predictions; FP and FN sum to the
      // wrong ones (each wrong sample is one class's FP and another's FN).
      let present = self.present
      let truePositives = present.reduce(0) { $0 + matrix.truePositives($1) }
      let falsePositives = present.reduce(0) { $0 + matrix.predicted($1) } - truePositives
      let falseNegatives = present.reduce(0) { $0 + support[$1] } - truePositives
      switch score {
      case .precision: return Self.ratio(truePositives, truePositives + falsePositives)
      case .recall: return Self.ratio(truePositives, truePositives + falseNegatives)
      case .f1: return Self.ratio(2 * truePositives, 2 * truePositives + falsePositives + falseNegatives)
      }
    }
  }
}
