import CKernels
import NNCGraph
import NNCRandom
import Testing

@testable import NNCRuntime

/// `Conv2D.stridedStemForward` against the definition in Double on every thread count and
/// instruction set, bit for bit against the packed product it replaces, and the plans that choose it.
@Suite struct StridedStemTests {
  static let geometries = [
    // ResNet's 7x7/2 stem, small: 66 filters (a last block of 2), rows of 15 outputs (a ragged
    // vector), padded on every side.
    Conv2DGeometry(
      batch: 3, inChannels: 3, inHeight: 27, inWidth: 29, outChannels: 66, kernelHeight: 7, kernelWidth: 7,
      strideH: 2, strideW: 2, padTop: 3, padBottom: 3, padLeft: 3, padRight: 3),
    // 4 channels under 5x5 windows, rows of 19 (16 + 3, or 8 + 8 + 3), 10 samples: two chunks.
    Conv2DGeometry(
      batch: 10, inChannels: 4, inHeight: 40, inWidth: 37, outChannels: 64, kernelHeight: 5, kernelWidth: 5,
      strideH: 2, strideW: 2, padTop: 2, padBottom: 2, padLeft: 2, padRight: 2),
    // Padding unequal on opposite sides (more at the bottom, less at the right), as TensorFlow's
    // "same" pads even inputs.
    Conv2DGeometry(
      batch: 2, inChannels: 3, inHeight: 32, inWidth: 34, outChannels: 64, kernelHeight: 7, kernelWidth: 7,
      strideH: 2, strideW: 2, padTop: 2, padBottom: 3, padLeft: 3, padRight: 2),
    // ResNet-18/32's stem: rows of 16, one vector with AVX-512, computed two rows at a time.
    Conv2DGeometry(
      batch: 2, inChannels: 3, inHeight: 32, inWidth: 32, outChannels: 64, kernelHeight: 7, kernelWidth: 7,
      strideH: 2, strideW: 2, padTop: 3, padBottom: 3, padLeft: 3, padRight: 3),
    // Rows of 7 (one vector on every instruction set) and 7 of them: tasks of 4 and 3 rows, a row
    // left over after the pairs; 66 filters (a last block of 2).
    Conv2DGeometry(
      batch: 3, inChannels: 3, inHeight: 13, inWidth: 14, outChannels: 66, kernelHeight: 7, kernelWidth: 7,
      strideH: 2, strideW: 2, padTop: 3, padBottom: 3, padLeft: 3, padRight: 3),
    // One channel, an unpadded 9x9 window, rows of 17 and a last input column no window reaches.
    Conv2DGeometry(
      batch: 2, inChannels: 1, inHeight: 25, inWidth: 42, outChannels: 64, kernelHeight: 9, kernelWidth: 9,
      strideH: 2, strideW: 2),
  ]

  static func run(
    _ g: Conv2DGeometry, _ input: [Float], _ weight: [Float], bias: [Float]?, scale: [Float]?,
    activation: ActivationKind, threads: Int, isa: DepthwiseInstructionSet
  ) -> [Float] {
    var output = [Float](repeating: .nan, count: g.outputCount)
    var scratch = [Float](repeating: .nan, count: Conv2D.stridedStemScratchCount(g))
    Conv2D.stridedStemForward(
      g, input: input, weight: weight, bias: bias, output: &output, activation: activation,
      channelScale: scale,
      scratch: &scratch, threads: threads, instructionSet: isa)
    return output
  }

  @Test(arguments: geometries)
  func matchesTheDefinitionOnEveryThreadCountAndInstructionSet(_ g: Conv2DGeometry) {
    #expect(Conv2D.runsStridedStem(g))
    var generator = RandomGenerator(seed: 91)
    let input = randomValues(g.inputCount, &generator, scale: 2)
    let weight = randomValues(g.weightCount, &generator)
    let bias = randomValues(g.outChannels, &generator)
    let scale = randomValues(g.outChannels, &generator, scale: 3)
    expectMatchesTheDefinitionOnEveryThreadCountAndInstructionSet(
      g, input: input, weight: weight, bias: bias, scale: scale
    ) { threads, isa, activation, affine in
      Self.run(
        g, input, weight, bias: affine ? bias : nil, scale: affine ? scale : nil, activation: activation,
        threads: threads, isa: isa)
    }
  }

