/// Which metrics a report holds. Accuracy is always there; the rest as a spec's `metrics` section
/// asks, or all of them.
public struct MetricSelection: Sendable, Equatable {
  public var balancedAccuracy = false
  /// The k of every `top_k_accuracy` wanted.
  public var topK: [Int] = []
  public var logLoss = false
  public var precision = false
  public var recall = false
  public var f1 = false
  public var rocAUC = false
  public var averagePrecision = false
  public var confusionMatrix = false

  public init() {}

  /// Every metric; top-k accuracy for k = 2, 3 and 5 where k is below the number of classes (k ≥
  /// classes is always 1).
  public static func all(classes: Int) -> MetricSelection {
    var selection = MetricSelection()
    selection.balancedAccuracy = true
    selection.topK = [2, 3, 5].filter { $0 < classes }
    selection.logLoss = true
    selection.precision = true
    selection.recall = true
    selection.f1 = true
    selection.rocAUC = true
    selection.averagePrecision = true
    selection.confusionMatrix = true
    return selection
  }

  var anyClassScore: Bool { precision || recall || f1 }
}

/// Every selected metric of a set of predictions, with notes on the values that are undefined and
/// how they were treated.
public struct ClassificationReport: Sendable {
  public var selection: MetricSelection
  public var samples: Int
  public var classes: Int
  /// The class whose scores the `binary` averages report (two-class problems).
  public var positiveClass: Int
  /// The model's own loss, when a model made the predictions.
  public var loss: Double?
  public var accuracy: Double
  public var balancedAccuracy: Double?
  /// Top-k accuracy by k, increasing.
  public var topK: [(k: Int, value: Double)] = []
  public var logLoss: Double?
  public var classScores: ClassScores?
  public var rocAUC: RankingMetrics.OneVersusRest?
  public var averagePrecision: RankingMetrics.OneVersusRest?
  public var confusionMatrix: ConfusionMatrix
  /// Undefined values and the convention applied, one sentence each.
  public var warnings: [String] = []

  public init(
    _ predictions: Predictions, selection: MetricSelection, positiveClass: Int = 1, loss: Double? = nil
  ) {
    self.selection = selection
    samples = predictions.count
    classes = predictions.classes
    self.positiveClass = positiveClass
    self.loss = loss
    confusionMatrix = ConfusionMatrix(
      labels: predictions.labels, predictions: predictions.predictions, classes: predictions.classes)
    accuracy = confusionMatrix.accuracy
    if selection.balancedAccuracy { balancedAccuracy = confusionMatrix.balancedAccuracy }
    topK = Set(selection.topK).sorted().map { k in
      (
        k,
        RankingMetrics.topKAccuracy(
          scores: predictions.scores, labels: predictions.labels, classes: classes, k: k)
      )
    }
    if selection.logLoss {
      logLoss = LogLoss.value(
        probabilities: predictions.scores, labels: predictions.labels, classes: classes)
      if logLoss == nil, samples > 0 {
        warnings.append(
          "log_loss is not reported: some scores lie outside [0, 1], so they are not probabilities")
      }
    }
    if selection.anyClassScore {
      let scores = ClassScores(confusionMatrix)
      classScores = scores
      let neverPredicted = (0..<classes).filter {
        scores.precision[$0] != nil && confusionMatrix.predicted($0) == 0
      }
      let neverTrue = (0..<classes).filter { scores.recall[$0] != nil && confusionMatrix.support($0) == 0 }
      let absent = (0..<classes).filter { scores.precision[$0] == nil }
      if !neverPredicted.isEmpty {
        warnings.append(
          "precision is 0 for \(Self.classList(neverPredicted)), never predicted (zero_division=0)")
      }
      if !neverTrue.isEmpty {
        warnings.append(
          "recall is 0 for \(Self.classList(neverTrue)), absent from the labels (zero_division=0)")
      }
      if !absent.isEmpty {
        warnings.append(
          "precision, recall and F1 are undefined for \(Self.classList(absent)), in neither labels nor "
            + "predictions; left out of the averages")
      }
    }
    if selection.rocAUC {
      rocAUC = RankingMetrics.oneVersusRest(
        scores: predictions.scores, labels: predictions.labels, classes: classes, RankingMetrics.rocAUC)
      let undefined = (0..<classes).filter { rocAUC?.perClass[$0] == nil }
      if !undefined.isEmpty {
        warnings.append(
          "ROC-AUC is undefined for \(Self.classList(undefined)), which \(undefined.count == 1 ? "has" : "have") "
            + "no positive or no negative samples; left out of the macro average")
      }
    }
    if selection.averagePrecision {
      averagePrecision = RankingMetrics.oneVersusRest(
        scores: predictions.scores, labels: predictions.labels, classes: classes,
        RankingMetrics.averagePrecision)
      let undefined = (0..<classes).filter { averagePrecision?.perClass[$0] == nil }
      if !undefined.isEmpty {
        warnings.append(
          "average precision is undefined for \(Self.classList(undefined)), absent from the labels; "
            + "left out of the macro average")
      }
    }
  }

  static func classList(_ classes: [Int]) -> String {
    (classes.count == 1 ? "class " : "classes ") + classes.map(String.init).joined(separator: ", ")
  }

  /// The averages that apply: `binary` only for two classes.
  public var averages: [Average] { classes == 2 ? Average.allCases : [.macro, .micro, .weighted] }
}
