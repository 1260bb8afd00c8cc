import Foundation
import NNCGraph
import NNCRandom
import Testing

@testable import NNCRuntime

/// `Conv2D.patchProductForward` against the definition in Double, writing channels-last (as
/// MobileNet's stem feeds its channels-last region) and channels-first (ResNet's stem in inference
/// plans), and the plan that fuses the first: the stem writes the reorder's output, which then does
/// nothing.
@Suite struct PatchProductTests {
  static let geometries = [
    // MobileNetV2's stem, small: 3x3 stride 2, padding 1, 3 -> 32 channels.
    Conv2DGeometry(
      batch: 3, inChannels: 3, inHeight: 9, inWidth: 9, outChannels: 32, kernelHeight: 3, kernelWidth: 3,
      strideH: 2, strideW: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    // 700 pixels: three tasks, the last partial; 11 outputs: a vector and a tail.
    Conv2DGeometry(
      batch: 7, inChannels: 2, inHeight: 10, inWidth: 10, outChannels: 11, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    // ResNet's stem, small: 7x7 stride 2, padding 3; 49-pixel planes, so tasks of 256 pixels span
    // samples and their rows end between the eight-row blocks of the transposition.
    Conv2DGeometry(
      batch: 11, inChannels: 3, inHeight: 13, inWidth: 13, outChannels: 16, kernelHeight: 7, kernelWidth: 7,
      strideH: 2, strideW: 2, padTop: 3, padBottom: 3, padLeft: 3, padRight: 3),
    // A strided ResNet layer on a small map, 40 channels × 9 taps (channels-first only): 16-pixel
    // planes, rows four columns wide for the overlapping copies and borders for the scalar ones.
    Conv2DGeometry(
      batch: 9, inChannels: 40, inHeight: 8, inWidth: 8, outChannels: 24, kernelHeight: 3, kernelWidth: 3,
      strideH: 2, strideW: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    // A strided 1x1 (ResNet's projection shortcut) on an odd map: one-column copies.
    Conv2DGeometry(
      batch: 5, inChannels: 200, inHeight: 9, inWidth: 9, outChannels: 32, kernelHeight: 1, kernelWidth: 1,
      strideH: 2, strideW: 2),
    // Kernel rows of 5 and 8 taps (the gather's 8-float copies): rows inside the input with and
    // without an eighth float to read, and the padded borders.
    Conv2DGeometry(
      batch: 2, inChannels: 2, inHeight: 14, inWidth: 14, outChannels: 19, kernelHeight: 5, kernelWidth: 5,
      padTop: 2, padBottom: 2, padLeft: 2, padRight: 2),
    Conv2DGeometry(
      batch: 2, inChannels: 2, inHeight: 12, inWidth: 17, outChannels: 16, kernelHeight: 3, kernelWidth: 8,
      strideH: 2, strideW: 3, padTop: 1, padBottom: 1, padLeft: 3, padRight: 4),
  ]

  /// Inference plans choose it for stems and, on maps of at most 64 pixels, for longer patches;
  /// training plans always keep im2col.
  @Test func inferencePlansChooseItForStemsAndSmallMaps() {
    for g in Self.geometries[2...4] {
      #expect(ConvolutionAlgorithm.choose(for: g, mode: .inference) == .patchProduct, "\(g)")
      #expect(ConvolutionAlgorithm.choose(for: g, mode: .training) == .im2col, "\(g)")
    }
    // ResNet-50's strided layers on 28x28 maps, the 3x3 one and the 1x1 projection, as packed
    // products.
    let resnet50Strided = Conv2DGeometry(
      batch: 8, inChannels: 128, inHeight: 56, inWidth: 56, outChannels: 128, kernelHeight: 3, kernelWidth: 3,
      strideH: 2, strideW: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
    #expect(ConvolutionAlgorithm.choose(for: resnet50Strided, mode: .inference) == .packedProduct)
    let resnet50Projection = Conv2DGeometry(
      batch: 8, inChannels: 256, inHeight: 56, inWidth: 56, outChannels: 512, kernelHeight: 1, kernelWidth: 1,
      strideH: 2, strideW: 2)
    #expect(ConvolutionAlgorithm.choose(for: resnet50Projection, mode: .inference) == .packedProduct)
    #expect(!Conv2D.runsPatchProduct(Self.geometries[3]), "long patches write channels-first only")
    // Stride 1 keeping the width (im2col's shifted plane copies) on a map larger than 64 pixels.
    #expect(!Conv2D.runsPatchProduct(Self.geometries[1], outputLayout: .channelsFirst))
    #expect(Conv2D.runsPatchProduct(Self.geometries[1], outputLayout: .channelsLast))
  }

  @Test(arguments: geometries, [TensorLayout.channelsLast, .channelsFirst])
  func matchesTheDefinitionOnEveryThreadCount(_ g: Conv2DGeometry, layout: TensorLayout) throws {
    #expect(Conv2D.computesPatchProduct(g))
    var generator = RandomGenerator(seed: 61)
    let input = randomValues(g.inputCount, &generator, scale: 2)
    let weight = randomValues(g.weightCount, &generator)
    let bias = randomValues(g.outChannels, &generator)
    let scale = randomValues(g.outChannels, &generator, scale: 3)
    let sums = referenceConvolution(g, input: doubles(input), weight: doubles(weight), bias: nil)
    let magnitudes = referenceConvolution(
      g, input: input.map { abs(Double($0)) }, weight: weight.map { abs(Double($0)) }, bias: nil)
    let plane = g.outHeight * g.outWidth
    for activation in [ActivationKind.relu6, .linear, .tanh] {
      // 1-3 threads on the best instruction set, then one thread on every one the CPU has.
      let runs =
        (1...3).map { ($0, DepthwiseInstructionSet.best) }
        + DepthwiseInstructionSet.allCases.filter(\.isAvailable).map { (1, $0) }
      let results = runs.map { threads, instructionSet in
        var output = [Float](repeating: .nan, count: g.outputCount)
        var scratch = [Float](
          repeating: .nan, count: Conv2D.patchProductScratchCount(g, outputLayout: layout))
        Conv2D.patchProductForward(
          g, input: input, weight: weight, bias: bias, output: &output, activation: activation,
          channelScale: scale, scratch: &scratch, outputLayout: layout, threads: threads,
          instructionSet: instructionSet)
        return output
      }
      // The reference is NCHW: each channels-last output takes its channels-first element's values.
      let (planes, planeBounds) = referenceEpilogue(
        g, sums: sums, magnitudes: magnitudes, scale: scale, bias: bias, activation: activation)
      var (expected, bounds) = (planes, planeBounds)
      if layout == .channelsLast {
        for n in 0..<g.batch {
          for o in 0..<g.outChannels {
            for p in 0..<plane {
              let (source, target) = (
                (n * g.outChannels + o) * plane + p, (n * plane + p) * g.outChannels + o
              )
              (expected[target], bounds[target]) = (planes[source], planeBounds[source])
            }
          }
        }
      }
      for (result, run) in zip(results, runs) {
        let error = maxRoundingError(result, expected, magnitudes: bounds, terms: g.columnRows + 2)
        #expect(error < 4, "\(g) \(activation) \(run.1): \(error) rounding bounds")
      }
      #expect(
        results[1] == results[0] && results[2] == results[0], "\(g) \(activation): thread counts differ")
    }
  }

  static let stemModel = """
    model:
      input: [3, 12, 12]
      layers:
        - conv2d: {filters: 16, kernel: 3, stride: 2, padding: 1, bias: false}
        - batchnorm
        - relu6
        - conv2d: {filters: 192, kernel: 1, bias: false}
        - batchnorm
        - relu6
        - depthwise_conv2d: {kernel: 3, padding: 1, bias: false}
        - batchnorm
        - relu6
        - conv2d: {filters: 16, kernel: 1, bias: false}
        - global_avgpool
        - dense: 3
    """

  @Test func theStemWritesTheRegionsInputAndTheResultStaysTheSame() throws {
    let model = try graph(Self.stemModel)
    let plan = try ExecutionPlanner.plan(graph: model, configuration: .inference, maxBatch: 4)
    let stem = try #require(plan.steps.first { $0.convolution != nil })
    let reorder = try #require(stem.channelsLastOutput, "the stem does not write channels-last")
    #expect(
      plan.graph.nodes[reorder].op == .reorder(.channelsLast) && plan.steps[reorder].isReorderedByProducer)
    let batch = 4
    let fused = Executor(graph: model, maxBatch: batch, configuration: .inference)
    var options = OptimizationOptions.all
    options.disabledPasses = ["channels-last"]
    let channelsFirst = Executor(
      graph: model, maxBatch: batch,
      configuration: ExecutionConfiguration(mode: .inference, optimization: options))
    OptimizationEquivalenceTests.prepare([fused, channelsFirst], batch: batch, seed: 45)
    let outputs = [fused, channelsFirst].map { executor in
      executor.forward(batch: batch, training: false)
      return OptimizationEquivalenceTests.output(executor, batch: batch)
    }
    let error = OptimizationEquivalenceTests.relativeError(outputs[0], outputs[1])
    #expect(error < 1e-5, "channels-last against channels-first: \(error)")
  }
}

extension PatchProductTests {
  /// Channels-first, a shortcut added before ReLU or none gives the bits of the product followed by
  /// `Add.forward`, on every thread count.
  @Test(arguments: geometries)
  func addsTheShortcutAsTheSeparateAddition(_ g: Conv2DGeometry) {
    var generator = RandomGenerator(seed: 62)
    let input = randomValues(g.inputCount, &generator, scale: 2)
    let weight = randomValues(g.weightCount, &generator)
    let bias = randomValues(g.outChannels, &generator)
    let scale = randomValues(g.outChannels, &generator, scale: 3)
    let shortcut = randomValues(g.outputCount, &generator, scale: 2)
    var scratch = [Float](
      repeating: .nan, count: Conv2D.patchProductScratchCount(g, outputLayout: .channelsFirst))
    var convolution = [Float](repeating: .nan, count: g.outputCount)
    Conv2D.patchProductForward(
      g, input: input, weight: weight, bias: bias, output: &convolution, activation: .linear,
      channelScale: scale, scratch: &scratch, outputLayout: .channelsFirst)
    for activation in [ActivationKind.linear, .relu] {
      var separate = [Float](repeating: .nan, count: g.outputCount)
      Add.forward(convolution, shortcut, output: &separate, count: g.outputCount, activation: activation)
      for threads in 1...3 {
        var fused = [Float](repeating: .nan, count: g.outputCount)
        Conv2D.patchProductForward(
          g, input: input, weight: weight, bias: bias, output: &fused, activation: activation,
          channelScale: scale, scratch: &scratch, outputLayout: .channelsFirst, shortcut: shortcut,
          threads: threads)
        #expect(
          fused.map(\.bitPattern) == separate.map(\.bitPattern), "\(g) \(activation), \(threads) threads")
      }
    }
  }
}
