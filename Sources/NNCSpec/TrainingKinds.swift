/// The losses a spec may choose; the raw values are the names in `Vocabulary.losses`.
public enum LossKind: String, CaseIterable, Sendable {
  case crossEntropy = "cross_entropy"
  case binaryCrossEntropy = "binary_cross_entropy"
  case mse
  case mae
  case huber
}

/// The optimizers a spec may choose; the raw values are the names in `Vocabulary.optimizers`.
public enum OptimizerKind: String, CaseIterable, Sendable {
  case gd
  case sgd
  case rmsprop
  case adam
  case adamw
}

/// The learning-rate schedules a spec may choose; the raw values are the names in
/// `Vocabulary.schedules`.
public enum ScheduleKind: String, CaseIterable, Sendable {
  case constant
  case step
  case multistep
  case inv
  case poly
  case exponential
  case cosine
  case plateau
}

extension LossKind {
  /// The loss of a spec without a `loss` section.
  public static let specDefault = LossKind.crossEntropy
}

extension OptimizerKind {
  /// The optimizer of a spec without an `optimizer` section.
  public static let specDefault = OptimizerKind.adam
}
