/// The names under which training reports the spec's metrics each epoch (`history.jsonl`, progress
/// lines, `monitor`): one source of truth for `nnc check` and the trainer.
public enum MetricNames {
  /// The per-epoch key of a metric with its options, without a `train_`/`val_` prefix: `accuracy`,
  /// `balanced_accuracy`, `top_5_accuracy`, `log_loss`, `loss`, `<metric>_<average>` for precision,
  /// recall, f1, roc_auc, pr_auc and average_precision (`f1_macro`, `roc_auc_weighted`). Nil for
  /// `confusion_matrix`, which is no number.
  public static func key(metric name: String, average: String = "macro", k: Int = 5) -> String? {
    switch name {
    case "confusion_matrix": nil
    case "top_k_accuracy": "top_\(k)_accuracy"
    case "precision", "recall", "f1", "roc_auc", "pr_auc", "average_precision": "\(name)_\(average)"
    default: name
    }
  }

  /// The key of a metric as the spec writes it; nil for unknown metrics and `confusion_matrix`.
  public static func key(_ call: Call) -> String? {
    guard let signature = Vocabulary.metrics.first(where: { $0.name == call.name }) else { return nil }
    var ignored = DiagnosticBag()
    let arguments = ArgumentChecker.check(call, against: signature, what: call.name, into: &ignored)
    return key(metric: call.name, average: arguments.string("average") ?? "macro", k: arguments.int("k") ?? 5)
  }

  /// Every name `monitor` accepts for a spec's metrics: loss and accuracy always, and each metric's
  /// key, plain and with `train_` and `val_` prefixes.
  public static func monitorable(_ metrics: [Call]?) -> [String] {
    var base = ["loss", "accuracy"]
    for call in metrics ?? [] {
      if let key = key(call), !base.contains(key) { base.append(key) }
    }
    return base + base.map { "train_" + $0 } + base.map { "val_" + $0 }
  }

  /// Whether larger values of a monitored metric are better when no `mode` says: losses (names ending
  /// in `loss`) and the errors of a regression (`mae`, `mse`, `rmse`, `max_error`) decrease,
  /// everything else increases.
  public static func isMaximized(_ name: String) -> Bool {
    let base = ["train_", "val_"].reduce(name) { $0.hasPrefix($1) ? String($0.dropFirst($1.count)) : $0 }
    return !name.hasSuffix("loss") && !["mae", "mse", "rmse", "max_error"].contains(base)
  }
}
