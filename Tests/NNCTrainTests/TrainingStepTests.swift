import NNCGraph
import NNCRuntime
import NNCSpec
import Testing

@testable import NNCTrain

/// `nnc bench` and `nnc train` take the same step: loss, clipping and learning-rate multipliers.
@Suite struct TrainingStepTests {
  func loaded(_ train: String) throws -> (Graph, TrainingConfiguration) {
    let text = """
      model:
        input: [5]
        layers:
          - dense: {units: 6, activation: relu, name: body}
          - dense: {units: 3, name: head}
      loss: {cross_entropy: {label_smoothing: 0.1}}
      optimizer: {sgd: {lr: 0.5, momentum: 0.9}}
      train: \(train)
      """
    let (spec, diagnostics) = SpecLoader.parse(text: text, path: "/specs/step.yaml")
    let parsed = try #require(spec, "\(diagnostics)")
    let lowered = Lowering.lower(parsed)
    #expect(!lowered.hasErrors, "\(lowered.diagnostics)")
    return (try #require(lowered.graph), TrainingConfiguration(spec: parsed))
  }

  func weights(_ executor: Executor) -> [Float] { Array(executor.parameters) }

  /// The bench step's weights after one step on the bench's batch, and the Trainer's after the same
  /// batch from the same weights.
  func stepBothWays(_ train: String) throws -> (bench: [Float], trainer: [Float], before: [Float]) {
    let (graph, configuration) = try loaded(train)
    let benchmark = try TrainingBenchmark(
      graph: graph, configuration: configuration, batch: configuration.batchSize, optimization: .all)
    let trainer = try Trainer(
      graph: graph, configuration: configuration, runDirectory: "/nonexistent/run", specHash: "test")
    let before = weights(benchmark.executor)
    #expect(trainer.executor.parameterCount == before.count)
    trainer.executor.parameters.baseAddress!.update(from: before, count: before.count)
    trainer.executor.input.update(
      from: benchmark.executor.input, count: configuration.batchSize * benchmark.executor.inputSampleCount)
    try benchmark.run(learningRate: 0.5)
    try benchmark.labels.withUnsafeBufferPointer {
      _ = try trainer.step.run(batch: configuration.batchSize, targets: .labels($0), learningRate: 0.5)
    }
    return (weights(benchmark.executor), weights(trainer.executor), before)
  }

  @Test func benchAndTrainerChangeTheWeightsIdentically() throws {
    let clipped = try stepBothWays("{batch_size: 4, clip_norm: 0.01, lr_multipliers: {body: 0.25}}")
    #expect(clipped.bench.map(\.bitPattern) == clipped.trainer.map(\.bitPattern))
    #expect(clipped.bench != clipped.before)
    // Clipping and the multiplier take part: without them the same batch moves the weights elsewhere.
    let plain = try stepBothWays("{batch_size: 4}")
    #expect(plain.before == clipped.before)
    #expect(plain.bench.map(\.bitPattern) == plain.trainer.map(\.bitPattern))
    #expect(plain.bench != clipped.bench)
  }

  @Test func aZeroMultiplierKeepsItsLayerFixedInBench() throws {
    let (graph, configuration) = try loaded("{batch_size: 3, lr_multipliers: {body: 0}}")
    let benchmark = try TrainingBenchmark(
      graph: graph, configuration: configuration, batch: 3, optimization: .all)
    let layout = benchmark.executor.parameterLayout
    func values(_ prefix: String) -> [Float] {
      layout.filter { $0.info.name.hasPrefix(prefix) }.flatMap { Array(benchmark.executor.parameter($0)) }
    }
    let (body, head) = (values("body."), values("head."))
    try benchmark.run(learningRate: 0.5)
    #expect(values("body.") == body)
    #expect(values("head.") != head)
  }
}
