import CKernels
import Foundation
import NNCGraph
import NNCRandom
import Testing

@testable import NNCRuntime

/// `Conv2D.planeProductForward` against the definition in Double on every thread count and
/// instruction set, the packed product's bits, its fused residual addition against the separate one,
/// the kernel's task split changing no bit, and the plans that choose it.
@Suite struct PlaneProductTests {
  static let geometries = [
    // 7x9 maps, 3 samples: 189 columns, so tiles of 64 cross samples' ends inside a vector and the
    // last tile is ragged; 14 filters: two blocks of 6 and one of 2.
    Conv2DGeometry(
      batch: 3, inChannels: 13, inHeight: 7, inWidth: 9, outChannels: 14, kernelHeight: 1, kernelWidth: 1),
    // 8x8 maps: every tile one whole plane.
    Conv2DGeometry(
      batch: 2, inChannels: 70, inHeight: 8, inWidth: 8, outChannels: 64, kernelHeight: 1, kernelWidth: 1),
    // 12x12 maps, 5 samples: tiles cross samples' ends on vector boundaries (144 = 9 vectors).
    Conv2DGeometry(
      batch: 5, inChannels: 16, inHeight: 12, inWidth: 12, outChannels: 20, kernelHeight: 1, kernelWidth: 1),
    // 16x20 maps: five whole tiles a plane, one block of filters.
    Conv2DGeometry(
      batch: 2, inChannels: 9, inHeight: 16, inWidth: 20, outChannels: 6, kernelHeight: 1, kernelWidth: 1),
  ]

  static func inputs(_ g: Conv2DGeometry, seed: UInt64) -> (
    input: [Float], weight: [Float], bias: [Float], scale: [Float], shortcut: [Float]
  ) {
    var generator = RandomGenerator(seed: seed)
    let input = randomValues(g.inputCount, &generator, scale: 2)
    let weight = randomValues(g.weightCount, &generator)
    let bias = randomValues(g.outChannels, &generator)
    let scale = randomValues(g.outChannels, &generator, scale: 3)
    let shortcut = randomValues(g.outputCount, &generator, scale: 2)
    return (input, weight, bias, scale, shortcut)
  }

  @Test(arguments: geometries)
  func matchesTheDefinitionOnEveryThreadCountAndInstructionSet(_ g: Conv2DGeometry) {
    let (input, weight, bias, scale, _) = Self.inputs(g, seed: 81)
    expectMatchesTheDefinitionOnEveryThreadCountAndInstructionSet(
      g, input: input, weight: weight, bias: bias, scale: scale
    ) { threads, isa, activation, affine in
      var output = [Float](repeating: .nan, count: g.outputCount)
      var scratch = [Float](repeating: .nan, count: Conv2D.planeProductScratchCount(g))
      Conv2D.planeProductForward(
        g, input: input, weight: weight, bias: affine ? bias : nil, output: &output, activation: activation,
        channelScale: affine ? scale : nil, scratch: &scratch, threads: threads, instructionSet: isa)
      return output
    }
  }

