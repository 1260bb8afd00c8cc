import Foundation
import NNCRandom
import Testing

@testable import NNCRuntime

let convCases: [ConvCase] = [
  ConvCase(
    name: "3x3 same, batch 2",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 3, inHeight: 7, inWidth: 6, outChannels: 4, kernelHeight: 3,
      kernelWidth: 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: true),
  ConvCase(
    name: "3x2 stride 2, asymmetric padding, groups 2",
    geometry: Conv2DGeometry(
      batch: 1, inChannels: 4, inHeight: 9, inWidth: 8, outChannels: 6, kernelHeight: 3,
      kernelWidth: 2, strideH: 2, strideW: 2, padTop: 0, padBottom: 1, padLeft: 1, padRight: 0,
      groups: 2),
    hasBias: false),
  ConvCase(
    name: "stride 3, dilation 2, asymmetric padding",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 2, inHeight: 10, inWidth: 9, outChannels: 3, kernelHeight: 3,
      kernelWidth: 3, strideH: 3, strideW: 3, dilationH: 2, dilationW: 2, padTop: 2, padBottom: 1,
      padLeft: 0, padRight: 2),
    hasBias: true),
  ConvCase(
    name: "pointwise, groups 2",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 4, inHeight: 5, inWidth: 3, outChannels: 6, kernelHeight: 1,
      kernelWidth: 1, groups: 2),
    hasBias: true),
  ConvCase(
    name: "1x1 stride 2 (im2col path)",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 3, inHeight: 5, inWidth: 5, outChannels: 2, kernelHeight: 1,
      kernelWidth: 1, strideH: 2, strideW: 2),
    hasBias: false),
  ConvCase(
    name: "depthwise multiplier 2 through the generic kernel",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 3, inHeight: 6, inWidth: 5, outChannels: 6, kernelHeight: 3,
      kernelWidth: 3, strideH: 2, strideW: 1, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1,
      groups: 3),
    hasBias: true),
  ConvCase(
    name: "3x3 padding 1 on a 1x1 map (cropped to the centre tap)",
    geometry: Conv2DGeometry(
      batch: 3, inChannels: 4, inHeight: 1, inWidth: 1, outChannels: 5, kernelHeight: 3,
      kernelWidth: 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: true),
  ConvCase(
    name: "3x3 stride 2 padding 1 on a 2x2 map (cropped to 2x2 taps)",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 3, inHeight: 2, inWidth: 2, outChannels: 4, kernelHeight: 3,
      kernelWidth: 3, strideH: 2, strideW: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: false),
  ConvCase(
    name: "5x3 dilation 2 on a 3x2 map, groups 2 (cropped rows and columns)",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 4, inHeight: 3, inWidth: 2, outChannels: 2, kernelHeight: 5,
      kernelWidth: 3, dilationH: 2, dilationW: 2, padTop: 4, padBottom: 4, padLeft: 2, padRight: 2,
      groups: 2),
    hasBias: true),
]

/// Geometries for the column matrices' layout changes at sizes the cases above miss: full 8 × 8
/// blocks of a transposition (one-pixel planes, a kernel over the whole map), pointwise planes
/// longer than a vector, beyond `Conv2D.pointwiseGradientMinimumPixels` and beyond
/// `Conv2D.pointwiseBackwardSamplePixels`, a strided 1x1 kernel
/// that skips input pixels and a strided output plane above `Conv2D.shortPlane`, padded.
let columnLayoutCases: [ConvCase] = [
  ConvCase(
    name: "3x3 padding 1 on a 1x1 map, batch 9, 10 channels",
    geometry: Conv2DGeometry(
      batch: 9, inChannels: 10, inHeight: 1, inWidth: 1, outChannels: 3, kernelHeight: 3,
      kernelWidth: 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: false),
  ConvCase(
    name: "2x2 kernel over a whole 2x2 map, batch 10",
    geometry: Conv2DGeometry(
      batch: 10, inChannels: 3, inHeight: 2, inWidth: 2, outChannels: 4, kernelHeight: 2,
      kernelWidth: 2),
    hasBias: true),
  ConvCase(
    name: "pointwise on 4x5 maps, batch 3",
    geometry: Conv2DGeometry(
      batch: 3, inChannels: 5, inHeight: 4, inWidth: 5, outChannels: 2, kernelHeight: 1,
      kernelWidth: 1),
    hasBias: false),
  ConvCase(
    name: "pointwise on 8x9 maps, batch 4 (the weight gradient by its kernel, chunks otherwise)",
    geometry: Conv2DGeometry(
      batch: 4, inChannels: 5, inHeight: 8, inWidth: 9, outChannels: 6, kernelHeight: 1,
      kernelWidth: 1),
    hasBias: false),
  ConvCase(
    name: "pointwise on 16x16 maps (the input gradient by the plane product, a ragged 6-channel block)",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 7, inHeight: 16, inWidth: 16, outChannels: 13, kernelHeight: 1,
      kernelWidth: 1),
    hasBias: true),
  ConvCase(
    name: "pointwise on 16x17 maps, groups 2 (backward a sample at a time)",
    geometry: Conv2DGeometry(
      batch: 3, inChannels: 4, inHeight: 16, inWidth: 17, outChannels: 6, kernelHeight: 1,
      kernelWidth: 1, groups: 2),
    hasBias: true),
  ConvCase(
    name: "1x1 stride 2 on a 6x5 map (a row and a column unread)",
    geometry: Conv2DGeometry(
      batch: 3, inChannels: 2, inHeight: 6, inWidth: 5, outChannels: 3, kernelHeight: 1,
      kernelWidth: 1, strideH: 2, strideW: 2),
    hasBias: false),
  ConvCase(
    name: "3x3 stride 2 padding 1 on a 12x11 map",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 2, inHeight: 12, inWidth: 11, outChannels: 3, kernelHeight: 3,
      kernelWidth: 3, strideH: 2, strideW: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: true),
]

