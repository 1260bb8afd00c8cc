import NNCGraph
import NNCSpec
import Testing

@testable import NNCTrain

/// The kinds the trainer switches over are exactly the names the vocabulary accepts, and the
/// `train` section's defaults come from its schema.
@Suite struct TrainingKindsTests {
  @Test func kindsMatchTheVocabulary() {
    #expect(LossKind.allCases.map(\.rawValue) == Vocabulary.losses.map(\.name))
    #expect(OptimizerKind.allCases.map(\.rawValue) == Vocabulary.optimizers.map(\.name))
    #expect(ScheduleKind.allCases.map(\.rawValue) == Vocabulary.schedules.map(\.name))
  }

  @Test func unwrittenSettingsTakeTheSchemaDefaults() throws {
    let (spec, diagnostics) = SpecLoader.parse(
      text: "model:\n  input: [4]\n  layers:\n    - dense: 2\ntrain: {early_stopping: {}}\n",
      path: "/specs/defaults.yaml")
    let parsed = try #require(spec, "\(diagnostics)")
    let settings = TrainingConfiguration(spec: parsed)
    func defaultValue(_ schema: Schema, _ key: String) -> DefaultValue? { schema.key(key)?.defaultValue }
    #expect(defaultValue(Vocabulary.trainSchema, "epochs") == .int(settings.epochs))
    #expect(defaultValue(Vocabulary.trainSchema, "batch_size") == .int(settings.batchSize))
    #expect(defaultValue(Vocabulary.trainSchema, "seed") == .int(settings.seed))
    #expect(defaultValue(Vocabulary.trainSchema, "monitor") == .string(settings.monitor))
    #expect(defaultValue(Vocabulary.trainSchema, "schedule") == .string(settings.schedule.name))
    let stopping = try #require(settings.earlyStopping)
    #expect(defaultValue(Vocabulary.earlyStoppingSchema, "patience") == .int(stopping.patience))
    #expect(defaultValue(Vocabulary.earlyStoppingSchema, "monitor") == .string(stopping.monitor))
    #expect(defaultValue(Vocabulary.earlyStoppingSchema, "restore_best") == .bool(stopping.restoreBest))
    #expect(settings.loss.kind == .specDefault && settings.optimizer.kind == .specDefault)
    let adam = try #require(Vocabulary.optimizers.first { $0.name == "adam" })
    #expect(adam.parameter("lr")?.defaultValue == .number(settings.optimizer.learningRate))
  }

  @Test func runningStatisticsNeverTrain() {
    for role in [ParameterRole.runningMean, .runningVariance] { #expect(!role.canTrain) }
    for role in [ParameterRole.weight, .bias] { #expect(role.canTrain) }
  }
}

/// The regression and multi-label keys of the `loss` and `data` sections reach the settings.
@Test func regressionAndMultilabelSettings() throws {
  let text = """
    model:
      input: [4]
      layers:
        - dense: 2
    data:
      format: csv
      header: true
      target_columns: [price, 3]
      normalize_targets: true
      train: {path: a.csv}
    loss: {huber: {delta: 0.5}}
    """
  let (spec, diagnostics) = SpecLoader.parse(text: text, path: "/specs/regression.yaml")
  let parsed = try #require(spec, "\(diagnostics)")
  #expect(diagnostics.allSatisfy { $0.severity != .error }, "\(diagnostics)")
  let settings = TrainingConfiguration(spec: parsed)
  let data = try #require(settings.data)
  #expect(data.csvTargets == .values([.name("price"), .index(3)]))
  #expect(data.normalizeTargets)
  #expect(settings.loss.kind == .huber && settings.loss.huberDelta == 0.5)
  #expect(RunComponents.loss(settings.loss) == .huber(delta: 0.5))

  let weighted = try #require(
    SpecLoader.parse(
      text:
        "model:\n  input: [4]\n  layers:\n    - dense: 2\nloss: {binary_cross_entropy: {pos_weight: [1, 3]}}\n",
      path: "/specs/multilabel.yaml"
    ).0)
  #expect(
    RunComponents.loss(TrainingConfiguration(spec: weighted).loss)
      == .weightedBinaryCrossEntropy(fromLogits: true, positiveWeights: [1, 3]))
}
