import NNCGraph
import NNCSpec
import Testing

@testable import NNCTrain

/// How `train.init`, `train.phases` and `early_stopping.mode` read into a `TrainingConfiguration`.
@Suite struct PhaseConfigurationTests {
  func configuration(_ train: String) throws -> TrainingConfiguration {
    let text = """
      model:
        input: [4]
        layers:
          - dense: {units: 3, name: body}
          - dense: {units: 2, name: head}
      optimizer: {sgd: {lr: 0.5, momentum: 0.9}}
      train: \(train)
      """
    let (spec, diagnostics) = SpecLoader.parse(text: text, path: "/specs/t.yaml")
    let parsed = try #require(spec, "\(diagnostics)")
    let lowered = Lowering.lower(parsed)
    #expect(!lowered.hasErrors, "\(lowered.diagnostics)")
    return TrainingConfiguration(spec: parsed)
  }

  @Test func phasesSetTheRunLengthAndTheirOwnOptimization() throws {
    let settings = try configuration(
      """
      {phases: [{epochs: 3, trainable: [head], optimizer: {adam: {lr: 0.01}}},
                {epochs: 2, freeze: {until: body}, lr: 0.001}, {epochs: 1}]}
      """)
    #expect(settings.epochs == 6)
    #expect(settings.phases.map(\.epochs) == [3, 2, 1])
    #expect(settings.phases.map(\.selection) == [.trainable(["head"]), .freezeUntil("body"), nil])
    #expect(settings.phases[0].optimizer?.name == "adam")
    #expect(settings.phases[0].optimizer?.learningRate == 0.01)
    // Without its own optimizer a phase keeps the spec's, at its own rate when it gives one.
    #expect(settings.phases[1].optimizer == nil)
    let second = PhasePlan.optimizerSettings(phase: 1, settings)
    #expect(second.name == "sgd")
    #expect(second.momentum == 0.9)
    #expect(second.learningRate == 0.001)
    #expect(PhasePlan.optimizerSettings(phase: 2, settings).learningRate == 0.5)
    // An explicit train.epochs caps the phases.
    #expect(try configuration("{epochs: 4, phases: [{epochs: 3}, {epochs: 3}]}").epochs == 4)
  }

  @Test func initReadsRenameRulesStrictAndLayout() throws {
    let settings = try configuration(
      """
      {init: {from: w.safetensors, strict: true, layout: keras,
              rename: [{pattern: '^fc\\.', replace: 'head.'}, {pattern: 'x', replace: ''}]}}
      """)
    let initialization = try #require(settings.initialization)
    #expect(initialization.path == "/specs/w.safetensors")
    #expect(initialization.strict)
    #expect(initialization.layout == .keras)
    #expect(
      initialization.rename == [
        .init(pattern: #"^fc\."#, replacement: "head."), .init(pattern: "x", replacement: ""),
      ])
    let shorthand = try #require(try configuration("{init_from: w.safetensors}").initialization)
    #expect(shorthand == WeightImportSettings(path: "/specs/w.safetensors"))
  }

  @Test func earlyStoppingModeDecidesTheDirection() throws {
    func maximizes(_ stopping: String) throws -> Bool? {
      try configuration("{early_stopping: \(stopping)}").earlyStopping?.maximizes
    }
    #expect(try maximizes("{monitor: val_loss}") == false)
    #expect(try maximizes("{monitor: val_accuracy}") == true)
    #expect(try maximizes("{monitor: val_loss, mode: max}") == true)
    #expect(try maximizes("{monitor: val_accuracy, mode: min}") == false)
  }
}
