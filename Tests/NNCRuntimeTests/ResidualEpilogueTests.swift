import NNCGraph
import NNCRandom
import Testing

@testable import NNCRuntime

/// Convolutions whose kernels add a shortcut in the epilogue, one per path of `Conv2D.forward`.
private let shortcutCases: [ConvCase] = [
  ConvCase(
    name: "pointwise 8 -> 12 on 6x6, batch 4 (direct pointwise kernel, a sample per tile)",
    geometry: Conv2DGeometry(
      batch: 4, inChannels: 8, inHeight: 6, inWidth: 6, outChannels: 12, kernelHeight: 1, kernelWidth: 1),
    hasBias: true),
  ConvCase(
    name: "pointwise 96 -> 24 on 16x16, batch 8 (product into the output, a sample per tile)",
    geometry: Conv2DGeometry(
      batch: 8, inChannels: 96, inHeight: 16, inWidth: 16, outChannels: 24, kernelHeight: 1, kernelWidth: 1),
    hasBias: false),
  ConvCase(
    name: "pointwise 160 -> 96 on 2x2, batch 4 (weight-bound: the whole batch in panels)",
    geometry: Conv2DGeometry(
      batch: 4, inChannels: 160, inHeight: 2, inWidth: 2, outChannels: 96, kernelHeight: 1, kernelWidth: 1),
    hasBias: true),
  ConvCase(
    name: "3x3 stride 2, 8 -> 16 on 9x9, batch 6 (im2col tiles of samples)",
    geometry: Conv2DGeometry(
      batch: 6, inChannels: 8, inHeight: 9, inWidth: 9, outChannels: 16, kernelHeight: 3, kernelWidth: 3,
      strideH: 2, strideW: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: false),
  ConvCase(
    name: "3x3 stride 2, 16 -> 32 on 41x41, batch 3 (im2col whole-batch chunks)",
    geometry: Conv2DGeometry(
      batch: 3, inChannels: 16, inHeight: 41, inWidth: 41, outChannels: 32, kernelHeight: 3, kernelWidth: 3,
      strideH: 2, strideW: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: true),
  ConvCase(
    name: "1x1 stride 2 projection, 16 -> 32 on 14x14, batch 5 (im2col)",
    geometry: Conv2DGeometry(
      batch: 5, inChannels: 16, inHeight: 14, inWidth: 14, outChannels: 32, kernelHeight: 1, kernelWidth: 1,
      strideH: 2, strideW: 2),
    hasBias: false),
  ConvCase(
    name: "3x3 padding 1 on a 1x1 map, 24 -> 8, batch 3 (cropped to its centre tap)",
    geometry: Conv2DGeometry(
      batch: 3, inChannels: 24, inHeight: 1, inWidth: 1, outChannels: 8, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: true),
]

/// 3x3 convolutions computed by Winograd's kernels, one per output transform: F(2x2, 3x3) with
/// vectors over the batch (narrow maps) and over the rows (wide ones), F(4x4, 3x3) in one chunk and
/// in several (odd sizes cut the edge tiles).
private let winogradShortcutCases: [ConvCase] = [
  ConvCase(
    name: "3x3 16 -> 24 on 7x7, batch 3 (F(2x2) over the batch; F(4x4) one chunk)",
    geometry: Conv2DGeometry(
      batch: 3, inChannels: 16, inHeight: 7, inWidth: 7, outChannels: 24, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: true),
  ConvCase(
    name: "3x3 16 -> 16 on 67x66, batch 1 (F(2x2) over the rows)",
    geometry: Conv2DGeometry(
      batch: 1, inChannels: 16, inHeight: 67, inWidth: 66, outChannels: 16, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: false),
  ConvCase(
    name: "3x3 16 -> 16 on 30x30, batch 5 (F(4x4) in two chunks)",
    geometry: Conv2DGeometry(
      batch: 5, inChannels: 16, inHeight: 30, inWidth: 30, outChannels: 16, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: false),
]

/// ResNet-style blocks: a bottleneck with an identity shortcut ending in add+relu, a strided block
/// with a 1x1 projection shortcut (the projection is the convolution right before the addition), and
/// a plain addition after a pointwise convolution with a bias, as MobileNetV2's blocks end.
private let residualModel = """
  model:
    input: [8, 6, 6]
    layers:
      - residual:
          layers:
            - conv2d: {filters: 4, kernel: 1, bias: false}
            - batchnorm
            - relu
            - conv2d: {filters: 4, kernel: 3, padding: 1, bias: false}
            - batchnorm
            - relu
            - conv2d: {filters: 8, kernel: 1, bias: false}
            - batchnorm
      - relu
      - residual:
          layers:
            - conv2d: {filters: 16, kernel: 3, stride: 2, padding: 1, bias: false}
            - batchnorm
          shortcut:
            - conv2d: {filters: 16, kernel: 1, stride: 2, bias: false}
            - batchnorm
      - relu
      - residual:
          layers:
            - conv2d: {filters: 16, kernel: 1}
      - global_avgpool
      - dense: 3
  """

/// ResNet-18's basic blocks: each ends in a 3x3 convolution computed by Winograd's F(4x4, 3x3) on
/// the 8x8 map and F(2x2, 3x3) on the 2x2 one, then add+relu.
private let winogradResidualModel = """
  model:
    input: [16, 8, 8]
    layers:
      - residual:
          layers:
            - conv2d: {filters: 16, kernel: 3, padding: 1, bias: false}
            - batchnorm
            - relu
            - conv2d: {filters: 16, kernel: 3, padding: 1, bias: false}
            - batchnorm
      - relu
      - maxpool: {size: 4}
      - residual:
          layers:
            - conv2d: {filters: 16, kernel: 3, padding: 1}
      - relu
      - global_avgpool
      - dense: 3
  """

/// Bottleneck-like blocks whose last convolution is a plane product (64 channels on an 8x8 map):
/// two in a chain, then an outer block around an inner one, whose input is both the inner block's
/// shortcut and the outer's, so read after the inner addition.
private let overwritingResidualModel = """
  model:
    input: [64, 8, 8]
    layers:
      - conv2d: {filters: 64, kernel: 1, bias: false}
      - batchnorm
      - relu
      - residual:
          layers:
            - conv2d: {filters: 64, kernel: 3, padding: 1, bias: false}
            - batchnorm
            - relu
            - conv2d: {filters: 64, kernel: 1, bias: false}
            - batchnorm
      - relu
      - residual:
          layers:
            - conv2d: {filters: 64, kernel: 1, bias: false}
            - batchnorm
            - relu
            - conv2d: {filters: 64, kernel: 1, bias: false}
            - batchnorm
      - relu
      - residual:
          layers:
            - residual:
                layers:
                  - conv2d: {filters: 64, kernel: 1, bias: false}
                  - batchnorm
                  - relu
                  - conv2d: {filters: 64, kernel: 1, bias: false}
                  - batchnorm
            - conv2d: {filters: 64, kernel: 1, bias: false}
            - batchnorm
      - global_avgpool
      - dense: 3
  """

/// Additions the plan must not fuse: after a convolution with its own activation, and after a
/// direct convolution (whose kernel writes whole samples before its epilogue).
private let unfusableModel = """
  model:
    input: [64, 8, 8]
    layers:
      - residual:
          layers:
            - conv2d: {filters: 64, kernel: 1, activation: relu}
      - conv2d: {filters: 4, kernel: 1}
      - residual:
          layers:
            - conv2d: {filters: 4, kernel: 5, padding: 2}
      - global_avgpool
      - dense: 3
  """

@Suite struct ResidualEpilogueTests {
  /// The fused epilogue rounds the convolution's value first, then adds the shortcut, then applies
  /// the activation: the bits of the convolution followed by `Add.forward`, on every path.
  @Test(arguments: shortcutCases)
  func fusedShortcutGivesTheSeparateAdditionsBits(_ c: ConvCase) {
    let g = c.geometry
    let algorithm = ConvolutionAlgorithm.choose(for: g)
    #expect(algorithm.addsShortcut, "\(c.name): \(algorithm)")
    var generator = RandomGenerator(seed: 81)
    let (input, weight, bias) = convolutionData(c, &generator)
    let scale = randomValues(g.outChannels, &generator, scale: 2)
    let shortcut = randomValues(g.outputCount, &generator)
    expectFusedShortcutGivesTheSeparateAdditionsBits(
      c, algorithm: algorithm, input: input, weight: weight, bias: bias, scale: scale, shortcut: shortcut)
  }

  /// Winograd's output transforms add the shortcut with the bits of the convolution followed by
  /// `Add.forward`, for F(2x2, 3x3) (training's choice) and F(4x4, 3x3) (inference's), and F(4x4,
  /// 3x3) gives the same bits on 1, 2 and 3 threads.
  @Test(arguments: winogradShortcutCases)
  func winogradShortcutGivesTheSeparateAdditionsBits(_ c: ConvCase) {
    let g = c.geometry
    var generator = RandomGenerator(seed: 84)
    let (input, weight, bias) = convolutionData(c, &generator)
    let scale = randomValues(g.outChannels, &generator, scale: 2)
    let shortcut = randomValues(g.outputCount, &generator)
    var algorithms = [ConvolutionAlgorithm.winograd]
    if Winograd4x4Conv2D.savesProducts(g) { algorithms.append(.winograd4x4) }
    #expect(ConvolutionAlgorithm.choose(for: g) == .winograd, "\(c.name)")
    for algorithm in algorithms {
      #expect(algorithm.addsShortcut)
      expectFusedShortcutGivesTheSeparateAdditionsBits(
        c, algorithm: algorithm, input: input, weight: weight, bias: bias, scale: scale, shortcut: shortcut)
    }
    guard Winograd4x4Conv2D.savesProducts(g) else { return }
    var results: [[Float]] = []
    for threads in 1...3 {
      var scratch = [Float](repeating: .nan, count: Winograd4x4Conv2D.scratchCount(g))
      var output = [Float](repeating: .nan, count: g.outputCount)
      Winograd4x4Conv2D.forward(
        g, input: input, weight: weight, bias: bias, output: &output, scratch: &scratch, activation: .relu,
        channelScale: scale, shortcut: shortcut, threads: threads)
      results.append(output)
    }
    #expect(results[0].allSatisfy { $0.isFinite }, "\(c.name)")
    #expect(results[0] == results[1] && results[0] == results[2], "\(c.name): thread counts differ")
  }

  /// Tiles run whole on one thread: 1, 2 and 3 threads give the same bits with a shortcut.
  @Test(arguments: shortcutCases.filter { Conv2D.samplesPerTile($0.geometry) != nil })
  func tiledShortcutResultsDoNotDependOnTheThreadCount(_ c: ConvCase) throws {
    let g = c.geometry
    let samples = try #require(Conv2D.samplesPerTile(g))
    var generator = RandomGenerator(seed: 82)
    let (input, weight, bias) = convolutionData(c, &generator)
    let shortcut = randomValues(g.outputCount, &generator)
    var results: [[Float]] = []
    for threads in 1...3 {
      var scratch = [Float](
        repeating: .nan, count: max(1, Conv2D.scratchCount(g, algorithm: ConvolutionAlgorithm.choose(for: g)))
      )
      var output = [Float](repeating: .nan, count: g.outputCount)
      Conv2D.tiledColumnsForward(
        g, samplesPerTile: samples, input: input, weight: weight, bias: bias, output: &output,
        scratch: &scratch, activation: .relu, channelScale: nil, shortcut: shortcut, threads: threads)
      results.append(output)
    }
    #expect(results[0].allSatisfy { $0.isFinite }, "\(c.name)")
    #expect(results[0] == results[1] && results[0] == results[2], "\(c.name): thread counts differ")
  }

  /// Every addition of the ResNet-style model is fused into the convolution before it (and the plan's
  /// text says so); training plans fuse none.
  @Test func inferencePlansFuseResidualAdditionsIntoConvolutions() throws {
    let model = try graph(residualModel)
    let inference = try ExecutionPlanner.plan(graph: model, configuration: .inference, maxBatch: 4)
    let text = ExecutionPlanPrinter.print(inference)
    let additions = inference.graph.nodes.indices.filter { index in
      if case .add = inference.graph.nodes[index].op { return true }
      if case .fused(let fused) = inference.graph.nodes[index].op { return fused.base == .add }
      return false
    }
    #expect(additions.count == 3, "\(text)")
    for index in additions {
      #expect(inference.steps[index].isAddedByProducer, "\(text)")
      #expect(inference.steps[index - 1].residual?.node == index)
    }
    #expect(
      text.contains("(pointwise, residual add fused)") && text.contains("(patch product, residual add fused)")
    )
    let training = try ExecutionPlanner.plan(graph: model, configuration: .training, maxBatch: 4)
    #expect(training.steps.allSatisfy { $0.residual == nil && !$0.isAddedByProducer })
  }

  /// Both basic blocks' additions are fused into their last convolution, F(4x4, 3x3) and F(2x2,
  /// 3x3); training plans fuse none.
  @Test func inferencePlansFuseResidualAdditionsIntoWinogradConvolutions() throws {
    let model = try graph(winogradResidualModel)
    let inference = try ExecutionPlanner.plan(graph: model, configuration: .inference, maxBatch: 4)
    let text = ExecutionPlanPrinter.print(inference)
    #expect(inference.steps.filter(\.isAddedByProducer).count == 2, "\(text)")
    #expect(
      text.contains("(winograd 4x4, residual add fused)") && text.contains("(winograd, residual add fused)"),
      "\(text)")
    let training = try ExecutionPlanner.plan(graph: model, configuration: .training, maxBatch: 4)
    #expect(training.steps.allSatisfy { $0.residual == nil && !$0.isAddedByProducer })
  }

  /// A plane product's sum is written over its shortcut where nothing reads the shortcut after the
  /// addition (the chained blocks and the outer block), not where something does (the inner block,
  /// whose shortcut the outer addition reads later); the plan computes what the unoptimized graph
  /// does, batch after batch.
  @Test func sumsAreWrittenOverShortcutsNothingReadsLater() throws {
    let model = try graph(overwritingResidualModel)
    let plan = try ExecutionPlanner.plan(graph: model, configuration: .inference, maxBatch: 3)
    let text = ExecutionPlanPrinter.print(plan)
    let residuals = plan.steps.compactMap(\.residual)
    #expect(residuals.count == 4, "\(text)")
    let overwritten = residuals.map { residual in
      plan.memoryPlan.valueOffsets[plan.graph.nodes[residual.node].output.index]
        == plan.memoryPlan.valueOffsets[residual.shortcut.index]
    }
    #expect(overwritten == [true, true, false, true], "\(text)")
    for step in plan.steps where step.residual != nil {
      #expect(step.convolution?.algorithm == .planeProduct, "\(text)")
    }
    OptimizationEquivalenceTests.checkInference(model, batch: 3, batches: 2)
  }

  /// An addition after a convolution with its own activation or after a direct convolution stays
  /// a node of its own, and so does one whose convolution's output is also read by another node.
  @Test func additionsTheEpilogueCannotComputeStaySeparate() throws {
    let unfusable = try ExecutionPlanner.plan(
      graph: try graph(unfusableModel), configuration: .inference, maxBatch: 4)
    #expect(unfusable.steps.allSatisfy { $0.residual == nil && !$0.isAddedByProducer })
    var optimized = try PassManager.optimize(try graph(residualModel), mode: .inference)
    let fusable = ExecutionPlanner.residualAdditions(in: optimized, layouts: optimized.valueLayouts)
    let (producer, residual) = try #require(fusable.min { $0.key < $1.key })
    // The next reader of the addition's output reads the convolution's output instead (same shape).
    let sum = optimized.nodes[residual.node].output
    let reader = try #require(optimized.nodes.indices.first { optimized.nodes[$0].inputs.contains(sum) })
    optimized.nodes[reader].inputs = optimized.nodes[reader].inputs.map {
      $0 == sum ? optimized.nodes[producer].output : $0
    }
    #expect(
      ExecutionPlanner.residualAdditions(in: optimized, layouts: optimized.valueLayouts)[producer] == nil)
  }

  /// The fused inference executor gives the bits of the same plan without the fusion, for batches
  /// of 1 and 5, on both models, and every fused addition's output is live from its convolution's
  /// step.
  @Test(arguments: [1, 5], [residualModel, winogradResidualModel])
  func fusedExecutorGivesTheUnfusedPlansBits(_ batch: Int, _ spec: String) throws {
    let model = try graph(spec)
    let plan = try ExecutionPlanner.plan(graph: model, configuration: .inference, maxBatch: 5)
    #expect(plan.steps.contains { $0.residual != nil })
    var unfusedPlan = plan
    for index in unfusedPlan.steps.indices {
      unfusedPlan.steps[index].residual = nil
      unfusedPlan.steps[index].isAddedByProducer = false
    }
    for step in plan.steps {
      guard let residual = step.residual else { continue }
      let sum = plan.graph.nodes[residual.node].output
      let buffer = try #require(plan.memoryPlan.buffers.first { $0.values.contains(sum) })
      #expect(buffer.firstStep <= step.node + 1)
    }
    let fused = Executor(plan: plan)
    let unfused = Executor(plan: unfusedPlan)
    OptimizationEquivalenceTests.prepare([fused, unfused], batch: batch, seed: 83)
    for executor in [fused, unfused] { executor.forward(batch: batch, training: false) }
    let (a, b) = (
      OptimizationEquivalenceTests.output(fused, batch: batch),
      OptimizationEquivalenceTests.output(unfused, batch: batch)
    )
    #expect(a.allSatisfy(\.isFinite) && a.map(\.bitPattern) == b.map(\.bitPattern))
  }
}
