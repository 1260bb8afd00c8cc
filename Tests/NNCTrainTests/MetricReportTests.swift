import Foundation
import NNCMetrics
import Testing

@testable import NNCTrain

/// The flat per-epoch values of a spec's metrics, and their round trip through history.jsonl.
@Suite struct MetricReportTests {
  static func setting(_ name: String, average: String = "macro", k: Int = 5, positive: Int? = nil)
    -> TrainingConfiguration.MetricSettings
  {
    TrainingConfiguration.MetricSettings(name: name, average: average, k: k, positiveClass: positive)
  }

  // Labels [0,0,1,1], predictions [0,1,1,1]: class 0 precision 1, recall 1/2; class 1 precision 2/3,
  // recall 1. F1: 2/3 and 4/5.
  static let predictions = Predictions(
    labels: [0, 0, 1, 1], predictions: [0, 1, 1, 1], scores: [0.9, 0.1, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8],
    classes: 2)

  @Test func flatKeysFollowTheSpecOrder() throws {
    let settings = [
      Self.setting("f1"), Self.setting("precision", average: "binary", positive: 0),
      Self.setting("top_k_accuracy", k: 1), Self.setting("roc_auc", average: "weighted"),
      Self.setting("confusion_matrix"), Self.setting("balanced_accuracy"),
    ]
    let report = MetricReport(settings, predictions: Self.predictions, loss: 0.5)
    #expect(
      report.values.map(\.key) == [
        "loss", "accuracy", "f1_macro", "precision_binary", "top_1_accuracy", "roc_auc_weighted",
        "balanced_accuracy",
      ])
    let values = Dictionary(uniqueKeysWithValues: report.values.map { ($0.key, $0.value) })
    #expect(abs(values["f1_macro"]! - (2.0 / 3 + 0.8) / 2) < 1e-12)
    // The positive class of the spec: class 0's precision.
    #expect(values["precision_binary"] == 1)
    #expect(values["balanced_accuracy"] == 0.75)
    // Each class ranks both of its positives above both negatives (class 1: 0.7, 0.8 over 0.1, 0.6).
    #expect(values["roc_auc_weighted"] == 1)
    #expect(report.confusionMatrix?.rows == [[1, 1], [0, 2]])
    #expect(MetricReport.positiveClass(settings) == 0)
    #expect(MetricReport.needsPredictions(settings))
    #expect(!MetricReport.needsPredictions([Self.setting("accuracy"), Self.setting("confusion_matrix")]))
  }

  @Test func historyRecordsKeepMetricsUnderPrefixedKeys() throws {
    var record = EpochRecord(
      epoch: 2, learning_rate: 0.1, train_loss: 0.5, train_accuracy: 0.75, val_loss: 0.6, val_accuracy: 0.7)
    record.trainMetrics = ["f1_macro": 0.7]
    record.validationMetrics = ["f1_macro": 0.65, "roc_auc_macro": 0.9]
    let line = try RunFiles.encode(record)
    #expect(line.contains("\"train_f1_macro\":0.7") && line.contains("\"val_roc_auc_macro\":0.9"))
    let decoded = try JSONDecoder().decode(EpochRecord.self, from: Data(line.utf8))
    #expect(decoded == record)
    #expect(decoded.value(of: "val_f1_macro") == 0.65)
    #expect(decoded.value(of: "f1_macro") == 0.7)
    #expect(decoded.value(of: "val_loss") == 0.6)
    #expect(decoded.value(of: "val_precision_macro") == nil)
    #expect(EpochRecord.isMaximized("val_f1_macro") && !EpochRecord.isMaximized("val_log_loss"))
    #expect(!EpochRecord.isMaximized("val_f1_macro", mode: "min"))
  }
}
