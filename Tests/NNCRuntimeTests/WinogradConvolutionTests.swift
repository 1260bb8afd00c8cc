import NNCRandom
import Testing

@testable import NNCRuntime

/// Shapes that exercise the tiling: even and odd outputs (edge tiles cut off), no padding,
/// asymmetric padding, maps smaller than a tile's input and a single output; rows of at least 32 tiles
/// (vectorized along the rows) and narrower maps (vectorized over 8 samples and a remainder).
let winogradCases: [ConvCase] = [
  ConvCase(
    name: "9x65 same (rows of 33 tiles)",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 3, inHeight: 9, inWidth: 65, outChannels: 4, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: true),
  ConvCase(
    name: "6x64, asymmetric padding (rows of 32 tiles)",
    geometry: Conv2DGeometry(
      batch: 1, inChannels: 2, inHeight: 6, inWidth: 64, outChannels: 3, kernelHeight: 3, kernelWidth: 3,
      padTop: 2, padBottom: 0, padLeft: 0, padRight: 1),
    hasBias: false),
  ConvCase(
    name: "5x4 same, batch 11 (8 lanes and 3)",
    geometry: Conv2DGeometry(
      batch: 11, inChannels: 3, inHeight: 5, inWidth: 4, outChannels: 2, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: true),
  ConvCase(
    name: "8x8 same, batch 3",
    geometry: Conv2DGeometry(
      batch: 3, inChannels: 5, inHeight: 8, inWidth: 8, outChannels: 4, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: true),
  ConvCase(
    name: "7x5 same (odd output both ways)",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 3, inHeight: 7, inWidth: 5, outChannels: 6, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: false),
  ConvCase(
    name: "6x9 valid",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 4, inHeight: 6, inWidth: 9, outChannels: 3, kernelHeight: 3, kernelWidth: 3),
    hasBias: true),
  ConvCase(
    name: "asymmetric padding",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 2, inHeight: 5, inWidth: 6, outChannels: 3, kernelHeight: 3, kernelWidth: 3,
      padTop: 0, padBottom: 2, padLeft: 2, padRight: 0),
    hasBias: true),
  ConvCase(
    name: "2x2 same (one tile)",
    geometry: Conv2DGeometry(
      batch: 4, inChannels: 3, inHeight: 2, inWidth: 2, outChannels: 2, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: false),
  ConvCase(
    name: "11 to 9 channels (weight transforms over 8 channels and a remainder)",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 11, inHeight: 4, inWidth: 5, outChannels: 9, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: true),
  ConvCase(
    name: "3x3 valid (one output)",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 3, inHeight: 3, inWidth: 3, outChannels: 2, kernelHeight: 3, kernelWidth: 3),
    hasBias: true),
]