  /// The same operations as the packed product in the same order, so the same bits on each
  /// instruction set, with and without the affine step and a shortcut.
  @Test(arguments: geometries)
  func givesThePackedProductsBits(_ g: Conv2DGeometry) {
    let (input, weight, bias, scale, shortcut) = Self.inputs(g, seed: 82)
    for isa in DepthwiseInstructionSet.allCases.filter(\.isAvailable) {
      for (activation, affine, adds) in [
        (ActivationKind.relu, true, true), (.linear, false, true), (.relu6, true, false),
        (.linear, true, false),
      ] {
        var plane = [Float](repeating: .nan, count: g.outputCount)
        var scratch = [Float](repeating: .nan, count: Conv2D.planeProductScratchCount(g))
        Conv2D.planeProductForward(
          g, input: input, weight: weight, bias: affine ? bias : nil, output: &plane, activation: activation,
          channelScale: affine ? scale : nil, scratch: &scratch, shortcut: adds ? shortcut : nil,
          instructionSet: isa)
        var packed = [Float](repeating: .nan, count: g.outputCount)
        var packedScratch = [Float](repeating: .nan, count: Conv2D.packedProductScratchCount(g))
        Conv2D.packedProductForward(
          g, input: input, weight: weight, bias: affine ? bias : nil, output: &packed, activation: activation,
          channelScale: affine ? scale : nil, scratch: &packedScratch, shortcut: adds ? shortcut : nil,
          instructionSet: isa)
        #expect(!plane.contains { $0.isNaN }, "\(g), \(isa): outputs left unwritten")
        #expect(
          plane.map(\.bitPattern) == packed.map(\.bitPattern), "\(g), \(isa), \(activation), shortcut \(adds)"
        )
      }
    }
  }

  /// A shortcut added before ReLU or none gives the bits of the product followed by `Add.forward`.
  @Test(arguments: geometries)
  func addsTheShortcutAsTheSeparateAddition(_ g: Conv2DGeometry) {
    let (input, weight, bias, scale, shortcut) = Self.inputs(g, seed: 83)
    expectFusedShortcutGivesTheSeparateAdditionsBits(
      ConvCase(name: "\(g)", geometry: g, hasBias: true), algorithm: .planeProduct, input: input,
      weight: weight, bias: bias, scale: scale, shortcut: shortcut)
  }

  /// The kernel called on other splits of the columns and channels than the runtime's (single
  /// columns, odd runs across samples' ends, one block of filters at a time) writes the same bits.
  @Test(arguments: [geometries[0], geometries[2]])
  func everyTaskSplitGivesTheSameBits(_ g: Conv2DGeometry) {
    let (input, weight, bias, _, shortcut) = Self.inputs(g, seed: 84)
    var packed = [Float](repeating: .nan, count: Conv2D.planeProductWeightCount(g))
    nnc_plane_product_pack(Int32(g.outChannels), Int32(g.inChannels), weight, &packed)
    let columns = g.batch * g.outHeight * g.outWidth
    let block = Int(NNC_PLANE_PRODUCT_CHANNELS)
    func run(columnsPerTask: Int, rowsPerTask: Int) -> [Float] {
      var output = [Float](repeating: .nan, count: g.outputCount)
      var work = [Float](
        repeating: .nan,
        count: nnc_plane_product_work_floats(Int32(g.inChannels), Int32(columnsPerTask), Int32(g.outChannels))
      )
      for first in stride(from: 0, to: columns, by: columnsPerTask) {
        for row in stride(from: 0, to: g.outChannels, by: rowsPerTask) {
          nnc_plane_product_forward(
            DepthwiseInstructionSet.best.code, Int32(g.inChannels), Int32(g.outChannels),
            Int32(g.outHeight * g.outWidth), packed, input, first,
            Int32(min(columnsPerTask, columns - first)),
            Int32(row), Int32(min(rowsPerTask, g.outChannels - row)), &output, shortcut, nil, bias,
            Int32(NNC_POINTWISE_RELU), &work)
        }
      }
      return output
    }
    let whole = run(columnsPerTask: columns, rowsPerTask: g.outChannels)
    #expect(!whole.contains { $0.isNaN }, "\(g): outputs left unwritten")
    for (columnsPerTask, rowsPerTask) in [(1, block), (17, 2 * block), (64, block), (100, g.outChannels)] {
      let split = run(columnsPerTask: columnsPerTask, rowsPerTask: rowsPerTask)
      #expect(split.map(\.bitPattern) == whole.map(\.bitPattern), "\(g): \(columnsPerTask) × \(rowsPerTask)")
    }
  }

  /// Inference plans choose it for ResNet-50's 1x1 layers on 56x56 maps, its expansions and its 1x1
  /// layers on 7x7 maps; its reductions on 14x14 and 28x28 maps keep the packed product, and
  /// training plans the pointwise product.
  @Test func inferencePlansChooseItForResNet50sPointwiseLayers() {
    func pointwise(_ inputs: Int, _ filters: Int, _ side: Int) -> Conv2DGeometry {
      Conv2DGeometry(
        batch: 8, inChannels: inputs, inHeight: side, inWidth: side, outChannels: filters, kernelHeight: 1,
        kernelWidth: 1)
    }
    for g in [
      pointwise(64, 256, 56), pointwise(256, 64, 56), pointwise(128, 512, 28), pointwise(256, 1024, 14),
      pointwise(512, 2048, 7), pointwise(2048, 512, 7),
    ] {
      #expect(ConvolutionAlgorithm.choose(for: g, mode: .inference) == .planeProduct, "\(g)")
      #expect(ConvolutionAlgorithm.choose(for: g, mode: .training) == .pointwise, "\(g)")
    }
    for g in [pointwise(512, 128, 28), pointwise(1024, 256, 14)] {
      #expect(ConvolutionAlgorithm.choose(for: g, mode: .inference) == .packedProduct, "\(g)")
    }
    // Too few filters or inputs, or a map too small.
    for g in [pointwise(64, 32, 56), pointwise(32, 256, 56), pointwise(64, 256, 6)] {
      #expect(ConvolutionAlgorithm.choose(for: g, mode: .inference) != .planeProduct, "\(g)")
    }
  }
}

extension PlaneProductTests {
  static let model = """
    model:
      input: [64, 9, 9]
      layers:
        - conv2d: {filters: 64, kernel: 1, bias: false}
        - batchnorm
        - relu
        - conv2d: {filters: 96, kernel: 1}
        - global_avgpool
        - dense: 3
    """

  /// An inference executor runs both convolutions as plane products (the weights kept packed across
  /// batches) and gives the outputs of the unoptimized graph, batch after batch.
  @Test func theExecutorsPlaneProductsGiveTheUnoptimizedOutputs() throws {
    let model = try graph(Self.model)
    let plan = try ExecutionPlanner.plan(graph: model, configuration: .inference, maxBatch: 3)
    let planes = plan.steps.filter { $0.convolution?.algorithm == .planeProduct }
    #expect(planes.count == 2, "\(plan.steps.compactMap { $0.convolution?.algorithm })")
    OptimizationEquivalenceTests.checkInference(model, batch: 3, seed: 47, batches: 2)
  }
}
