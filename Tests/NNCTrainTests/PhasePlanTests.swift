import NNCGraph
import NNCSpec
import Testing

@testable import NNCTrain

/// The phase plan `nnc check` prints and `Trainer` follows; the model fingerprint resume checks.
@Suite struct PhasePlanTests {
  func lowered(_ text: String, path: String = "/specs/plan.yaml") throws -> (Graph, TrainingConfiguration) {
    let (spec, diagnostics) = SpecLoader.parse(text: text, path: path)
    let parsed = try #require(spec, "\(diagnostics)")
    let lowered = Lowering.lower(parsed)
    #expect(!lowered.hasErrors, "\(lowered.diagnostics)")
    return (try #require(lowered.graph), TrainingConfiguration(spec: parsed))
  }

  static let model = """
    model:
      input: [4]
      layers:
        - dense: {units: 3, name: body}
        - dense: {units: 2, name: head}
    optimizer: {sgd: {lr: 0.5}}
    """

  @Test func phasesRunBackToBackWithTheirOwnLayersAndRates() throws {
    let (graph, configuration) = try lowered(
      Self.model + "\ntrain: {phases: [{epochs: 2, trainable: [head]}, {epochs: 3, lr: 0.01}]}\n")
    let plan = PhasePlan(graph: graph, configuration: configuration)
    #expect(plan.phases.map(\.firstEpoch) == [0, 2])
    #expect(plan.phases.map(\.epochs) == [2, 3])
    #expect(plan.phases[0].trainableLayers == ["head"])
    #expect(plan.phases[1].trainableLayers == ["body", "head"])
    #expect(plan.phases.map(\.optimizer.learningRate) == [0.5, 0.01])
    #expect((0..<7).map { plan.phase(ofEpoch: $0) } == [0, 0, 1, 1, 1, 1, 1])
    #expect(plan.start(of: 1) == 2)
  }

  @Test func withoutPhasesTheRunIsOnePhase() throws {
    let (graph, configuration) = try lowered(Self.model + "\ntrain: {epochs: 4}\n")
    let plan = PhasePlan(graph: graph, configuration: configuration)
    #expect(plan.phases.count == 1)
    #expect(plan.phases[0].epochs == 4 && plan.phases[0].optimizer.kind == .sgd)
    #expect(plan.phases[0].parameterTotals == graph.parameterTotals)
    #expect(plan.phase(ofEpoch: 9) == 0)
  }

  @Test func theFingerprintFollowsTheArchitectureNotTheFile() throws {
    let (graph, _) = try lowered(Self.model)
    let (moved, _) = try lowered("\n\n" + Self.model + "\ntrain: {epochs: 4}\n", path: "/other/place.yaml")
    let (wider, _) = try lowered(Self.model.replacingOccurrences(of: "units: 3", with: "units: 5"))
    #expect(ModelFingerprint.of(graph) == ModelFingerprint.of(moved))
    #expect(ModelFingerprint.of(graph) != ModelFingerprint.of(wider))
  }
}
