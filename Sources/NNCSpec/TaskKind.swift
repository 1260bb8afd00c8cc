/// What a model predicts, as `data.task` names it or as `nnc check` infers it from the loss and the
/// model's head. It decides how outputs become predictions and which metrics apply.
public enum TaskKind: String, CaseIterable, Sendable {
  /// One class per sample out of K (softmax or cross-entropy on K units): the arg-max is predicted.
  case classification
  /// One unit giving the probability of class 1 (binary cross-entropy): thresholded.
  case binary
  /// K units, each an independent yes/no (binary cross-entropy per unit).
  case multilabel
  /// Real-valued outputs (mse): no classes, no class decisions.
  case regression

  /// How summaries name the task.
  public var title: String {
    switch self {
    case .classification: "multi-class classification"
    case .binary: "binary classification"
    case .multilabel: "multi-label classification"
    case .regression: "regression"
    }
  }

  /// Whether the task's predictions are classes (and so admit accuracy, a confusion matrix, ...).
  public var predictsClasses: Bool { self != .regression }

  /// The metrics that need class decisions or class scores: none of them fits a regression.
  public static let classificationMetrics: Set<String> = [
    "accuracy", "balanced_accuracy", "top_k_accuracy", "precision", "recall", "f1", "confusion_matrix",
    "roc_auc", "pr_auc", "average_precision", "log_loss",
  ]
}
