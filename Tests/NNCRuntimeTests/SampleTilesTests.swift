import NNCRandom
import Testing

@testable import NNCRuntime

/// Pointwise convolutions on 14x14 maps (ResNet-50's third stage), which inference plans run a
/// sample per tile (`ConvolutionAlgorithm.sampleTiles`) and training plans in whole-batch
/// chunks: 9 samples (a sample per tile), 3 (fewer than `pointwiseSampleTiles`: the chunks).
private let samplesCases: [ConvCase] = [
  ConvCase(
    name: "pointwise 72 -> 40 on 14x14, batch 9 (OpenBLAS, a sample per tile)",
    geometry: Conv2DGeometry(
      batch: 9, inChannels: 72, inHeight: 14, inWidth: 14, outChannels: 40, kernelHeight: 1, kernelWidth: 1),
    hasBias: true),
  ConvCase(
    name: "pointwise 24 -> 96 on 15x14, batch 8 (the direct kernel, a sample per tile)",
    geometry: Conv2DGeometry(
      batch: 8, inChannels: 24, inHeight: 15, inWidth: 14, outChannels: 96, kernelHeight: 1, kernelWidth: 1),
    hasBias: false),
  ConvCase(
    name: "pointwise 72 -> 40 on 14x14, batch 3 (the whole-batch chunks)",
    geometry: Conv2DGeometry(
      batch: 3, inChannels: 72, inHeight: 14, inWidth: 14, outChannels: 40, kernelHeight: 1, kernelWidth: 1),
    hasBias: true),
]