@Suite struct ConvolutionTests {
  @Test(arguments: convCases + columnLayoutCases)
  func forwardMatchesDirectLoops(_ c: ConvCase) throws {
    let g = c.geometry
    try g.validate()
    var generator = RandomGenerator(seed: 11)
    let (input, weight, bias) = convolutionData(c, &generator)
    var output = [Float](repeating: .nan, count: g.outputCount)
    var scratch = [Float](repeating: .nan, count: Conv2D.scratchCount(g))
    Conv2D.forward(g, input: input, weight: weight, bias: bias, output: &output, scratch: &scratch)
    let expected = referenceConvolution(
      g, input: doubles(input), weight: doubles(weight), bias: bias.map(doubles))
    let error = maxRelativeError(output, expected)
    #expect(error < 1e-4, "\(c.name): forward max relative error \(error)")
  }

  @Test(arguments: convCases + columnLayoutCases)
  func backwardMatchesFiniteDifferences(_ c: ConvCase) {
    let g = c.geometry
    var generator = RandomGenerator(seed: 12)
    let (input, weight, bias) = convolutionData(c, &generator)
    let gradOutput = gradientWeights(g.outputCount, &generator)
    var gradInput = [Float](repeating: .nan, count: g.inputCount)
    var gradWeight = [Float](repeating: 0, count: g.weightCount)
    var gradBias = [Float](repeating: 0, count: g.outChannels)
    var scratch = [Float](repeating: .nan, count: Conv2D.scratchCount(g))
    Conv2D.backward(
      g, input: input, weight: weight, gradOutput: gradOutput, gradInput: &gradInput,
      gradWeight: &gradWeight, gradBias: &gradBias, scratch: &scratch)
    checkConvolutionGradients(
      c, input: input, weight: weight, bias: bias, gradOutput: gradOutput, gradInput: gradInput,
      gradWeight: gradWeight, gradBias: gradBias, &generator)
  }

