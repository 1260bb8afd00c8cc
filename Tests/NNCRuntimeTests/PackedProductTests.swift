import CKernels
import Foundation
import NNCGraph
import NNCRandom
import Testing

@testable import NNCRuntime

/// `Conv2D.packedProductForward` against the definition in Double on every thread count and
/// instruction set, its fused residual addition against the separate one, the kernel's task split
/// changing no bit, and the plans that choose it.
@Suite struct PackedProductTests {
  static let geometries = [
    // 1x1 on 7x7 maps, 5 samples: 245 columns, so panels of 32 cross samples' ends and the last is
    // ragged; 29 filters: two full weight panels of 12 and one of 5.
    Conv2DGeometry(
      batch: 5, inChannels: 70, inHeight: 7, inWidth: 7, outChannels: 29, kernelHeight: 1, kernelWidth: 1),
    // ResNet's 3x3/2 layer, small: padded borders in every panel.
    Conv2DGeometry(
      batch: 7, inChannels: 8, inHeight: 9, inWidth: 9, outChannels: 40, kernelHeight: 3, kernelWidth: 3,
      strideH: 2, strideW: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    // A 7x7/2 stem over 3 channels, 147-float patches.
    Conv2DGeometry(
      batch: 3, inChannels: 3, inHeight: 13, inWidth: 13, outChannels: 16, kernelHeight: 7, kernelWidth: 7,
      strideH: 2, strideW: 2, padTop: 3, padBottom: 3, padLeft: 3, padRight: 3),
    // Dilation 2 at stride 1 and a projection 1x1/2 on an odd map: the general packing's other paths.
    Conv2DGeometry(
      batch: 2, inChannels: 9, inHeight: 10, inWidth: 11, outChannels: 13, kernelHeight: 3, kernelWidth: 3,
      dilationH: 2, dilationW: 2, padTop: 2, padBottom: 2, padLeft: 2, padRight: 2),
    Conv2DGeometry(
      batch: 4, inChannels: 33, inHeight: 9, inWidth: 9, outChannels: 24, kernelHeight: 1, kernelWidth: 1,
      strideH: 2, strideW: 2),
    // Output rows of 10 and 9: groups of 8 inside one row take each tap as a vector load (stride 2,
    // padded at the left border, at the right one, and a projection 1x1/2 unpadded); the others and
    // the border taps value by value.
    Conv2DGeometry(
      batch: 3, inChannels: 6, inHeight: 18, inWidth: 20, outChannels: 20, kernelHeight: 3, kernelWidth: 3,
      strideH: 2, strideW: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    Conv2DGeometry(
      batch: 3, inChannels: 70, inHeight: 18, inWidth: 18, outChannels: 24, kernelHeight: 1, kernelWidth: 1,
      strideH: 2, strideW: 2),
  ]

  @Test(arguments: geometries)
  func matchesTheDefinitionOnEveryThreadCountAndInstructionSet(_ g: Conv2DGeometry) {
    var generator = RandomGenerator(seed: 71)
    let input = randomValues(g.inputCount, &generator, scale: 2)
    let weight = randomValues(g.weightCount, &generator)
    let bias = randomValues(g.outChannels, &generator)
    let scale = randomValues(g.outChannels, &generator, scale: 3)
    expectMatchesTheDefinitionOnEveryThreadCountAndInstructionSet(
      g, input: input, weight: weight, bias: bias, scale: scale
    ) { threads, isa, activation, affine in
      var output = [Float](repeating: .nan, count: g.outputCount)
      var scratch = [Float](repeating: .nan, count: Conv2D.packedProductScratchCount(g))
      Conv2D.packedProductForward(
        g, input: input, weight: weight, bias: affine ? bias : nil, output: &output, activation: activation,
        channelScale: affine ? scale : nil, scratch: &scratch, threads: threads, instructionSet: isa)
      return output
    }
  }

  /// A shortcut added before ReLU or none gives the bits of the product followed by `Add.forward`.
  @Test(arguments: geometries)
  func addsTheShortcutAsTheSeparateAddition(_ g: Conv2DGeometry) {
    var generator = RandomGenerator(seed: 72)
    let input = randomValues(g.inputCount, &generator, scale: 2)
    let weight = randomValues(g.weightCount, &generator)
    let bias = randomValues(g.outChannels, &generator)
    let scale = randomValues(g.outChannels, &generator, scale: 3)
    let shortcut = randomValues(g.outputCount, &generator, scale: 2)
    expectFusedShortcutGivesTheSeparateAdditionsBits(
      ConvCase(name: "\(g)", geometry: g, hasBias: true), algorithm: .packedProduct, input: input,
      weight: weight,
      bias: bias, scale: scale, shortcut: shortcut)
  }

  /// The kernel called on other splits of the columns and channels than the runtime's (single
  /// columns, odd runs, one weight panel at a time) writes the same bits: no task or panel size
  /// enters an output's arithmetic.
  @Test(arguments: [geometries[0], geometries[1]])
  func everyTaskSplitGivesTheSameBits(_ g: Conv2DGeometry) {
    var generator = RandomGenerator(seed: 73)
    let (input, _, bias, packed) = Self.operands(g, &generator)
    let shortcut = randomValues(g.outputCount, &generator)
    let rowPanel = Int(NNC_PACKED_PRODUCT_CHANNELS)
    func run(columnsPerTask: Int, rowsPerTask: Int) -> [Float] {
      Self.kernelOutput(
        g, packed: packed, input: input, bias: bias, shortcut: shortcut, columnsPerTask: columnsPerTask,
        rowsPerTask: rowsPerTask)
    }
    let whole = Self.kernelOutput(g, packed: packed, input: input, bias: bias, shortcut: shortcut)
    for (columnsPerTask, rowsPerTask) in [
      (1, rowPanel), (45, 2 * rowPanel), (32, rowPanel), (97, g.outChannels),
    ] {
      let split = run(columnsPerTask: columnsPerTask, rowsPerTask: rowsPerTask)
      #expect(split.map(\.bitPattern) == whole.map(\.bitPattern), "\(g): \(columnsPerTask) × \(rowsPerTask)")
    }
  }

  /// Random input (scale 2), weights and biases for `g`, and the weights packed for the kernel.
  static func operands(_ g: Conv2DGeometry, _ generator: inout RandomGenerator) -> (
    input: [Float], weight: [Float], bias: [Float], packed: [Float]
  ) {
    let input = randomValues(g.inputCount, &generator, scale: 2)
    let weight = randomValues(g.weightCount, &generator)
    let bias = randomValues(g.outChannels, &generator)
    var packed = [Float](repeating: .nan, count: Conv2D.packedProductWeightCount(g))
    nnc_packed_product_pack(Int32(g.outChannels), Int32(g.columnRows), weight, &packed)
    return (input, weight, bias, packed)
  }

  /// `nnc_packed_product_forward` (ReLU after `bias` and the shortcut, if any) called over `g`'s
  /// columns and channels in tasks of the given sizes (by default one call for all), into a fresh
  /// output of NaNs.
  static func kernelOutput(
    _ g: Conv2DGeometry, packed: [Float], input: [Float], bias: [Float], shortcut: [Float]? = nil,
    isa: DepthwiseInstructionSet = .best, inPlace: Bool = false, columnsPerTask: Int? = nil,
    rowsPerTask: Int? = nil
  ) -> [Float] {
    var shape = g.patchShape
    let columns = g.batch * g.outHeight * g.outWidth
    let (columnsPerTask, rowsPerTask) = (columnsPerTask ?? columns, rowsPerTask ?? g.outChannels)
    var output = [Float](repeating: .nan, count: g.outputCount)
    var work = [Float](
      repeating: .nan,
      count: nnc_packed_product_work_floats(Int32(g.columnRows), Int32(columnsPerTask), Int32(g.outChannels)))
    for first in stride(from: 0, to: columns, by: columnsPerTask) {
      for row in stride(from: 0, to: g.outChannels, by: rowsPerTask) {
        nnc_packed_product_forward(
          isa.code, &shape, Int32(g.outChannels), packed, input, first,
          Int32(min(columnsPerTask, columns - first)),
          Int32(row), Int32(min(rowsPerTask, g.outChannels - row)), &output, shortcut, nil, bias,
          Int32(NNC_POINTWISE_RELU), inPlace ? 1 : 0, &work)
      }
    }
    return output
  }

  /// Deep layers (weights beyond `packedProductDeepWeights`) take tasks of many columns, all
  /// channels once there is a column task per thread; the split changes no bit on 1 to 3 threads.
  @Test func deepLayersTakeFewWideTasksWithTheSameBits() {
    let deep = Conv2DGeometry(
      batch: 8, inChannels: 1024, inHeight: 14, inWidth: 14, outChannels: 1040, kernelHeight: 1,
      kernelWidth: 1, strideH: 2, strideW: 2)
    #expect(deep.weightCount > Conv2D.packedProductDeepWeights)
    // 392 columns, 49 groups: two column tasks, all 1040 channels (33 blocks) in each on 2 threads.
    let wide = Conv2D.packedProductTasks(deep, threads: 2)
    #expect(wide.groups == 25 && wide.rows >= deep.outChannels, "\(wide)")
    #expect(Conv2D.packedProductTasks(deep, threads: 4).rows == 17 * Int(NNC_PACKED_PRODUCT_CHANNELS))
    // One sample: one column task, the channels split into a task per thread.
    let oneSample = Conv2DGeometry(
      batch: 1, inChannels: 1024, inHeight: 14, inWidth: 14, outChannels: 1040, kernelHeight: 1,
      kernelWidth: 1, strideH: 2, strideW: 2)
    let single = Conv2D.packedProductTasks(oneSample, threads: 2)
    #expect(single.groups == 7 && single.rows == 17 * Int(NNC_PACKED_PRODUCT_CHANNELS), "\(single)")
    // ResNet-50's 3x3/2 -> 256x14x14 (2.25 MiB of weights) keeps the budget's short tasks.
    let shallow = Conv2DGeometry(
      batch: 8, inChannels: 256, inHeight: 28, inWidth: 28, outChannels: 256, kernelHeight: 3, kernelWidth: 3,
      strideH: 2, strideW: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
    #expect(Conv2D.packedProductTasks(shallow, threads: 2).groups == Conv2D.packedProductMinimumGroups)

    var generator = RandomGenerator(seed: 75)
    let (input, weight, bias, packed) = Self.operands(deep, &generator)
    let whole = Self.kernelOutput(deep, packed: packed, input: input, bias: bias)
    for threads in 1...3 {
      var output = [Float](repeating: .nan, count: deep.outputCount)
      var scratch = [Float](repeating: .nan, count: Conv2D.packedProductScratchCount(deep))
      Conv2D.packedProductForward(
        deep, input: input, weight: weight, bias: bias, output: &output, activation: .relu, channelScale: nil,
        scratch: &scratch, threads: threads)
      #expect(output.map(\.bitPattern) == whole.map(\.bitPattern), "\(threads) threads")
    }
  }

  /// Reading a group's terms in place (stride 1 and 2, dilated, padded borders packed) gives the
  /// packed columns' bits on every instruction set.
  @Test(arguments: geometries)
  func readingInPlaceGivesThePackedBits(_ g: Conv2DGeometry) {
    var generator = RandomGenerator(seed: 74)
    let (input, _, bias, packed) = Self.operands(g, &generator)
    for isa in DepthwiseInstructionSet.allCases.filter(\.isAvailable) {
      let outputs = [false, true].map { inPlace in
        Self.kernelOutput(g, packed: packed, input: input, bias: bias, isa: isa, inPlace: inPlace)
      }
      #expect(!outputs[1].contains { $0.isNaN }, "\(g), \(isa): outputs left unwritten")
      #expect(outputs[1].map(\.bitPattern) == outputs[0].map(\.bitPattern), "\(g), \(isa): in place differs")
    }
  }

  /// Inference plans choose it for ResNet-50's 3x3/2 layers, its 1x1 reductions on 14x14 and 28x28
  /// maps (its other 1x1 layers are plane products, its stem a strided stem) and its strided
  /// projections; training plans keep im2col and the pointwise product.
  @Test func inferencePlansChooseItForResNet50sStridedLayersAndReductions() {
    let strided = Conv2DGeometry(
      batch: 8, inChannels: 128, inHeight: 56, inWidth: 56, outChannels: 128, kernelHeight: 3, kernelWidth: 3,
      strideH: 2, strideW: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
    #expect(ConvolutionAlgorithm.choose(for: strided, mode: .inference) == .packedProduct)
    #expect(ConvolutionAlgorithm.choose(for: strided, mode: .training) == .im2col)
    let reduction = Conv2DGeometry(
      batch: 8, inChannels: 1024, inHeight: 14, inWidth: 14, outChannels: 256, kernelHeight: 1, kernelWidth: 1
    )
    #expect(ConvolutionAlgorithm.choose(for: reduction, mode: .inference) == .packedProduct)
    #expect(ConvolutionAlgorithm.choose(for: reduction, mode: .training) == .pointwise)
    let projection = Conv2DGeometry(
      batch: 8, inChannels: 256, inHeight: 56, inWidth: 56, outChannels: 512, kernelHeight: 1, kernelWidth: 1,
      strideH: 2, strideW: 2)
    #expect(ConvolutionAlgorithm.choose(for: projection, mode: .inference) == .packedProduct)
    let stem = Conv2DGeometry(
      batch: 8, inChannels: 3, inHeight: 224, inWidth: 224, outChannels: 64, kernelHeight: 7, kernelWidth: 7,
      strideH: 2, strideW: 2, padTop: 3, padBottom: 3, padLeft: 3, padRight: 3)
    #expect(ConvolutionAlgorithm.choose(for: stem, mode: .inference) == .stridedStem)
    #expect(
      Conv2D.runsPackedProduct(stem) && Conv2D.packedProductReadsInPlace(stem)
        && !Conv2D.packedProductReadsInPlace(strided))
  }
}

extension PackedProductTests {
  static let model = """
    model:
      input: [16, 28, 28]
      layers:
        - conv2d: {filters: 256, kernel: 3, stride: 2, padding: 1, bias: false}
        - batchnorm
        - relu
        - conv2d: {filters: 128, kernel: 1, bias: false}
        - batchnorm
        - global_avgpool
        - dense: 3
    """

  /// An inference executor runs both convolutions as packed products (the weights kept packed
  /// across batches) and gives the outputs of the unoptimized graph, batch after batch.
  @Test func theExecutorsPackedProductsGiveTheUnoptimizedOutputs() throws {
    let model = try graph(Self.model)
    let plan = try ExecutionPlanner.plan(graph: model, configuration: .inference, maxBatch: 3)
    let packed = plan.steps.filter { $0.convolution?.algorithm == .packedProduct }
    #expect(packed.count == 2, "\(plan.steps.compactMap { $0.convolution?.algorithm })")
    OptimizationEquivalenceTests.checkInference(model, batch: 3, seed: 46, batches: 2)
  }
}
