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