  /// Every entry of both gradients, not the finite differences' sample of them: an input pixel the
  /// layout changes leave unwritten would hide among the entries they do not pick.
  @Test(arguments: columnLayoutCases)
  func backwardMatchesTheChainRuleAtEveryEntry(_ c: ConvCase) {
    let g = c.geometry
    var generator = RandomGenerator(seed: 13)
    let (input, weight, _) = convolutionData(c, &generator)
    let gradOutput = gradientWeights(g.outputCount, &generator)
    var gradInput = [Float](repeating: .nan, count: g.inputCount)
    var gradWeight = [Float](repeating: 0, count: g.weightCount)
    var scratch = [Float](repeating: .nan, count: Conv2D.scratchCount(g))
    Conv2D.backward(
      g, input: input, weight: weight, gradOutput: gradOutput, gradInput: &gradInput,
      gradWeight: &gradWeight, gradBias: nil, scratch: &scratch)
    let errors = WinogradConvolutionTests.gradientErrors(
      g, input: input, weight: weight, gradOutput: gradOutput, gradInput: gradInput, gradWeight: gradWeight)
    #expect(
      errors.input <= WinogradConvolutionTests.roundingSlack
        && errors.weight <= WinogradConvolutionTests.roundingSlack,
      "\(c.name): gradient errors \(errors.input), \(errors.weight) rounding units")
  }

  @Test func kernelsCropToTheTapsThatReadTheInput() throws {
    // The three cropped cases above: the centre tap; taps 1...2 of each axis; rows 1...3 of 5 (row 0
    // reads input rows -4...-2 only, row 4 rows 4...6) and column 1 (columns 0 and 2 read -2 and 2).
    let expected = [(1, 1, 1, 1), (1, 1, 2, 2), (1, 1, 3, 1)]
    for (c, (row, column, height, width)) in zip(convCases.suffix(3), expected) {
      let crop = try #require(c.geometry.liveTapCrop, "\(c.name)")
      #expect(
        (crop.firstRow, crop.firstColumn, crop.geometry.kernelHeight, crop.geometry.kernelWidth)
          == (row, column, height, width), "\(c.name)")
      #expect(
        crop.geometry.outHeight == c.geometry.outHeight && crop.geometry.outWidth == c.geometry.outWidth)
    }
    for c in convCases.prefix(convCases.count - 3) { #expect(c.geometry.liveTapCrop == nil, "\(c.name)") }
  }

  @Test func fusedActivationAppliesAfterBias() {
    let c = convCases[2]
    let g = c.geometry
    var generator = RandomGenerator(seed: 13)
    let (input, weight, bias) = convolutionData(c, &generator)
    var output = [Float](repeating: .nan, count: g.outputCount)
    var scratch = [Float](repeating: 0, count: Conv2D.scratchCount(g))
    Conv2D.forward(
      g, input: input, weight: weight, bias: bias, output: &output, scratch: &scratch,
      activation: .relu)
    let expected = referenceConvolution(
      g, input: doubles(input), weight: doubles(weight), bias: bias.map(doubles)
    ).map { max($0, 0) }
    let error = maxRelativeError(output, expected)
    #expect(error < 1e-4, "fused relu: max relative error \(error)")
  }

  @Test(arguments: [convCases[0], convCases[1], convCases[6], winogradDispatchCase])
  func channelScaleAppliesBeforeTheBias(_ c: ConvCase) {
    // Chunks of several samples and of one, a cropped kernel and the Winograd kernel.
    let g = c.geometry
    var generator = RandomGenerator(seed: 15)
    let (input, weight, _) = convolutionData(c, &generator)
    let bias = randomValues(g.outChannels, &generator)
    let scale = randomValues(g.outChannels, &generator)
    var output = [Float](repeating: .nan, count: g.outputCount)
    var scratch = [Float](repeating: .nan, count: Conv2D.scratchCount(g))
    Conv2D.forward(
      g, input: input, weight: weight, bias: bias, output: &output, scratch: &scratch,
      activation: .relu, channelScale: scale)
    let plane = g.outHeight * g.outWidth
    let unscaled = referenceConvolution(g, input: doubles(input), weight: doubles(weight), bias: nil)
    let expected = unscaled.enumerated().map { index, value in
      let channel = index / plane % g.outChannels
      return max(value * Double(scale[channel]) + Double(bias[channel]), 0)
    }
    let error = maxRelativeError(output, expected)
    #expect(error < 5e-5, "\(c.name): scaled forward max relative error \(error)")
  }

  @Test func gradientsOfParametersAccumulate() {
    let c = convCases[0]
    let g = c.geometry
    var generator = RandomGenerator(seed: 14)
    let (input, weight, _) = convolutionData(c, &generator)
    let gradOutput = gradientWeights(g.outputCount, &generator)
    var scratch = [Float](repeating: 0, count: Conv2D.scratchCount(g))
    var once = [Float](repeating: 0, count: g.weightCount)
    Conv2D.backward(
      g, input: input, weight: weight, gradOutput: gradOutput, gradInput: nil, gradWeight: &once,
      gradBias: nil, scratch: &scratch)
    var twice = once
    Conv2D.backward(
      g, input: input, weight: weight, gradOutput: gradOutput, gradInput: nil, gradWeight: &twice,
      gradBias: nil, scratch: &scratch)
    let error = maxRelativeError(twice, doubles(once).map { 2 * $0 })
    #expect(error < 1e-6, "second backward should add the same gradient again, error \(error)")
  }

  @Test func samePaddingPutsTheOddPixelAfter() {
    // ceil(7 / 2) = 4 outputs need 3 * 2 + 3 = 9 rows: 2 of padding, one each side.
    #expect(Conv2DGeometry.samePadding(input: 7, kernel: 3, stride: 2) == (1, 1))
    // ceil(8 / 2) = 4 outputs need 9 rows: 1 of padding, after.
    #expect(Conv2DGeometry.samePadding(input: 8, kernel: 3, stride: 2) == (0, 1))
    // Dilation 2 makes a 3-tap kernel span 5 rows: 4 of padding at stride 1.
    #expect(Conv2DGeometry.samePadding(input: 6, kernel: 3, stride: 1, dilation: 2) == (2, 2))
  }

  @Test func validationNamesTheBadField() {
    var g = convCases[0].geometry
    g.groups = 2
    #expect(throws: KernelError.self) { try g.validate() }
    g.groups = 1
    g.kernelHeight = 12
    do {
      try g.validate()
      Issue.record("a kernel taller than the padded input was accepted")
    } catch {
      #expect(error.description.contains("larger than the padded input"))
    }
    g.kernelHeight = 3
    g.strideW = 0
    do {
      try g.validate()
      Issue.record("stride 0 was accepted")
    } catch {
      #expect(error.description.contains("strideW"))
    }
  }
}
