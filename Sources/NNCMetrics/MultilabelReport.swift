import Foundation

/// What `nnc eval` reports for a multi-label task: precision, recall and F1 per label with their
/// micro, macro, weighted and samples averages, subset accuracy, Hamming loss and, from the label
/// probabilities, per-label ROC-AUC and average precision (whose macro average is the mAP).
public struct MultilabelReport: Sendable {
  public var metrics: MultilabelMetrics
  public var rocAUC: RankingMetrics.OneVersusRest?
  public var averagePrecision: RankingMetrics.OneVersusRest?
  /// The name of each label, or `label_0`, `label_1`, ...
  public var names: [String]
  public var loss: Double?

  /// `scores` (row-major label probabilities) may be nil for decisions alone.
  public init(
    targets: [Bool], predictions: [Bool], scores: [Double]?, labels: Int, names: [String]? = nil,
    loss: Double?
  ) {
    metrics = MultilabelMetrics(targets: targets, predictions: predictions, labels: labels)
    if let scores {
      rocAUC = MultilabelMetrics.ranking(
        scores: scores, targets: targets, labels: labels, RankingMetrics.rocAUC)
      averagePrecision = MultilabelMetrics.ranking(
        scores: scores, targets: targets, labels: labels, RankingMetrics.averagePrecision)
    }
    self.names = names?.count == labels ? names! : (0..<labels).map { "label_\($0)" }
    self.loss = loss
  }

  /// A score per label and its averages; undefined values are `null`.
  public struct AveragedJSON: Encodable, Sendable {
    public var micro: Double?
    public var macro: Double?
    public var weighted: Double?
    /// Per sample, then averaged (precision, recall and F1 only).
    public var samples: Double?
    public var per_label: [Double?]
  }

  /// The `metrics` object of `nnc eval --format json` for a multi-label task.
  public struct JSON: Encodable, Sendable {
    public var task = "multilabel"
    public var loss: Double?
    public var samples: Int
    public var labels: [String]
    public var subset_accuracy: Double
    public var hamming_loss: Double
    public var precision: AveragedJSON
    public var recall: AveragedJSON
    public var f1: AveragedJSON
    /// Positive samples per label.
    public var support: [Int]
    public var roc_auc: AveragedJSON?
    public var average_precision: AveragedJSON?
    /// The macro average of the per-label average precision.
    public var mean_average_precision: Double?
  }

  public var json: JSON {
    func scores(_ score: ClassScores.Score) -> AveragedJSON {
      AveragedJSON(
        micro: metrics.average(score, .micro), macro: metrics.average(score, .macro),
        weighted: metrics.average(score, .weighted), samples: metrics.average(score, .samples),
        per_label: metrics.perLabel(score))
    }
    func ranking(_ values: RankingMetrics.OneVersusRest?) -> AveragedJSON? {
      values.map {
        AveragedJSON(
          micro: $0.micro, macro: $0.macro, weighted: $0.weighted, samples: nil, per_label: $0.perClass)
      }
    }
    return JSON(
      loss: loss, samples: metrics.samples, labels: names, subset_accuracy: metrics.subsetAccuracy,
      hamming_loss: metrics.hammingLoss, precision: scores(.precision), recall: scores(.recall),
      f1: scores(.f1), support: metrics.support, roc_auc: ranking(rocAUC),
      average_precision: ranking(averagePrecision), mean_average_precision: averagePrecision?.macro)
  }

  /// The value of a score under a multi-label average (nil where undefined).
  public func value(_ name: String, average: MultilabelAverage) -> Double? {
    switch name {
    case "precision", "recall", "f1": return metrics.average(ClassScores.Score(rawValue: name)!, average)
    case "roc_auc": return Self.averaged(rocAUC, average)
    case "pr_auc", "average_precision": return Self.averaged(averagePrecision, average)
    case "accuracy", "subset_accuracy": return metrics.subsetAccuracy
    case "hamming_loss": return metrics.hammingLoss
    case "loss": return loss
    default: return nil
    }
  }

  static func averaged(_ values: RankingMetrics.OneVersusRest?, _ average: MultilabelAverage) -> Double? {
    switch average {
    case .micro: values?.micro
    case .macro: values?.macro
    case .weighted: values?.weighted
    case .samples: nil
    }
  }

  /// A table like scikit-learn's `classification_report` for multi-label data, then the figures that
  /// cover the whole label set.
  public var text: String {
    let nameWidth = max(14, names.map(\.count).max() ?? 0)
    func pad(_ text: String, _ width: Int) -> String {
      String(repeating: " ", count: max(0, width - text.count)) + text
    }
    func number(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "-" }
    var out = ""
    if let loss { out += String(format: "loss: %.4f\n", loss) }
    out += String(
      format: "subset accuracy: %.4f\nhamming loss: %.4f\n", metrics.subsetAccuracy, metrics.hammingLoss)
    if let map = averagePrecision?.macro {
      out += String(format: "mean average precision (mAP): %.4f\n", map)
    }
    out += "\n"
    let ranked = rocAUC != nil
    out += pad("", nameWidth) + ["precision", "recall", "f1-score"].map { pad($0, 10) }.joined()
    out += (ranked ? pad("roc-auc", 10) + pad("avg-prec", 10) : "") + pad("support", 10) + "\n\n"
    let precision = metrics.perLabel(.precision)
    let recall = metrics.perLabel(.recall)
    let f1 = metrics.perLabel(.f1)
    for label in 0..<metrics.labels {
      out += pad(names[label], nameWidth)
      out += [precision[label], recall[label], f1[label]].map { pad(number($0), 10) }.joined()
      if ranked {
        out += pad(number(rocAUC?.perClass[label] ?? nil), 10)
        out += pad(number(averagePrecision?.perClass[label] ?? nil), 10)
      }
      out += pad(String(metrics.support[label]), 10) + "\n"
    }
    out += "\n"
    let supportTotal = metrics.support.reduce(0, +)
    for average in MultilabelAverage.allCases {
      out += pad("\(average.rawValue) avg", nameWidth)
      out += ["precision", "recall", "f1"].map { pad(number(value($0, average: average)), 10) }.joined()
      if ranked {
        out += pad(number(value("roc_auc", average: average)), 10)
        out += pad(number(value("average_precision", average: average)), 10)
      }
      out += pad(String(supportTotal), 10) + "\n"
    }
    return out
  }
}
