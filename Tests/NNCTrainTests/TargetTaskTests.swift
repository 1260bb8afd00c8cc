import NNCData
import NNCMetrics
import NNCSpec
import Testing

@testable import NNCTrain

/// Multi-label decisions, regression and multi-label metric values, and the target normalization a
/// checkpoint records.
@Suite struct TargetTaskUnitTests {
  @Test func regressionLossesAndTargetKeysDecideTheTask() {
    #expect(TaskKind.inferred(loss: .mae, outputUnits: 3, declaresClasses: false) == .regression)
    #expect(TaskKind.inferred(loss: .huber, outputUnits: 1, declaresClasses: true) == .regression)
    #expect(
      TaskKind.inferred(loss: .mse, outputUnits: 3, declaresClasses: false, dataTargets: .regression)
        == .regression)
    #expect(TaskKind.regression.admits(metric: "r2") && !TaskKind.regression.admits(metric: "f1"))
    #expect(
      !TaskKind.classification.admits(metric: "r2") && !TaskKind.multilabel.admits(metric: "confusion_matrix")
    )
  }

  @Test func multilabelLabelsUseTheirOwnThresholds() {
    let rule = PredictionRule(
      task: .multilabel, loss: .binaryCrossEntropy(fromLogits: false), thresholds: [0.5, 0.2, 0.9])
    #expect(!rule.decidesClasses && rule.readsTargets)
    #expect(rule.predicts(probability: 0.5, label: 0) && !rule.predicts(probability: 0.49, label: 0))
    #expect(rule.predicts(probability: 0.25, label: 1))
    #expect(!rule.predicts(probability: 0.85, label: 2))
    // From logits the sigmoid comes first: a logit of 0 is probability 0.5.
    let logits = PredictionRule(
      task: .multilabel, loss: .weightedBinaryCrossEntropy(positiveWeights: [2]), threshold: 0.5)
    #expect(logits.labelDecision(0, label: 0) == (0.5, true))
    #expect(logits.labelDecision(-0.1, label: 4).predicted == false)
    // A single probability in a multi-label row is never taken for a class index.
    #expect(rule.predictedClass(UnsafeBufferPointer(start: nil, count: 0), sample: 0, classes: 3) == nil)
  }

  @Test func multilabelValuesFollowTheSpecsAveragesAndSubsetAccuracy() {
    let rule = PredictionRule(task: .multilabel, loss: .binaryCrossEntropy(fromLogits: false), threshold: 0.5)
    // Two samples, two labels: the first exact, the second misses label 1.
    let report = TargetMetricReport(
      [
        TrainingConfiguration.MetricSettings(name: "f1", average: "micro", k: 5),
        TrainingConfiguration.MetricSettings(name: "hamming_loss", average: "macro", k: 5),
      ], targets: [1, 0, 0, 1], outputs: [0.9, 0.1, 0.2, 0.3], width: 2, rule: rule, loss: 0.25)
    let values = Dictionary(uniqueKeysWithValues: report.values.map { ($0.key, $0.value) })
    #expect(report.values.map(\.key) == ["loss", "accuracy", "f1_micro", "hamming_loss"])
    #expect(values["accuracy"] == 0.5)
    #expect(values["hamming_loss"] == 0.25)
    // tp 1, fp 0, fn 1: F1 = 2 / 3.
    #expect(abs(values["f1_micro"]! - 2.0 / 3) < 1e-12)
  }

  @Test func regressionValuesAreUniformAveragesOverOutputs() {
    let report = TargetMetricReport(
      [
        TrainingConfiguration.MetricSettings(name: "mae", average: "macro", k: 5),
        TrainingConfiguration.MetricSettings(name: "r2", average: "macro", k: 5),
      ], targets: [1, 10, 2, 20, 3, 30], outputs: [1, 12, 2, 20, 4, 30], width: 2, rule: .regression,
      loss: nil)
    let values = Dictionary(uniqueKeysWithValues: report.values.map { ($0.key, $0.value) })
    // Output 0: errors 0, 0, 1; output 1: 2, 0, 0.
    #expect(values["mae"] == (1.0 / 3 + 2.0 / 3) / 2)
    let r2First = 1 - 1.0 / 2
    let r2Second = 1 - 4.0 / 200
    #expect(abs(values["r2"]! - (r2First + r2Second) / 2) < 1e-12)
  }

  @Test func targetNormalizationRoundTripsThroughCheckpointMetadata() throws {
    let normalization = TargetNormalization(mean: [150.5, -2], std: [77.25, 0.5])
    let metadata = [TargetNormalization.metadataKey: normalization.metadataJSON]
    #expect(TargetNormalization(metadata: metadata) == normalization)
    #expect(TargetNormalization(metadata: [:]) == nil)
    #expect(
      TargetNormalization(metadata: [TargetNormalization.metadataKey: "{\"mean\":[1],\"std\":[0]}"]) == nil)
  }

  @Test func loadedTargetsAreNormalizedByTheTrainingSplitAndRenormalized() throws {
    let train = try Dataset(
      samples: [0, 1, 2, 3], targets: Targets(kind: .values, values: [10, 20, 30, 40], width: 1),
      sampleShape: [1])
    let test = try Dataset(
      samples: [5], targets: Targets(kind: .values, values: [25], width: 1), sampleShape: [1])
    var data = LoadedData(train: train, test: test)
    try data.normalizeTargets()
    let statistics = try #require(data.targetNormalization)
    #expect(statistics.mean == [25])
    #expect(abs(statistics.std[0] - 125.0.squareRoot()) < 1e-12)
    #expect(data.test?.targets?.values == [0])
    // Another normalization (a checkpoint's) replaces the first on the raw values.
    try data.normalizeTargets(TargetNormalization(mean: [20], std: [5]))
    #expect(data.test?.targets?.values == [1])
    let renormalized = try #require(data.train.targets?.values)
    #expect(zip(renormalized, [-2, 0, 2, 4]).allSatisfy { abs($0 - $1) < 1e-5 })
  }
}

@Test func regressionErrorsAreMinimizedWhenMonitored() {
  #expect(!EpochRecord.isMaximized("val_mae") && !EpochRecord.isMaximized("train_rmse"))
  #expect(!EpochRecord.isMaximized("max_error") && !EpochRecord.isMaximized("val_hamming_loss"))
  #expect(EpochRecord.isMaximized("val_r2") && EpochRecord.isMaximized("val_explained_variance"))
  #expect(EpochRecord.isMaximized("val_mae", mode: "max"))
}
