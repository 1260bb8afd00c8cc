import Foundation
import NNCGraph
import NNCRandom
import NNCSpec
import Testing

@testable import NNCRuntime

/// The optimized executor (fusion, folding, in-place activations, planned memory) must compute what
/// the unoptimized one computes: the same outputs (relative error ≤ 1e-5) and, in training, the same
/// parameter gradients, on the same random input and weights.
@Suite struct OptimizationEquivalenceTests {
  static let specsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Specs")

  /// Every spec in Specs/, and the input override that keeps the ImageNet-sized ones small.
  static var shippedSpecs: [String] {
    let files = (try? FileManager.default.contentsOfDirectory(atPath: specsDirectory.path)) ?? []
    return files.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".nnc") }.sorted()
  }

  /// ImageNet-sized models run at the smallest of these sizes that their stride pattern accepts.
  static let reducedSizes = [64, 96, 128, 160]

  static func loadGraph(_ file: String) throws -> Graph {
    let path = specsDirectory.appendingPathComponent(file).path
    let (parsed, diagnostics, _) = SpecLoader.load(path: path)
    let spec = try #require(parsed, "\(diagnostics)")
    let graph = try #require(Lowering.lower(spec).graph, "\(file) does not lower")
    let sample = graph.inputShape.sample
    guard sample.count == 3, sample[1] * sample[2] > 64 * 64 else { return graph }
    for size in reducedSizes {
      var bag = DiagnosticBag()
      let text = "model.input=[\(sample[0]),\(size),\(size)]"
      let override = try #require(Override.parse(text, index: 1, diagnostics: &bag))
      if let reduced = Lowering.lower(spec.applying([override], diagnostics: &bag)).graph { return reduced }
    }
    Issue.record("\(file) lowers at none of the sizes \(reducedSizes)")
    return graph
  }

  /// max |a − b| / max |b|: the error relative to the reference's scale.
  static func relativeError(_ a: [Float], _ b: [Float]) -> Double {
    let scale = b.reduce(0) { max($0, Double(abs($1))) }
    let difference = zip(a, b).reduce(0) { max($0, Double(abs($1.0 - $1.1))) }
    return scale == 0 ? difference : difference / scale
  }

  /// Same parameters (random, with positive running variances and non-trivial running means) and
  /// the same input in both executors.
  static func prepare(_ executors: [Executor], batch: Int, seed: UInt64) {
    var rng = RandomGenerator(seed: seed)
    let count = executors[0].parameterCount
    let values = executors[0].parameterLayout.flatMap { slot in
      (0..<slot.info.count).map { _ in
        slot.info.role == .runningVariance ? rng.nextUniform(0.5, 1.5) : rng.nextUniform(-0.5, 0.5)
      }
    }
    let input = (0..<(batch * executors[0].inputSampleCount)).map { _ in rng.nextUniform(-1, 1) }
    for executor in executors {
      #expect(executor.parameterCount == count)
      for (index, value) in values.enumerated() { executor.parameters[index] = value }
      for (index, value) in input.enumerated() { executor.input[index] = value }
    }
  }

  static func output(_ executor: Executor, batch: Int) -> [Float] {
    Array(UnsafeBufferPointer(start: executor.output, count: batch * executor.outputSampleCount))
  }

  /// The optimized inference executor's outputs against the unoptimized one's, for `batches`
  /// batches in a row (from the second on, kernels that keep prepared weights use them).
  static func checkInference(_ graph: Graph, batch: Int, seed: UInt64 = 7, batches: Int = 1) {
    let optimized = Executor(graph: graph, maxBatch: batch, configuration: .inference)
    let reference = Executor(
      graph: graph, maxBatch: batch,
      configuration: ExecutionConfiguration(mode: .inference, optimization: .none))
    // Checkpoints are written and read by parameter name and layout: both must not depend on the passes.
    #expect(optimized.parameterLayout.map(\.info.name) == reference.parameterLayout.map(\.info.name))
    #expect(optimized.parameterLayout.map(\.offset) == reference.parameterLayout.map(\.offset))
    prepare([optimized, reference], batch: batch, seed: seed)
    for run in 0..<batches {
      optimized.forward(batch: batch, training: false)
      reference.forward(batch: batch, training: false)
      let error = relativeError(output(optimized, batch: batch), output(reference, batch: batch))
      #expect(error <= 1e-5, "\(graph.name), batch \(run): inference outputs differ by \(error)")
    }
  }

  static func checkTraining(_ graph: Graph, batch: Int, seed: UInt64 = 11) {
    let optimized = Executor(graph: graph, maxBatch: batch, seed: 3, configuration: .training)
    let reference = Executor(
      graph: graph, maxBatch: batch, seed: 3,
      configuration: ExecutionConfiguration(mode: .training, optimization: .none))
    prepare([optimized, reference], batch: batch, seed: seed)
    var rng = RandomGenerator(seed: seed + 1)
    let probe = (0..<(batch * optimized.outputSampleCount)).map { _ in rng.nextUniform(-1, 1) }
    // Two steps: the second runs on buffers the first left behind, as training does.
    for _ in 0..<2 {
      for executor in [optimized, reference] {
        executor.forward(batch: batch, training: true)
        executor.zeroParameterGradients()
        for (index, value) in probe.enumerated() { executor.outputGradient[index] = value }
        executor.backward(batch: batch)
      }
      let outputError = relativeError(output(optimized, batch: batch), output(reference, batch: batch))
      #expect(outputError <= 1e-5, "\(graph.name): training outputs differ by \(outputError)")
      for slot in optimized.parameterLayout where slot.info.trainable {
        let error = relativeError(Array(optimized.gradient(slot)), Array(reference.gradient(slot)))
        #expect(error <= 1e-5, "\(graph.name): gradient of \(slot.info.name) differs by \(error)")
      }
    }
    // Running statistics updated by batchnorm in training must agree too.
    let error = relativeError(Array(optimized.parameters), Array(reference.parameters))
    #expect(error <= 1e-5, "\(graph.name): parameters after training forward differ by \(error)")
  }

  @Test func everyShippedSpecIsCovered() {
    #expect(Self.shippedSpecs.count >= 4)
  }

  @Test(arguments: shippedSpecs)
  func shippedSpecInferenceMatches(_ file: String) throws {
    Self.checkInference(try Self.loadGraph(file), batch: 1)
  }

  @Test(arguments: shippedSpecs)
  func shippedSpecTrainingMatches(_ file: String) throws {
    Self.checkTraining(try Self.loadGraph(file), batch: 1)
  }

  /// Every op and activation, several batch sizes, branches that read one value twice.
  static let everyOp = """
    model:
      input: [3, 9, 9]
      layers:
        - conv2d: {filters: 4, kernel: 3, padding: same, bias: false}
        - batchnorm
        - relu6
        - depthwise_conv2d: {kernel: 3, padding: same, activation: elu}
        - separable_conv2d: {filters: 6, kernel: 3, activation: leaky_relu}
        - residual:
            layers:
              - conv2d: {filters: 6, kernel: 1, activation: gelu}
              - batchnorm: {scale: false}
              - silu
        - sigmoid
        - concat:
            - branch: [{avgpool: {size: 2, stride: 1}}, tanh]
            - branch: [{maxpool: {size: 2, stride: 1}}, hard_sigmoid]
        - residual:
            layers: [relu, {conv2d: {filters: 12, kernel: 3, padding: same}}]
            shortcut: [{conv2d: {filters: 12, kernel: 1}}]
        - relu
        - dropout: 0.3
        - global_maxpool
        - dense: {units: 8, bias: false}
        - batchnorm
        - relu
        - dropout: 0
        - dense: {units: 5, activation: softmax}
    """

  static func everyOpGraph() throws -> Graph {
    let (parsed, diagnostics) = SpecLoader.parse(text: everyOp, path: "every-op.yaml")
    let spec = try #require(parsed, "\(diagnostics)")
    let lowered = Lowering.lower(spec)
    return try #require(lowered.graph, "\(lowered.diagnostics)")
  }

  @Test(arguments: [1, 3])
  func everyOpMatches(batch: Int) throws {
    let graph = try Self.everyOpGraph()
    Self.checkInference(graph, batch: batch)
    Self.checkTraining(graph, batch: batch)
    // The optimizer did something here: fusions and in-place nodes in both modes.
    for mode in GraphMode.allCases {
      let optimized = try PassManager.optimize(graph, mode: mode)
      #expect(optimized.nodes.contains { if case .fused = $0.op { true } else { false } })
      #expect(optimized.nodes.contains { $0.inPlace })
      #expect(optimized.nodes.count < graph.nodes.count)
    }
  }

  @Test func smallerBatchesUseAPrefixOfThePlannedBuffers() throws {
    let graph = try Self.everyOpGraph()
    let large = Executor(graph: graph, maxBatch: 4, configuration: .inference)
    let single = Executor(graph: graph, maxBatch: 1, configuration: .inference)
    Self.prepare([large, single], batch: 1, seed: 5)
    large.forward(batch: 1, training: false)
    single.forward(batch: 1, training: false)
    #expect(Self.relativeError(Self.output(large, batch: 1), Self.output(single, batch: 1)) <= 1e-5)
  }

  @Test func plannedArenaIsSmallerThanTheNaiveOne() throws {
    let graph = try Self.loadGraph("resnet18.yaml")
    let optimized = Executor(graph: graph, maxBatch: 2)
    let reference = Executor(
      graph: graph, maxBatch: 2, configuration: ExecutionConfiguration(mode: .training, optimization: .none))
    #expect(optimized.plannedActivationBytes < reference.plannedActivationBytes / 2)
  }
}
