/// How per-label scores of a multi-label problem are combined into one number.
public enum MultilabelAverage: String, Sendable, CaseIterable {
  /// The unweighted mean over labels.
  case macro
  /// Counts pooled over labels before dividing.
  case micro
  /// The mean weighted by each label's support (its number of positive samples).
  case weighted
  /// The score of each sample's label set, averaged over samples.
  case samples
}

/// Decisions of a multi-label classifier against multi-hot targets (row-major, `labels` per sample),
/// with scikit-learn's (1.9) multilabel conventions and `zero_division=0`:
/// - every label takes part in the per-label scores and their averages, also a label that is neither
///   true nor predicted anywhere (its scores are 0);
/// - a ratio whose denominator is 0 counts as 0, per label, pooled (micro) and per sample;
/// - the weighted average is 0 when no label has a positive sample.
public struct MultilabelMetrics: Sendable, Equatable {
  public var labels: Int
  public var samples: Int
  public var truePositives: [Int]
  public var falsePositives: [Int]
  public var falseNegatives: [Int]
  /// Positive samples per label.
  public var support: [Int]
  /// The fraction of samples whose predicted label set equals the true one (`accuracy_score`).
  public var subsetAccuracy: Double
  /// The fraction of (sample, label) pairs predicted wrong (`hamming_loss`).
  public var hammingLoss: Double
  /// Per-sample precision, recall and F1 (for the `samples` average).
  let sampleScores: [ClassScores.Score: [Double]]

  public init(targets: [Bool], predictions: [Bool], labels: Int) {
    precondition(labels > 0 && targets.count == predictions.count && targets.count % labels == 0)
    self.labels = labels
    samples = targets.count / labels
    var truePositives = [Int](repeating: 0, count: labels)
    var falsePositives = truePositives
    var falseNegatives = truePositives
    var exactRows = 0
    var sampleScores: [ClassScores.Score: [Double]] = [.precision: [], .recall: [], .f1: []]
    for sample in 0..<samples {
      var counts = (tp: 0, fp: 0, fn: 0)
      for label in 0..<labels {
        let index = sample * labels + label
        switch (targets[index], predictions[index]) {
        case (true, true):
          truePositives[label] += 1
          counts.tp += 1
        case (false, true):
          falsePositives[label] += 1
          counts.fp += 1
        case (true, false):
          falseNegatives[label] += 1
          counts.fn += 1
        case (false, false): break
        }
      }
      if counts.fp == 0 && counts.fn == 0 { exactRows += 1 }
      for score in ClassScores.Score.allCases {
        sampleScores[score]!.append(Self.score(score, tp: counts.tp, fp: counts.fp, fn: counts.fn))
      }
    }
    self.truePositives = truePositives
    self.falsePositives = falsePositives
    self.falseNegatives = falseNegatives
    support = zip(truePositives, falseNegatives).map { $0 + $1 }
    self.sampleScores = sampleScores
    let wrong = falsePositives.reduce(0, +) + falseNegatives.reduce(0, +)
    subsetAccuracy = samples == 0 ? 0 : Double(exactRows) / Double(samples)
    hammingLoss = samples == 0 ? 0 : Double(wrong) / Double(samples * labels)
  }

  /// Decisions from scores: a label is predicted where its score reaches the threshold.
  public static func decisions(scores: [Double], threshold: Double) -> [Bool] {
    scores.map { $0 >= threshold }
  }

  static func score(_ score: ClassScores.Score, tp: Int, fp: Int, fn: Int) -> Double {
    switch score {
    case .precision: ClassScores.ratio(tp, tp + fp)
    case .recall: ClassScores.ratio(tp, tp + fn)
    case .f1: ClassScores.ratio(2 * tp, 2 * tp + fp + fn)
    }
  }

  public func perLabel(_ score: ClassScores.Score) -> [Double] {
    (0..<labels).map {
      Self.score(score, tp: truePositives[$0], fp: falsePositives[$0], fn: falseNegatives[$0])
    }
  }

  public func average(_ score: ClassScores.Score, _ average: MultilabelAverage) -> Double {
    switch average {
    case .macro:
      return perLabel(score).reduce(0, +) / Double(labels)
    case .weighted:
      let total = support.reduce(0, +)
      guard total > 0 else { return 0 }
      return zip(perLabel(score), support).reduce(0.0) { $0 + $1.0 * Double($1.1) } / Double(total)
    case .micro:
      return Self.score(
        score, tp: truePositives.reduce(0, +), fp: falsePositives.reduce(0, +),
        fn: falseNegatives.reduce(0, +))
    case .samples:
      let values = sampleScores[score]!
      return values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }
  }

  /// A ranking metric (`RankingMetrics.rocAUC` or `.averagePrecision`) of every label's scores against
  /// its targets, and its averages; the macro average of average precision is the mAP.
  /// A label where the metric is undefined (no positives, or for ROC-AUC no negatives) is nil and left
  /// out of the macro and weighted averages (scikit-learn fails or returns NaN there); the micro average
  /// pools every (sample, label) pair.
  public static func ranking(
    scores: [Double], targets: [Bool], labels: Int, _ metric: ([Double], [Bool]) -> Double?
  ) -> RankingMetrics.OneVersusRest {
    let samples = targets.count / labels
    var perLabel: [Double?] = []
    var supports: [Int] = []
    for label in 0..<labels {
      let indices = (0..<samples).map { $0 * labels + label }
      let positives = indices.map { targets[$0] }
      perLabel.append(metric(indices.map { scores[$0] }, positives))
      supports.append(positives.filter { $0 }.count)
    }
    let defined = perLabel.indices.filter { perLabel[$0] != nil }
    let macro =
      defined.isEmpty ? nil : defined.reduce(0.0) { $0 + perLabel[$1]! } / Double(defined.count)
    let weight = defined.reduce(0) { $0 + supports[$1] }
    let weighted =
      weight == 0 ? nil : defined.reduce(0.0) { $0 + perLabel[$1]! * Double(supports[$1]) } / Double(weight)
    return RankingMetrics.OneVersusRest(
      perClass: perLabel, macro: macro, weighted: weighted,
      micro: metric(Array(scores.prefix(samples * labels)), Array(targets.prefix(samples * labels))))
  }
}