/// A convolution `Conv2D` runs through the Winograd kernel (enough channels).
let winogradDispatchCase = ConvCase(
  name: "16 to 16 channels, 6x6 same",
  geometry: Conv2DGeometry(
    batch: 2, inChannels: 16, inHeight: 6, inWidth: 6, outChannels: 16, kernelHeight: 3, kernelWidth: 3,
    padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
  hasBias: true)

@Suite struct WinogradConvolutionTests {
  /// Products one tile wide put every sample in its own chunk, 24 tiles several samples in each
  /// (with a shorter last chunk), the default all of them in one.
  static let tileTargets = [1, 24, WinogradConv2D.targetTiles]

  @Test(arguments: winogradCases)
  func forwardMatchesDirectLoops(_ c: ConvCase) throws {
    let g = c.geometry
    try g.validate()
    #expect(WinogradConv2D.fits(g))
    var generator = RandomGenerator(seed: 31)
    let (input, weight, bias) = convolutionData(c, &generator)
    let expected = referenceConvolution(
      g, input: doubles(input), weight: doubles(weight), bias: bias.map(doubles))
    for target in Self.tileTargets {
      var output = [Float](repeating: .nan, count: g.outputCount)
      var scratch = [Float](repeating: .nan, count: WinogradConv2D.scratchCount(g, targetTiles: target))
      WinogradConv2D.forward(
        g, input: input, weight: weight, bias: bias, output: &output, scratch: &scratch,
        activation: .linear, targetTiles: target)
      let error = maxRelativeError(output, expected)
      #expect(error < 1e-5, "\(c.name), \(target) tiles: forward max relative error \(error)")
    }
  }

  /// Winograd's transforms add and subtract several products before the sum over tiles, so its
  /// rounding is a multiple of a plain dot product's (`roundingTolerance`); a wrong term is off by
  /// about 1 / (ε √terms), thousands of these units.
  static let roundingSlack: Double = 32

  /// Each gradient's error in units of `roundingTolerance`: the weight gradient sums over every
  /// output position of the batch, the input gradient over output channels and taps, the bias
  /// gradient over the batch's positions. Parameter gradients include the 1 they started at.
  static func gradientErrors(
    _ g: Conv2DGeometry, input: [Float], weight: [Float], gradOutput: [Float],
    gradInput: [Float]?, gradWeight: [Float]?, gradBias: [Float]? = nil, startingAt start: Double = 0
  ) -> (input: Double, weight: Double, bias: Double) {
    let expected = referenceConvolutionGradients(
      g, input: doubles(input), weight: doubles(weight), gradOutput: doubles(gradOutput))
    let magnitudes = referenceConvolutionGradients(
      g, input: doubles(input).map(abs), weight: doubles(weight).map(abs),
      gradOutput: doubles(gradOutput).map(abs))
    let plane = g.outHeight * g.outWidth
    var expectedBias = [Double](repeating: start, count: g.outChannels)
    var biasMagnitudes = [Double](repeating: abs(start), count: g.outChannels)
    for (index, dy) in gradOutput.enumerated() {
      expectedBias[index / plane % g.outChannels] += Double(dy)
      biasMagnitudes[index / plane % g.outChannels] += Double(abs(dy))
    }
    let inputError = gradInput.map {
      maxRoundingError(
        $0, expected.input, magnitudes: magnitudes.input,
        terms: g.outChannels / g.groups * g.kernelHeight * g.kernelWidth)
    }
    let weightError = gradWeight.map {
      maxRoundingError(
        $0, expected.weight.map { $0 + start }, magnitudes: magnitudes.weight.map { $0 + abs(start) },
        terms: g.batch * plane)
    }
    let biasError = gradBias.map {
      maxRoundingError($0, expectedBias, magnitudes: biasMagnitudes, terms: g.batch * plane)
    }
    return (inputError ?? 0, weightError ?? 0, biasError ?? 0)
  }

  @Test(arguments: winogradCases)
  func backwardMatchesTheChainRule(_ c: ConvCase) {
    let g = c.geometry
    var generator = RandomGenerator(seed: 32)
    let (input, weight, _) = convolutionData(c, &generator)
    let gradOutput = gradientWeights(g.outputCount, &generator)
    for target in Self.tileTargets {
      // NaN in the input gradient must be overwritten; the parameter gradients start at 1 and must
      // have the batch's gradient added.
      var gradInput = [Float](repeating: .nan, count: g.inputCount)
      var gradWeight = [Float](repeating: 1, count: g.weightCount)
      var gradBias = [Float](repeating: 1, count: g.outChannels)
      var scratch = [Float](repeating: .nan, count: WinogradConv2D.scratchCount(g, targetTiles: target))
      WinogradConv2D.backward(
        g, input: input, weight: weight, gradOutput: gradOutput, gradInput: &gradInput,
        gradWeight: &gradWeight, gradBias: &gradBias, scratch: &scratch, targetTiles: target)
      let errors = Self.gradientErrors(
        g, input: input, weight: weight, gradOutput: gradOutput, gradInput: gradInput,
        gradWeight: gradWeight, gradBias: gradBias, startingAt: 1)
      #expect(
        errors.input < Self.roundingSlack, "\(c.name), \(target) tiles: gradInput error \(errors.input)")
      #expect(
        errors.weight < Self.roundingSlack, "\(c.name), \(target) tiles: gradWeight error \(errors.weight)")
      #expect(errors.bias < Self.roundingSlack, "\(c.name), \(target) tiles: gradBias error \(errors.bias)")
    }
  }

  @Test func skippedGradientsAreLeftAlone() {
    let c = winogradCases[4]
    let g = c.geometry
    var generator = RandomGenerator(seed: 33)
    let (input, weight, _) = convolutionData(c, &generator)
    let gradOutput = gradientWeights(g.outputCount, &generator)
    var scratch = [Float](repeating: .nan, count: WinogradConv2D.scratchCount(g))
    var gradInput = [Float](repeating: .nan, count: g.inputCount)
    WinogradConv2D.backward(
      g, input: input, weight: weight, gradOutput: gradOutput, gradInput: &gradInput, gradWeight: nil,
      gradBias: nil, scratch: &scratch)
    let inputError = Self.gradientErrors(
      g, input: input, weight: weight, gradOutput: gradOutput, gradInput: gradInput, gradWeight: nil
    ).input
    #expect(inputError < Self.roundingSlack, "gradInput error \(inputError)")
    var gradWeight = [Float](repeating: 0, count: g.weightCount)
    WinogradConv2D.backward(
      g, input: input, weight: weight, gradOutput: gradOutput, gradInput: nil, gradWeight: &gradWeight,
      gradBias: nil, scratch: &scratch)
    let weightError = Self.gradientErrors(
      g, input: input, weight: weight, gradOutput: gradOutput, gradInput: nil, gradWeight: gradWeight
    ).weight
    #expect(weightError < Self.roundingSlack, "gradWeight error \(weightError)")
  }

  @Test func backwardUsesTheWeightsForwardKept() {
    let c = winogradDispatchCase
    let g = c.geometry
    #expect(WinogradConv2D.applies(to: g))
    var generator = RandomGenerator(seed: 35)
    let (input, weight, bias) = convolutionData(c, &generator)
    let gradOutput = gradientWeights(g.outputCount, &generator)
    var scratch = [Float](repeating: .nan, count: Conv2D.scratchCount(g))
    var kept = [Float](repeating: .nan, count: Conv2D.keptWeightCount(g))
    var output = [Float](repeating: .nan, count: g.outputCount)
    Conv2D.forward(
      g, input: input, weight: weight, bias: bias, output: &output, scratch: &scratch, keptWeight: &kept)
    // Backward must read the kept transform, not the weights passed to it: zeros here.
    var gradInput = [Float](repeating: .nan, count: g.inputCount)
    Conv2D.backward(
      g, input: input, weight: [Float](repeating: 0, count: g.weightCount), gradOutput: gradOutput,
      gradInput: &gradInput, gradWeight: nil, gradBias: nil, scratch: &scratch, keptWeight: kept)
    let expected = referenceConvolutionGradients(
      g, input: doubles(input), weight: doubles(weight), gradOutput: doubles(gradOutput))
    #expect(maxRelativeError(gradInput, expected.input) < 5e-5)
  }

  @Test func fusedActivationFollowsTheBias() {
    let c = winogradDispatchCase
    let g = c.geometry
    #expect(WinogradConv2D.applies(to: g))
    var generator = RandomGenerator(seed: 34)
    let (input, weight, bias) = convolutionData(c, &generator)
    var output = [Float](repeating: .nan, count: g.outputCount)
    var scratch = [Float](repeating: .nan, count: Conv2D.scratchCount(g))
    Conv2D.forward(
      g, input: input, weight: weight, bias: bias, output: &output, scratch: &scratch, activation: .relu)
    let expected = referenceConvolution(
      g, input: doubles(input), weight: doubles(weight), bias: bias.map(doubles)
    ).map { max($0, 0) }
    #expect(maxRelativeError(output, expected) < 5e-5)
  }

  @Test func onlyUnitStrideUngroupedThreeByThreeKernelsQualify() {
    let same = winogradDispatchCase.geometry
    #expect(WinogradConv2D.fits(same) && WinogradConv2D.applies(to: same))
    var strided = same
    strided.strideH = 2
    var dilated = same
    dilated.dilationW = 2
    var grouped = same
    grouped.groups = 2
    var wide = same
    wide.kernelWidth = 5
    for other in [strided, dilated, grouped, wide] { #expect(!WinogradConv2D.fits(other)) }
    // Few channels: the kernel fits, but im2col is faster.
    var rgb = same
    rgb.inChannels = 3
    #expect(WinogradConv2D.fits(rgb) && !WinogradConv2D.applies(to: rgb))
  }

  @Test func profilesNameTheAlgorithm() {
    #expect(Conv2D.algorithm(for: winogradDispatchCase.geometry).description == "winograd")
    #expect(Conv2D.algorithm(for: convCases[0].geometry).description == "im2col")  // 3 input channels
    #expect(Conv2D.algorithm(for: convCases[3].geometry).description == "pointwise")
    #expect(Conv2D.algorithm(for: convCases[6].geometry).description == "cropped to 1x1")
  }

  @Test func narrowRowsVectorizeOverTheSamples() {
    #expect(!WinogradConv2D.Tiling(winogradCases[0].geometry, targetTiles: 256).lanesOverBatch)
    #expect(!WinogradConv2D.Tiling(winogradCases[1].geometry, targetTiles: 256).lanesOverBatch)
    #expect(WinogradConv2D.Tiling(winogradCases[2].geometry, targetTiles: 256).lanesOverBatch)
    // Rows of 16 to 31 tiles: over the samples while 8 of them fit the budget.
    func map(_ side: Int, channels: Int) -> Conv2DGeometry {
      Conv2DGeometry(
        batch: 64, inChannels: channels, inHeight: side, inWidth: side, outChannels: channels,
        kernelHeight: 3, kernelWidth: 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
    }
    let cifar = WinogradConv2D.Tiling(map(32, channels: 64), targetTiles: 256)
    #expect(cifar.lanesOverBatch && cifar.samplesPerChunk == 8)
    #expect(!WinogradConv2D.Tiling(map(56, channels: 64), targetTiles: 256).lanesOverBatch)
    // Narrow rows always vectorize over the samples.
    #expect(WinogradConv2D.Tiling(map(14, channels: 2048), targetTiles: 256).lanesOverBatch)
  }

  @Test func chunksStayWithinTheBudget() {
    // 784 tiles per sample: the target asks for two samples per chunk, the budget allows one.
    let g = Conv2DGeometry(
      batch: 8, inChannels: 256, inHeight: 56, inWidth: 56, outChannels: 256, kernelHeight: 3,
      kernelWidth: 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
    let tiling = WinogradConv2D.Tiling(g, targetTiles: WinogradConv2D.targetTiles)
    #expect(tiling.tilesPerSample == 28 * 28)
    #expect(tiling.samplesPerChunk == 1)
    let transformed = WinogradConv2D.positions * 512 * tiling.samplesPerChunk * tiling.tilesPerSample
    #expect(transformed <= WinogradConv2D.chunkBudget)
  }
}
