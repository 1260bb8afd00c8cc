import Foundation
import NNCGraph
import Testing

@testable import NNCRuntime

/// One convolution per algorithm: RGB 3x3 (too few channels for Winograd), 16-channel 3x3
/// (Winograd: F(2x2, 3x3) in training, F(4x4, 3x3) in inference), depthwise 3x3, 1x1 (pointwise;
/// too little work for `UseChannelsLast` to reorder them), and 3x3 with padding 1 on a 1x1 map
/// (cropped to its centre tap, which is then pointwise). Inference plans run the first and last by
/// their forward-only products (patch and dense).
private let everyAlgorithmModel = """
  model:
    input: [3, 4, 4]
    layers:
      - conv2d: {filters: 16, kernel: 3, padding: same, activation: relu}
      - conv2d: {filters: 16, kernel: 3, padding: same}
      - depthwise_conv2d: {kernel: 3, padding: 1}
      - conv2d: {filters: 8, kernel: 1}
      - maxpool: 4
      - conv2d: {filters: 4, kernel: 3, padding: 1}
      - flatten
      - dense: 3
  """

private let expectedAlgorithms = ["im2col", "winograd", "depthwise", "pointwise", "cropped to 1x1"]

@Suite struct ExecutionPlanTests {
  @Test(arguments: [ExecutionConfiguration.training, .inference])
  func eachConvolutionStepCarriesTheAlgorithmOfItsGeometry(_ configuration: ExecutionConfiguration) throws {
    let plan = try ExecutionPlanner.plan(
      graph: try graph(everyAlgorithmModel), configuration: configuration, maxBatch: 2)
    // Inference swaps in its forward-only kernels: the patch product for the 3-channel layer, F(4x4,
    // 3x3), and the dense product for the cropped 1x1 map.
    let inferenceNames = [
      "im2col": "patch product", "winograd": "winograd 4x4",
      "cropped to 1x1": "cropped to 1x1, dense product",
    ]
    let expected =
      configuration.mode == .inference
      ? expectedAlgorithms.map { inferenceNames[$0] ?? $0 } : expectedAlgorithms
    #expect(plan.steps.compactMap { $0.convolution?.algorithm.description } == expected)
    if case .cropped(let crop, let inner) = plan.steps.compactMap(\.convolution).last?.algorithm {
      #expect(inner == (configuration.mode == .inference ? .denseProduct : .pointwise))
      #expect(crop.geometry.kernelHeight == 1)
    } else {
      Issue.record("the convolution on the 1x1 map is not cropped")
    }
  }

  @Test(arguments: [ExecutionConfiguration.training, .inference])
  func onlyTrainingKeepsPreparedWeights(_ configuration: ExecutionConfiguration) throws {
    let plan = try ExecutionPlanner.plan(
      graph: try graph(everyAlgorithmModel), configuration: configuration, maxBatch: 2)
    var keptTotal = 0
    for step in plan.steps {
      guard let convolution = step.convolution else {
        #expect(step.keptWeightOffset == nil)
        continue
      }
      var full = convolution.geometry
      full.batch = plan.maxBatch
      let prepares = Conv2D.keptWeightCount(full, algorithm: convolution.algorithm) > 0
      #expect((step.keptWeightOffset != nil) == (prepares && configuration.mode == .training))
      if let offset = step.keptWeightOffset {
        #expect(offset == keptTotal, "kept weights are packed in step order, each from a cache line")
        keptTotal += MemoryPlanner.aligned(Conv2D.keptWeightCount(full, algorithm: convolution.algorithm))
      }
      #expect(plan.bufferSizes.scratch >= Conv2D.scratchCount(full, algorithm: convolution.algorithm))
    }
    #expect(plan.bufferSizes.keptWeights == keptTotal)
  }

  /// Every buffer an executor carves starts on a 64-byte line: arena bases and the kept, folded and
  /// activation offsets (so that no 16-float vector load of a tensor's start splits across lines).
  @Test(arguments: [ExecutionConfiguration.training, .inference, PreparedWeightCacheTests.caching])
  func buffersStartOnCacheLines(_ configuration: ExecutionConfiguration) throws {
    let model = try graph(everyAlgorithmModel)
    let plan = try ExecutionPlanner.plan(graph: model, configuration: configuration, maxBatch: 3)
    let line = MemoryPlanner.alignment
    for step in plan.steps {
      for offset in [step.keptWeightOffset, step.foldedOffset, step.outputOffset].compactMap({ $0 })
      where offset >= 0 {
        #expect(offset % line == 0, "\(offset) in step \(step.node)")
      }
    }
    let executor = Executor(graph: model, maxBatch: 3, configuration: configuration)
    let addresses =
      executor.floatArenas.map { Int(bitPattern: $0.base) } + [Int(bitPattern: executor.indices.base)]
    for address in addresses {
      #expect(address % (line * MemoryLayout<Float>.size) == 0)
    }
  }