  /// Each output's arithmetic is the packed product's: the same bits on each instruction set, with
  /// and without the affine step, so plans may take either.
  @Test(arguments: geometries)
  func givesThePackedProductsBits(_ g: Conv2DGeometry) {
    var generator = RandomGenerator(seed: 92)
    let input = randomValues(g.inputCount, &generator, scale: 2)
    let weight = randomValues(g.weightCount, &generator)
    let bias = randomValues(g.outChannels, &generator)
    let scale = randomValues(g.outChannels, &generator, scale: 3)
    for isa in DepthwiseInstructionSet.allCases.filter(\.isAvailable) {
      for (activation, affine) in [(ActivationKind.relu, true), (.linear, false), (.relu6, true)] {
        let stem = Self.run(
          g, input, weight, bias: affine ? bias : nil, scale: affine ? scale : nil, activation: activation,
          threads: 2, isa: isa)
        var packed = [Float](repeating: .nan, count: g.outputCount)
        var scratch = [Float](repeating: .nan, count: Conv2D.packedProductScratchCount(g))
        Conv2D.packedProductForward(
          g, input: input, weight: weight, bias: affine ? bias : nil, output: &packed, activation: activation,
          channelScale: affine ? scale : nil, scratch: &scratch, threads: 2, instructionSet: isa)
        #expect(!stem.contains { $0.isNaN }, "\(g), \(isa): outputs left unwritten")
        #expect(stem.map(\.bitPattern) == packed.map(\.bitPattern), "\(g), \(isa), \(activation)")
      }
    }
  }

  /// A training plan runs a stem's forward pass by the strided stem and its backward by im2col: the
  /// stem's output after a training forward pass is im2col's (up to rounding), and training matches
  /// the unoptimized graph.
  @Test func trainingPlansRunItForward() throws {
    let model = try graph(
      """
      model:
        input: [3, 32, 32]
        layers:
          - conv2d: {filters: 64, kernel: 7, stride: 2, padding: 3, bias: false}
          - batchnorm
          - relu
          - maxpool: {size: 3, stride: 2, padding: 1}
          - global_avgpool
          - dense: 3
      """)
    let batch = 3
    let plan = try ExecutionPlanner.plan(graph: model, configuration: .training, maxBatch: batch)
    let index = try #require(plan.steps.firstIndex { $0.convolution != nil })
    let stem = try #require(plan.steps[index].convolution)
    #expect(stem.forwardAlgorithm == .stridedStem && stem.algorithm == .im2col)
    #expect(ExecutionPlanPrinter.print(plan).contains("strided stem, backward by im2col"))

    let executor = Executor(graph: model, maxBatch: batch, seed: 3, configuration: .training)
    OptimizationEquivalenceTests.prepare([executor], batch: batch, seed: 5)
    executor.forward(batch: batch, training: true)
    var geometry = stem.geometry
    geometry.batch = batch
    let node = executor.graph.nodes[index]
    let weight = try #require(executor.parameterLayout.first { $0.info.role == .weight })
    var expected = [Float](repeating: 0, count: geometry.outputCount)
    var scratch = [Float](repeating: 0, count: Conv2D.scratchCount(geometry, algorithm: .im2col))
    Conv2D.forward(
      geometry, algorithm: .im2col, input: executor.value(node.inputs[0]),
      weight: UnsafePointer(executor.parameter(weight).baseAddress!), bias: nil, output: &expected,
      scratch: &scratch)
    let output = Array(UnsafeBufferPointer(start: executor.value(node.output), count: geometry.outputCount))
    #expect(OptimizationEquivalenceTests.relativeError(output, expected) <= 1e-5)
    OptimizationEquivalenceTests.checkTraining(model, batch: batch)
  }

  /// Inference plans choose it for ResNet-50's stem; training plans keep im2col; narrower stems (32
  /// filters, MobileNetV2's 3x3/2) and deep strided layers do not take it.
  @Test func inferencePlansChooseItForResNetsStem() {
    let stem = Conv2DGeometry(
      batch: 8, inChannels: 3, inHeight: 224, inWidth: 224, outChannels: 64, kernelHeight: 7, kernelWidth: 7,
      strideH: 2, strideW: 2, padTop: 3, padBottom: 3, padLeft: 3, padRight: 3)
    #expect(ConvolutionAlgorithm.choose(for: stem, mode: .inference) == .stridedStem)
    #expect(ConvolutionAlgorithm.choose(for: stem, mode: .training) != .stridedStem)
    #expect(ConvolutionAlgorithm.stridedStem.description == "strided stem")
    var narrow = stem
    (narrow.kernelHeight, narrow.kernelWidth, narrow.outChannels) = (3, 3, 32)
    (narrow.padTop, narrow.padBottom, narrow.padLeft, narrow.padRight) = (1, 1, 1, 1)
    #expect(!Conv2D.runsStridedStem(narrow))
    let deep = Conv2DGeometry(
      batch: 8, inChannels: 128, inHeight: 56, inWidth: 56, outChannels: 128, kernelHeight: 3, kernelWidth: 3,
      strideH: 2, strideW: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
    #expect(!Conv2D.runsStridedStem(deep))
  }
}
