import NNCRandom
import Testing

@testable import NNCRuntime

/// Convolutions with one output pixel reading their whole input, which inference plans run as dense
/// products (`ConvolutionAlgorithm.denseProduct`): directly, and under the crop of a 3x3 kernel on a
/// 1x1 map and of a strided 3x3 on a 2x2 map (ResNet-18's last stage at 32x32 inputs).
private let denseCases: [ConvCase] = [
  ConvCase(
    name: "1x1 on a 1x1 map, 40 -> 24",
    geometry: Conv2DGeometry(
      batch: 5, inChannels: 40, inHeight: 1, inWidth: 1, outChannels: 24, kernelHeight: 1, kernelWidth: 1),
    hasBias: true),
  ConvCase(
    name: "3x3 padding 1 on a 1x1 map, 24 -> 19 (cropped to 1x1)",
    geometry: Conv2DGeometry(
      batch: 7, inChannels: 24, inHeight: 1, inWidth: 1, outChannels: 19, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: false),
  ConvCase(
    name: "3x3 stride 2 padding 1 on a 2x2 map, 12 -> 33 (cropped to 2x2)",
    geometry: Conv2DGeometry(
      batch: 6, inChannels: 12, inHeight: 2, inWidth: 2, outChannels: 33, kernelHeight: 3, kernelWidth: 3,
      strideH: 2, strideW: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: true),
  ConvCase(
    name: "2x3 kernel on a 2x3 map, 5 -> 16",
    geometry: Conv2DGeometry(
      batch: 3, inChannels: 5, inHeight: 2, inWidth: 3, outChannels: 16, kernelHeight: 2, kernelWidth: 3),
    hasBias: true),
]

@Suite struct DenseProductTests {
  /// Inference plans choose it, under the crop where there is one; training plans keep their paths;
  /// maps the kernel does not cover, and weights beyond the direct kernel's, are not dense products.
  @Test func inferenceChoosesItWhereOnePixelReadsTheWholeInput() throws {
    for c in denseCases {
      let inference = ConvolutionAlgorithm.choose(for: c.geometry, mode: .inference)
      let training = ConvolutionAlgorithm.choose(for: c.geometry, mode: .training)
      if let crop = c.geometry.liveTapCrop {
        #expect(inference == .cropped(crop, then: .denseProduct), "\(c.name)")
        #expect(training == .cropped(crop, then: Conv2D.algorithm(for: crop.geometry)), "\(c.name)")
      } else {
        #expect(c.geometry.isDenseProduct && inference == .denseProduct, "\(c.name)")
        #expect(training != .denseProduct, "\(c.name)")
      }
    }
    // A strided 1x1 on a 2x2 map reads one pixel of four; a 3x3 on a 3x3 map has nine outputs.
    let strided = Conv2DGeometry(
      batch: 2, inChannels: 8, inHeight: 2, inWidth: 2, outChannels: 8, kernelHeight: 1, kernelWidth: 1,
      strideH: 2, strideW: 2)
    let unpadded = Conv2DGeometry(
      batch: 2, inChannels: 8, inHeight: 3, inWidth: 3, outChannels: 8, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
    let huge = Conv2DGeometry(
      batch: 2, inChannels: 1024, inHeight: 1, inWidth: 1, outChannels: 1024, kernelHeight: 1, kernelWidth: 1)
    for g in [strided, unpadded, huge] {
      #expect(!g.isDenseProduct, "\(g)")
      #expect(ConvolutionAlgorithm.choose(for: g, mode: .inference) != .denseProduct, "\(g)")
    }
  }

  /// The definition's loops (in Double) within float rounding, with a channel scale, ReLU and a
  /// shortcut (the bits of the convolution followed by `Add.forward`), from fresh weights and from
  /// weights an inference executor kept prepared (cropped and packed) from an earlier batch.
  @Test(arguments: denseCases)
  func forwardMatchesTheReferenceFromFreshAndKeptWeights(_ c: ConvCase) {
    let g = c.geometry
    var generator = RandomGenerator(seed: 93)
    let (input, weight, bias) = convolutionData(c, &generator)
    let scale = randomValues(g.outChannels, &generator, scale: 2)
    let shortcut = randomValues(g.outputCount, &generator)
    let algorithm = ConvolutionAlgorithm.choose(for: g, mode: .inference)
    var scratch = [Float](repeating: .nan, count: max(1, Conv2D.scratchCount(g, algorithm: algorithm)))
    var kept = [Float](repeating: .nan, count: max(1, Conv2D.keptWeightCount(g, algorithm: algorithm)))
    #expect(Conv2D.keptWeightCount(g, algorithm: algorithm) > 0, "\(c.name): the packed weights are kept")
    // One output pixel: output element i is channel i mod outChannels.
    let reference = referenceConvolution(g, input: doubles(input), weight: doubles(weight), bias: nil)
      .enumerated().map { index, sum in
        let channel = index % g.outChannels
        return max(0, sum * Double(scale[channel]) + Double(bias?[channel] ?? 0))
      }
    var results: [[Float]] = []
    for prepared in [false, true] {
      var output = [Float](repeating: .nan, count: g.outputCount)
      Conv2D.forward(
        g, algorithm: algorithm, input: input, weight: weight, bias: bias, output: &output, scratch: &scratch,
        activation: .relu, keptWeight: &kept, channelScale: scale, keptWeightIsPrepared: prepared)
      results.append(output)
    }
    #expect(maxRelativeError(results[0], reference) < 1e-4, "\(c.name)")
    #expect(results[1] == results[0], "\(c.name): the kept weights give other values")
    expectFusedShortcutGivesTheSeparateAdditionsBits(
      c, algorithm: algorithm, input: input, weight: weight, bias: bias, scale: scale, shortcut: shortcut)
  }
}
