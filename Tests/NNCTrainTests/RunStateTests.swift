import Foundation
import NNCGraph
import NNCSpec
import Testing

@testable import NNCTrain

/// The run state survives a checkpoint's metadata; history and class names survive their files.
@Suite struct RunStateTests {
  func configuration(_ train: String) throws -> TrainingConfiguration {
    let text = """
      model:
        input: [4]
        layers:
          - dense: 2
      train: \(train)
      """
    let (spec, diagnostics) = SpecLoader.parse(text: text, path: "/specs/state.yaml")
    let parsed = try #require(spec, "\(diagnostics)")
    #expect(!Lowering.lower(parsed).hasErrors)
    return TrainingConfiguration(spec: parsed)
  }

  @Test func metadataRoundTripsTheMonitors() throws {
    let settings = try configuration(
      "{early_stopping: {patience: 4, min_delta: 0.01}, schedule: {plateau: {patience: 2, factor: 0.5}}}")
    var state = RunState(configuration: settings, hasValidation: true)
    #expect(state.stopping?.patience == 4 && state.stopping?.minDelta == 0.01)
    #expect(state.plateau?.factor == 0.5 && state.plateau?.patience == 2)
    state.completedEpochs = 7
    state.bestValue = 0.75
    state.bestEpoch = 5
    _ = state.stopping?.update(0.4, epoch: 6)
    _ = state.stopping?.update(0.45, epoch: 7)
    _ = state.plateau?.update(0.4)
    state.plateau?.scale = 0.25

    var restored = RunState(configuration: settings, hasValidation: true)
    restored.restore(metadata: state.metadata, completedEpochs: 7)
    #expect(restored == state)
    restored.resetForPhase()
    #expect(restored.stopping?.best == nil && restored.plateau?.scale == 1)
    #expect(restored.bestValue == 0.75)
  }

  @Test func withoutMonitorsTheMetadataKeepsNeutralValues() throws {
    let state = RunState(configuration: try configuration("{epochs: 2}"), hasValidation: false)
    #expect(state.stopping == nil && state.plateau == nil)
    #expect(state.metadata["epochs_without_improvement"] == "0")
    #expect(state.metadata["plateau_scale"] == "1.0")
    #expect(RunState.metric("val_loss", hasValidation: false) == "loss")
    #expect(RunState.metric("val_loss", hasValidation: true) == "val_loss")
  }

  @Test func historyAndClassNamesRoundTrip() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "nnc-run-files-\(UUID().uuidString)"
    ).path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let files = RunFiles(directory: directory)
    let records = (1...3).map {
      EpochRecord(
        epoch: $0, learning_rate: 0.1, train_loss: 1 / Double($0), train_accuracy: 0.5, val_loss: nil,
        val_accuracy: nil)
    }
    try files.writeHistory(Array(records.prefix(2)))
    try files.appendHistory(records[2])
    #expect(try files.readHistory(limit: 10) == records)
    #expect(try files.readHistory(limit: 2) == Array(records.prefix(2)))
    try files.writeClassNames(["cat", "dog/puppy"])
    let text = try String(contentsOfFile: files.classesPath, encoding: .utf8)
    #expect(text == "[\"cat\",\"dog/puppy\"]\n")
  }
}
