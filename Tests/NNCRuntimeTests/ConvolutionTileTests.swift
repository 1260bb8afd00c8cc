import NNCRandom
import Testing

@testable import NNCRuntime

/// Shapes that `Conv2D.forward` runs in tiles of several samples (`samplesPerTile`), each batch
/// ending in a partial tile.
let tiledConvCases: [ConvCase] = [
  ConvCase(
    name: "pointwise on a 16x16 map, groups 2, batch 9 (a sample per tile, no copies)",
    geometry: Conv2DGeometry(
      batch: 9, inChannels: 6, inHeight: 16, inWidth: 16, outChannels: 4, kernelHeight: 1, kernelWidth: 1,
      groups: 2),
    hasBias: true),
  ConvCase(
    name: "pointwise 20 -> 30 on a 17x17 map, batch 8 (a sample per tile, the direct kernel)",
    geometry: Conv2DGeometry(
      batch: 8, inChannels: 20, inHeight: 17, inWidth: 17, outChannels: 30, kernelHeight: 1, kernelWidth: 1),
    hasBias: true),
  ConvCase(
    name: "pointwise 40 -> 200 on a 2x2 map, batch 6 (weight-bound: the whole batch in one tile)",
    geometry: Conv2DGeometry(
      batch: 6, inChannels: 40, inHeight: 2, inWidth: 2, outChannels: 200, kernelHeight: 1, kernelWidth: 1),
    hasBias: true),
  ConvCase(
    name: "pointwise 48 -> 20 on a 4x4 map, batch 5 (the direct kernel a sample per tile)",
    geometry: Conv2DGeometry(
      batch: 5, inChannels: 48, inHeight: 4, inWidth: 4, outChannels: 20, kernelHeight: 1, kernelWidth: 1),
    hasBias: true),
  ConvCase(
    name: "pointwise on a 4x4 map, batch 7",
    geometry: Conv2DGeometry(
      batch: 7, inChannels: 8, inHeight: 4, inWidth: 4, outChannels: 12, kernelHeight: 1, kernelWidth: 1),
    hasBias: true),
  ConvCase(
    name: "pointwise on a 2x2 map, batch 33 (4-float planes: the 4-lane copies and epilogue)",
    geometry: Conv2DGeometry(
      batch: 33, inChannels: 16, inHeight: 2, inWidth: 2, outChannels: 24, kernelHeight: 1, kernelWidth: 1),
    hasBias: true),
  ConvCase(
    name: "pointwise on a 3x3 map, groups 2, batch 13 (9-float planes: 8 lanes and a scalar tail)",
    geometry: Conv2DGeometry(
      batch: 13, inChannels: 10, inHeight: 3, inWidth: 3, outChannels: 6, kernelHeight: 1, kernelWidth: 1,
      groups: 2),
    hasBias: false),
  ConvCase(
    name: "LeNet-5's second convolution, batch 9",
    geometry: Conv2DGeometry(
      batch: 9, inChannels: 6, inHeight: 14, inWidth: 14, outChannels: 16, kernelHeight: 5, kernelWidth: 5),
    hasBias: true),
  ConvCase(
    name: "3x3 stride 2, asymmetric padding, groups 2 on an 8x8 map, batch 10",
    geometry: Conv2DGeometry(
      batch: 10, inChannels: 4, inHeight: 8, inWidth: 8, outChannels: 6, kernelHeight: 3, kernelWidth: 3,
      strideH: 2, strideW: 2, padTop: 1, padBottom: 0, padLeft: 0, padRight: 1, groups: 2),
    hasBias: false),
  ConvCase(
    name: "3x3 same on a 6x6 map, batch 5",
    geometry: Conv2DGeometry(
      batch: 5, inChannels: 3, inHeight: 6, inWidth: 6, outChannels: 5, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: true),
]

@Suite struct ConvolutionTileTests {
  @Test(arguments: tiledConvCases)
  func casesRunInTilesOfSeveralSamplesWithAPartialLastTile(_ c: ConvCase) throws {
    let samples = try #require(Conv2D.samplesPerTile(c.geometry), "\(c.name) does not run in tiles")
    if c.geometry.isPointwise && samples == 1 {
      #expect(Conv2D.tileSlotCount(c.geometry, samplesPerTile: 1) == 0)
    } else if Conv2D.isWeightBound(c.geometry) {
      #expect(samples == c.geometry.batch, "\(c.name): \(samples) samples per tile")
    } else {
      #expect(samples >= 2 && c.geometry.batch % samples != 0, "\(c.name): \(samples) samples per tile")
    }
  }

  /// The executor plans scratch for its largest batch: that count must cover every smaller batch,
  /// whichever path (tiles of some size, or whole-batch chunks) the smaller batch takes.
  @Test(arguments: tiledConvCases)
  func scratchForTheLargestBatchCoversSmallerOnes(_ c: ConvCase) {
    let planned = Conv2D.scratchCount(c.geometry)
    for batch in 1...c.geometry.batch {
      var g = c.geometry
      g.batch = batch
      let slot = Conv2D.samplesPerTile(g).map {
        (Conv2D.isWeightBound(g) ? 1 : Conv2D.tileSlots) * Conv2D.tileSlotCount(g, samplesPerTile: $0)
      }
      #expect(Conv2D.scratchCount(g) <= planned && (slot ?? 0) <= planned, "\(c.name) at batch \(batch)")
    }
  }

  /// output = relu6(conv · scale + bias), the inference form of convolution + batchnorm + ReLU6,
  /// against the definition in Double.
  @Test(arguments: tiledConvCases)
  func forwardMatchesDirectLoops(_ c: ConvCase) throws {
    let g = c.geometry
    try g.validate()
    var generator = RandomGenerator(seed: 31)
    let (input, weight, bias) = convolutionData(c, &generator)
    let scale = randomValues(g.outChannels, &generator, scale: 8)
    var output = [Float](repeating: .nan, count: g.outputCount)
    var scratch = [Float](repeating: .nan, count: Conv2D.scratchCount(g))
    Conv2D.forward(
      g, input: input, weight: weight, bias: bias, output: &output, scratch: &scratch, activation: .relu6,
      channelScale: scale)
    let plane = g.outHeight * g.outWidth
    let expected = referenceConvolution(g, input: doubles(input), weight: doubles(weight), bias: nil)
      .enumerated().map { index, value in
        let channel = index / plane % g.outChannels
        return min(max(value * Double(scale[channel]) + Double(bias?[channel] ?? 0), 0), 6)
      }
    #expect(expected.contains { $0 > 0 && $0 < 6 } && expected.contains(0) && expected.contains(6))
    // The scale (up to 8) magnifies the products' rounding: errors relative to at least 1.
    let error = maxRelativeError(output, expected, floor: 1)
    #expect(error < 1e-4, "\(c.name): forward max relative error \(error)")
  }

  /// The tiles are fixed by the geometry: 1, 2 and 3 threads give the same bits, and so does the
  /// dispatch through `Conv2D.forward`.
  @Test(arguments: tiledConvCases)
  func resultsDoNotDependOnTheThreadCount(_ c: ConvCase) throws {
    let g = c.geometry
    let samples = try #require(Conv2D.samplesPerTile(g))
    var generator = RandomGenerator(seed: 32)
    let (input, weight, bias) = convolutionData(c, &generator)
    var results: [[Float]] = []
    for threads in 1...3 {
      var output = [Float](repeating: .nan, count: g.outputCount)
      var scratch = [Float](repeating: .nan, count: Conv2D.scratchCount(g))
      Conv2D.tiledColumnsForward(
        g, samplesPerTile: samples, input: input, weight: weight, bias: bias, output: &output,
        scratch: &scratch, activation: .relu, channelScale: nil, threads: threads)
      results.append(output)
    }
    var dispatched = [Float](repeating: .nan, count: g.outputCount)
    var scratch = [Float](repeating: .nan, count: Conv2D.scratchCount(g))
    Conv2D.forward(
      g, input: input, weight: weight, bias: bias, output: &dispatched, scratch: &scratch, activation: .relu)
    #expect(results[0].allSatisfy { !$0.isNaN })
    #expect(results[0] == results[1] && results[0] == results[2], "\(c.name): thread counts differ")
    #expect(results[0] == dispatched, "\(c.name): Conv2D.forward did not take the tiles")
  }

  @Test func smallBatchesAndWideMapsKeepTheWholeBatchPath() {
    // One sample; a 3x3 convolution of 64 channels on a 32x32 map (its columns exceed the budget);
    // a 1x1 map, whose tiles would be narrower than `minimumTileColumns`.
    let oneSample = Conv2DGeometry(
      batch: 1, inChannels: 8, inHeight: 4, inWidth: 4, outChannels: 8, kernelHeight: 1, kernelWidth: 1)
    let wide = Conv2DGeometry(
      batch: 8, inChannels: 64, inHeight: 32, inWidth: 32, outChannels: 64, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
    let narrow = Conv2DGeometry(
      batch: 32, inChannels: 512, inHeight: 1, inWidth: 1, outChannels: 512, kernelHeight: 1, kernelWidth: 1)
    for g in [oneSample, wide, narrow] { #expect(Conv2D.samplesPerTile(g) == nil, "\(g)") }
  }

  /// The vectorized ReLU6 of the epilogue against `ActivationKind.relu6`, bit for bit: NaN, both
  /// zeros, the clamp points and infinities, in the 8-lane body, the 4-lane step and the scalar tail
  /// (23 floats: 8 + 8 + 4 + 3), and in a 4-float run alone.
  @Test(arguments: [23, 4])
  func epilogueReLU6MatchesTheActivationBitForBit(_ count: Int) {
    let special: [Float] = [.nan, -0.0, 0, 6, -6, 6.5, 5.999, .infinity, -.infinity, 1e-30, -1e-30]
    var generator = RandomGenerator(seed: 33)
    let input = Array((special + randomValues(12, &generator, scale: 10)).prefix(count))
    for (scale, bias) in [(nil, nil), (Float(1.5), Float(-0.25)), (nil, Float(2))] as [(Float?, Float?)] {
      var fused = [Float](repeating: .nan, count: input.count)
      convolutionEpilogue(input, &fused, count: input.count, scale: scale, bias: bias, activation: .relu6)
      let affine = input.map { scale == nil && bias == nil ? $0 : $0 * (scale ?? 1) + (bias ?? 0) }
      var separate = [Float](repeating: .nan, count: input.count)
      ActivationKind.relu6.forward(affine, &separate, count: input.count)
      #expect(fused.map(\.bitPattern) == separate.map(\.bitPattern), "scale \(String(describing: scale))")
    }
  }
}
