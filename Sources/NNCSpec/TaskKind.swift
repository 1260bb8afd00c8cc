/// What a model predicts, as `data.task` names it or as `nnc check` infers it from the loss and the
/// model's head. It decides how outputs become predictions and which metrics apply.
public enum TaskKind: String, CaseIterable, Sendable {
  /// One class per sample out of K (softmax or cross-entropy on K units): the arg-max is predicted.
  case classification
  /// One unit giving the probability of class 1 (binary cross-entropy): thresholded.
  case binary
  /// K units, each an independent yes/no (binary cross-entropy per unit).
  case multilabel
  /// Real-valued outputs (mse, mae, huber): no classes, no class decisions.
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
    "roc_auc", "pr_auc", "average_precision", "log_loss", "subset_accuracy", "hamming_loss",
  ]

  /// The metrics of float predictions against float targets.
  public static let regressionMetrics: Set<String> = [
    "mae", "mse", "rmse", "r2", "explained_variance", "max_error",
  ]

  /// The metrics a task reports; `loss` fits every task.
  public func admits(metric: String) -> Bool {
    switch self {
    case .regression: metric == "loss" || Self.regressionMetrics.contains(metric)
    case .multilabel: Self.multilabelMetrics.contains(metric)
    case .classification, .binary:
      metric != "subset_accuracy" && metric != "hamming_loss" && !Self.regressionMetrics.contains(metric)
    }
  }

  /// The per-label scores and their averages, subset accuracy and Hamming loss: what a multi-label
  /// task reports (there is no single class per sample, so no confusion matrix or top-k).
  static let multilabelMetrics: Set<String> = [
    "loss", "accuracy", "subset_accuracy", "hamming_loss", "precision", "recall", "f1", "roc_auc", "pr_auc",
    "average_precision",
  ]

  /// The `average` options a task's per-class or per-label scores take.
  public var averages: [String] {
    switch self {
    case .multilabel: ["macro", "micro", "weighted", "samples"]
    case .classification, .binary: ["macro", "micro", "weighted", "binary"]
    case .regression: []
    }
  }

  /// Whether the loss fits a regression.
  public static func isRegressionLoss(_ loss: LossKind) -> Bool {
    loss == .mse || loss == .mae || loss == .huber
  }
}