/// Strided convolutions (ResNet's projection shortcuts and 3x3/2 layers) to maps of 196 pixels and
/// more, which inference plans also run a sample per tile, each tile's columns the sample's im2col
/// matrix: 1x1 at stride 2 from an odd map and at unequal strides, a padded 3x3 at stride 2. More input channels than the patch product takes
/// (`directChannelsLastMaximumInputs`), which fewer would choose.
private let stridedCases: [ConvCase] = [
  ConvCase(
    name: "1x1/2 176 -> 40 from 29x27 to 15x14, batch 9",
    geometry: Conv2DGeometry(
      batch: 9, inChannels: 176, inHeight: 29, inWidth: 27, outChannels: 40, kernelHeight: 1, kernelWidth: 1,
      strideH: 2, strideW: 2),
    hasBias: true),
  ConvCase(
    name: "1x1 stride 3x2 168 -> 16 from 42x30 to 14x15, batch 8",
    geometry: Conv2DGeometry(
      batch: 8, inChannels: 168, inHeight: 42, inWidth: 30, outChannels: 16, kernelHeight: 1, kernelWidth: 1,
      strideH: 3, strideW: 2),
    hasBias: false),
  ConvCase(
    name: "3x3/2 padded 24 -> 16 from 29x28 to 15x14, batch 8 (im2col columns in the slot)",
    geometry: Conv2DGeometry(
      batch: 8, inChannels: 24, inHeight: 29, inWidth: 28, outChannels: 16, kernelHeight: 3, kernelWidth: 3,
      strideH: 2, strideW: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: true),
]

@Suite struct SampleTilesTests {
  /// Inference plans choose it for 14x14 maps and up; training plans, smaller maps and weight-bound
  /// convolutions keep `pointwise`.
  @Test func inferenceChoosesItOnMapsOf196PixelsAndUp() {
    for c in samplesCases {
      #expect(
        ConvolutionAlgorithm.choose(for: c.geometry, mode: .inference) == .sampleTiles, "\(c.name)")
      #expect(ConvolutionAlgorithm.choose(for: c.geometry, mode: .training) == .pointwise, "\(c.name)")
    }
    let small = Conv2DGeometry(
      batch: 8, inChannels: 72, inHeight: 13, inWidth: 15, outChannels: 40, kernelHeight: 1, kernelWidth: 1)
    #expect(ConvolutionAlgorithm.choose(for: small, mode: .inference) == .pointwise)
    let weightBound = Conv2DGeometry(
      batch: 8, inChannels: 4096, inHeight: 14, inWidth: 14, outChannels: 4096, kernelHeight: 1,
      kernelWidth: 1)
    #expect(Conv2D.isWeightBound(weightBound))
    #expect(ConvolutionAlgorithm.choose(for: weightBound, mode: .inference) == .pointwise)
    #expect(ConvolutionAlgorithm.sampleTiles.description == "by sample")
    for c in stridedCases {
      #expect(
        ConvolutionAlgorithm.choose(for: c.geometry, mode: .inference) == .sampleTiles, "\(c.name)")
      #expect(ConvolutionAlgorithm.choose(for: c.geometry, mode: .training) == .im2col, "\(c.name)")
      #expect(
        Conv2D.scratchCount(c.geometry, algorithm: .sampleTiles)
          >= Conv2D.tileSlots * c.geometry.columnRows * c.geometry.outHeight * c.geometry.outWidth)
    }
  }

  /// The definition's loops (in Double) within float rounding (`maxRoundingError`), with a folded
  /// batchnorm's scale; a shortcut gives the bits of the convolution followed by `Add.forward`.
  @Test(arguments: samplesCases + stridedCases)
  func forwardMatchesTheReferenceAndAddsTheShortcut(_ c: ConvCase) {
    let g = c.geometry
    var generator = RandomGenerator(seed: 91)
    let (input, weight, bias) = convolutionData(c, &generator)
    let scale = randomValues(g.outChannels, &generator, scale: 2)
    let shortcut = randomValues(g.outputCount, &generator)
    let algorithm = ConvolutionAlgorithm.sampleTiles
    var scratch = [Float](repeating: .nan, count: max(1, Conv2D.scratchCount(g, algorithm: algorithm)))
    var output = [Float](repeating: .nan, count: g.outputCount)
    Conv2D.forward(
      g, algorithm: algorithm, input: input, weight: weight, bias: nil, output: &output, scratch: &scratch,
      activation: .linear, channelScale: scale)
    let plane = g.outHeight * g.outWidth
    let channelScale = { (index: Int) in Double(scale[index / plane % g.outChannels]) }
    let reference = referenceConvolution(g, input: doubles(input), weight: doubles(weight), bias: nil)
      .enumerated().map { $0.element * channelScale($0.offset) }
    let magnitudes = referenceConvolution(
      g, input: doubles(input).map(abs), weight: doubles(weight).map(abs), bias: nil
    ).enumerated().map { $0.element * abs(channelScale($0.offset)) }
    // The products' sum and the scale's rounding, in units of the project's rounding tolerance
    // (0.10-0.36 of it on these cases under the SkylakeX, Zen and Haswell kernels). Two units stay
    // within the worst-case bound (terms · 2⁻²⁴ · Σ|w·x| · |s|) for every case here, 24 terms and up.
    let terms = g.columnRows / g.groups + 2
    let error = maxRoundingError(output, reference, magnitudes: magnitudes, terms: terms)
    #expect(error < 2, "\(c.name): \(error) rounding bounds")
    expectFusedShortcutGivesTheSeparateAdditionsBits(
      c, algorithm: algorithm, input: input, weight: weight, bias: bias, scale: scale, shortcut: shortcut)
  }

  /// A tile is a whole sample on one thread: 1, 2 and 3 threads give the same bits.
  @Test(arguments: (samplesCases + stridedCases).filter { $0.geometry.batch >= Conv2D.pointwiseSampleTiles })
  func resultsDoNotDependOnTheThreadCount(_ c: ConvCase) {
    let g = c.geometry
    var generator = RandomGenerator(seed: 92)
    let (input, weight, bias) = convolutionData(c, &generator)
    var results: [[Float]] = []
    for threads in 1...3 {
      var scratch = [Float](repeating: .nan, count: max(1, Conv2D.sampleTilesScratchCount(g)))
      var output = [Float](repeating: .nan, count: g.outputCount)
      Conv2D.tiledColumnsForward(
        g, samplesPerTile: 1, input: input, weight: weight, bias: bias, output: &output, scratch: &scratch,
        activation: .relu, channelScale: nil, threads: threads)
      results.append(output)
    }
    #expect(results[0].allSatisfy { $0.isFinite })
    #expect(results[0] == results[1] && results[0] == results[2], "\(c.name): thread counts differ")
  }
}