  /// Arenas of 2 MiB and more that ask for huge pages start on a 2 MiB boundary (where Linux can
  /// back them with huge pages), others on a cache line; all come zeroed, whole.
  @Test(arguments: [false, true])
  func largeArenasStartOnHugePageBoundaries(_ hugePages: Bool) {
    for count in [1, 1000, Arena<Float>.hugePageBytes / 4 - 1, Arena<Float>.hugePageBytes / 4, 3_000_001] {
      let arena = Arena<Float>(count: count, zero: 0, hugePages: hugePages)
      let bytes = count * MemoryLayout<Float>.size
      let boundary = hugePages && bytes >= Arena<Float>.hugePageBytes ? Arena<Float>.hugePageBytes : 64
      #expect(Int(bitPattern: arena.base) % boundary == 0, "\(count) floats")
      #expect(arena.count == count && (0..<count).allSatisfy { arena.base[$0] == 0 }, "\(count) floats")
      arena.base[count - 1] = 1
    }
  }

  @Test func stepsUseTheMemoryPlansOffsets() throws {
    let plan = try ExecutionPlanner.plan(
      graph: try graph(everyAlgorithmModel), configuration: .training, maxBatch: 2)
    #expect(plan.steps.count == plan.graph.nodes.count)
    for (node, step) in zip(plan.graph.nodes, plan.steps) {
      #expect(step.outputOffset == plan.memoryPlan.valueOffsets[node.output.index])
      #expect(step.outputGradientOffset == plan.memoryPlan.gradientOffsets[node.output.index])
      #expect(step.inputOffsets == node.inputs.map { plan.memoryPlan.valueOffsets[$0.index] })
      #expect(Set(step.parameterOffsets.keys.map(\.rawValue)) == Set(node.parameters.map(\.role.rawValue)))
    }
  }

  @Test func printedPlanAddsTheAlgorithmToEachConvolutionOutput() throws {
    let plan = try ExecutionPlanner.plan(
      graph: try graph(everyAlgorithmModel), configuration: .training, maxBatch: 2)
    let text = ExecutionPlanPrinter.print(plan)
    var unannotated = text
    for (node, step) in zip(plan.graph.nodes, plan.steps) {
      guard let convolution = step.convolution else { continue }
      let label = "\(node.output) \"\(node.name)\""
      #expect(text.contains("\(label) (\(convolution.algorithm))"), "\(label)")
      unannotated = unannotated.replacingOccurrences(
        of: "\(label) (\(convolution.algorithm))", with: label)
    }
    // Apart from the algorithms, the memory plan prints as the graph layer prints it.
    #expect(unannotated == MemoryPlanPrinter.print(plan.memoryPlan, graph: plan.graph))
  }

  @Test func profilesNameTheAlgorithmsOfThePlan() throws {
    let executor = Executor(graph: try graph(everyAlgorithmModel), maxBatch: 2)
    let profile = ExecutionProfile()
    executor.profile = profile
    executor.forward(batch: 2, training: true)
    let convolutionKinds = profile.entries.map(\.kind).filter { $0.contains("conv2d") }
    #expect(convolutionKinds.count == expectedAlgorithms.count)
    for (kind, algorithm) in zip(convolutionKinds, expectedAlgorithms) {
      #expect(kind.hasSuffix(" " + algorithm), "\(kind)")
    }
  }

  @Test func anExecutorBuiltFromAPlanComputesAsOneBuiltFromTheGraph() throws {
    let model = try graph(everyAlgorithmModel)
    let plan = try ExecutionPlanner.plan(graph: model, configuration: .training, maxBatch: 2)
    let executors = [Executor(plan: plan), Executor(graph: model, maxBatch: 2)]
    for executor in executors {
      randomize(executor, seed: 5)
      for index in 0..<(2 * executor.inputSampleCount) { executor.input[index] = Float(index % 7) / 7 - 0.5 }
      executor.forward(batch: 2, training: true)
      executor.zeroParameterGradients()
      for index in 0..<(2 * executor.outputSampleCount) { executor.outputGradient[index] = 1 }
      executor.backward(batch: 2)
    }
    let outputs = executors.map {
      Array(UnsafeBufferPointer(start: $0.output, count: 2 * $0.outputSampleCount))
    }
    #expect(outputs[0].map(\.bitPattern) == outputs[1].map(\.bitPattern))
    #expect(
      Array(executors[0].parameterGradients).map(\.bitPattern)
        == Array(executors[1].parameterGradients).map(\.bitPattern))
  }
}
