extension ClassificationReport {
  /// A score per class and its averages; `binary` (the positive class's value) only with two classes.
  /// An undefined value is `null`.
  public struct AveragedJSON: Encodable, Sendable {
    public var macro: Double?
    public var micro: Double?
    public var weighted: Double?
    public var binary: Double?
    public var per_class: [Double?]
    var twoClasses: Bool

    enum CodingKeys: String, CodingKey {
      case macro, micro, weighted, binary, per_class
    }

    public func encode(to encoder: Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(macro, forKey: .macro)
      try container.encode(micro, forKey: .micro)
      try container.encode(weighted, forKey: .weighted)
      if twoClasses { try container.encode(binary, forKey: .binary) }
      try container.encode(per_class, forKey: .per_class)
    }
  }

  /// The `metrics` object of `nnc eval --format json`; keys of metrics not selected are absent.
  public struct JSON: Encodable, Sendable {
    public var loss: Double?
    public var accuracy: Double
    public var balanced_accuracy: Double?
    /// By k, as a string ("2", "5").
    public var top_k_accuracy: [String: Double]?
    public var log_loss: Double?
    public var precision: AveragedJSON?
    public var recall: AveragedJSON?
    public var f1: AveragedJSON?
    /// Samples per true class, when precision, recall or F1 are reported.
    public var support: [Int]?
    public var roc_auc: AveragedJSON?
    public var average_precision: AveragedJSON?
    /// Rows: true labels, columns: predictions.
    public var confusion_matrix: [[Int]]?
    /// Each row divided by its total (0 for a class absent from the labels).
    public var confusion_matrix_normalized: [[Double]]?
  }

  public var json: JSON {
    let twoClasses = classes == 2
    func scores(_ score: ClassScores.Score) -> AveragedJSON? {
      guard let classScores else { return nil }
      return AveragedJSON(
        macro: classScores.average(score, .macro), micro: classScores.average(score, .micro),
        weighted: classScores.average(score, .weighted),
        binary: classScores.average(score, .binary, positiveClass: positiveClass),
        per_class: classScores.perClass(score), twoClasses: twoClasses)
    }
    func ranking(_ values: RankingMetrics.OneVersusRest?) -> AveragedJSON? {
      guard let values else { return nil }
      return AveragedJSON(
        macro: values.macro, micro: values.micro, weighted: values.weighted,
        binary: values.value(.binary, positiveClass: positiveClass), per_class: values.perClass,
        twoClasses: twoClasses)
    }
    return JSON(
      loss: loss, accuracy: accuracy, balanced_accuracy: balancedAccuracy,
      top_k_accuracy: topK.isEmpty
        ? nil : Dictionary(uniqueKeysWithValues: topK.map { (String($0.k), $0.value) }),
      log_loss: logLoss,
      precision: selection.precision ? scores(.precision) : nil,
      recall: selection.recall ? scores(.recall) : nil, f1: selection.f1 ? scores(.f1) : nil,
      support: classScores?.support, roc_auc: ranking(rocAUC), average_precision: ranking(averagePrecision),
      confusion_matrix: selection.confusionMatrix ? confusionMatrix.rows : nil,
      confusion_matrix_normalized: selection.confusionMatrix ? confusionMatrix.normalized(.labels) : nil)
  }
}
