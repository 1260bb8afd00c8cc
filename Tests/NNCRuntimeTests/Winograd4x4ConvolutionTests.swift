import NNCGraph
import NNCRandom
import Testing

@testable import NNCRuntime

/// Shapes that exercise the 4x4 tiling: maps not a multiple of 4 (edge tiles cut off), odd sizes, no
/// padding, asymmetric padding, a single output, batches of 1 and more whose tiles do not fill the
/// 8 lanes, and 3 to 264 channels (packed products from 256 x 256 weights a position, or 128 x 128 on
/// chunks of 256 columns).
let winograd4x4Cases: [ConvCase] = [
  ConvCase(
    name: "16 to 16 channels, 8x8 same, batch 1",
    geometry: Conv2DGeometry(
      batch: 1, inChannels: 16, inHeight: 8, inWidth: 8, outChannels: 16, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: true),
  ConvCase(
    name: "16 to 24 channels, 7x9 same, batch 3",
    geometry: Conv2DGeometry(
      batch: 3, inChannels: 16, inHeight: 7, inWidth: 9, outChannels: 24, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: false),
  ConvCase(
    name: "20 to 17 channels, 6x11 valid, batch 2",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 20, inHeight: 6, inWidth: 11, outChannels: 17, kernelHeight: 3, kernelWidth: 3),
    hasBias: true),
  ConvCase(
    name: "32 to 32 channels, 5x13 asymmetric padding, batch 2",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 32, inHeight: 5, inWidth: 13, outChannels: 32, kernelHeight: 3, kernelWidth: 3,
      padTop: 2, padBottom: 0, padLeft: 0, padRight: 1),
    hasBias: true),
  ConvCase(
    name: "128 to 64 channels, 7x7 same, batch 2",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 128, inHeight: 7, inWidth: 7, outChannels: 64, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: true),
  ConvCase(
    name: "24 to 128 channels, 17x18 same, batch 1",
    geometry: Conv2DGeometry(
      batch: 1, inChannels: 24, inHeight: 17, inWidth: 18, outChannels: 128, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: false),
  // Weights enough per position for packed products, the last block of filters part empty.
  ConvCase(
    name: "264 to 250 channels, 5x6 same, batch 2",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 264, inHeight: 5, inWidth: 6, outChannels: 250, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: true),
  // Fewer weights, but chunks of 256 columns: packed products too (`packedPositionsMinimumColumns`).
  ConvCase(
    name: "128 to 128 channels, 16x16 same, batch 16",
    geometry: Conv2DGeometry(
      batch: 16, inChannels: 128, inHeight: 16, inWidth: 16, outChannels: 128, kernelHeight: 3,
      kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: false),
  ConvCase(
    name: "3 to 2 channels, 3x3 valid (one output), batch 5",
    geometry: Conv2DGeometry(
      batch: 5, inChannels: 3, inHeight: 3, inWidth: 3, outChannels: 2, kernelHeight: 3, kernelWidth: 3),
    hasBias: true),
  ConvCase(
    name: "16 to 16 channels, 1x1 same (one output), batch 9",
    geometry: Conv2DGeometry(
      batch: 9, inChannels: 16, inHeight: 1, inWidth: 1, outChannels: 16, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
    hasBias: true),
]

/// A Winograd algorithm's matrices: Bᵀ (input), G (weights), Aᵀ (output).
struct WinogradMatrices {
  let inputT: [[Double]]
  let weight: [[Double]]
  let outputT: [[Double]]
  var outputSize: Int { outputT.count }
  var tileSize: Int { inputT.count }

  static let f4x4 = WinogradMatrices(
    inputT: [
      [4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0],
      [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1],
    ],
    weight: [
      [1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
      [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1],
    ],
    outputT: [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]])

  static let f2x2 = WinogradMatrices(
    inputT: [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
    weight: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
    outputT: [[1, 1, 1, 0], [0, 1, -1, -1]])

  /// |M| x |N| x |Mᵀ|-style sandwich of absolute values: Σ |left[i][p]| x[p][q] |right[k][q]|.
  static func absoluteSandwich(_ left: [[Double]], _ x: [[Double]], _ right: [[Double]]) -> [[Double]] {
    left.map { l in
      right.map { r in
        var sum = 0.0
        for p in l.indices { for q in r.indices { sum += abs(l[p]) * x[p][q] * abs(r[q]) } }
        return sum
      }
    }
  }

  /// The largest Σ over the expanded terms of one output per unit |weight| and |input|:
  /// max over outputs (a, b) of Σ_ξ |Aᵀ|[a][i] |Aᵀ|[b][k] (Σ|G| ⊗ Σ|G|)[ξ] (Σ|Bᵀ| ⊗ Σ|Bᵀ|)[ξ].
  /// An output's terms then sum to at most this times 9 · channels · max|w| · max|x|.
  var amplification: Double {
    let ones3 = [[Double]](repeating: [1, 1, 1], count: 3)
    let onesT = [[Double]](repeating: [Double](repeating: 1, count: tileSize), count: tileSize)
    let u = Self.absoluteSandwich(weight, ones3, weight)
    let v = Self.absoluteSandwich(inputT, onesT, inputT)
    let product = (0..<tileSize).map { i in (0..<tileSize).map { k in u[i][k] * v[i][k] } }
    let y = Self.absoluteSandwich(outputT, product, outputT)
    return y.flatMap { $0 }.max()! / 9
  }
}

/// γ_n = n u / (1 − n u), u the unit roundoff of Float: the relative error bound of n roundings.
func gamma(_ n: Int) -> Double {
  let u = Double(Float.ulpOfOne) / 2
  return Double(n) * u / (1 - Double(n) * u)
}

/// Roundings on the way from an input and a weight to an output, besides the sum over input
/// channels: two steps of each transform, every step at most five roundings (its constants 1/6,
/// 1/12, 1/24 and 5 included), and the scale and bias.
let winogradTransformRoundings = 32

@Suite struct Winograd4x4ConvolutionTests {
  /// One tile wide puts every sample in its own chunk, 5 tiles several samples in each (with a
  /// shorter last chunk), the default all of them in one.
  static let tileTargets = [1, 5, WinogradConv2D.targetTiles]

  /// Σ of the absolute values of every term of each output's expansion through F(4x4, 3x3):
  /// Σ_c Aᵀ(|G||g_c||Gᵀ| ⊙ |Bᵀ||d_c||B|)A with absolute matrices, plus |bias|. Rounding error analysis
  /// bounds the kernel's error by γ_n times this, n the roundings along the longest path.
  static func errorScale(_ g: Conv2DGeometry, input: [Float], weight: [Float], bias: [Float]?) -> [Double] {
    let m = WinogradMatrices.f4x4
    let (tilesHigh, tilesWide) = ((g.outHeight + 3) / 4, (g.outWidth + 3) / 4)
    // |U| per filter and input channel.
    let transformedWeights = (0..<(g.outChannels * g.inChannels)).map { kernel in
      let taps = (0..<3).map { p in (0..<3).map { q in abs(Double(weight[kernel * 9 + 3 * p + q])) } }
      return WinogradMatrices.absoluteSandwich(m.weight, taps, m.weight)
    }
    var scale = [Double](repeating: 0, count: g.outputCount)
    for n in 0..<g.batch {
      for ty in 0..<tilesHigh {
        for tx in 0..<tilesWide {
          // |V| per input channel: the 6x6 patch, zeros outside the input.
          let transformedInputs = (0..<g.inChannels).map { c in
            let patch = (0..<6).map { r in
              (0..<6).map { s -> Double in
                let (y, x) = (4 * ty + r - g.padTop, 4 * tx + s - g.padLeft)
                guard y >= 0 && y < g.inHeight && x >= 0 && x < g.inWidth else { return 0 }
                return abs(Double(input[((n * g.inChannels + c) * g.inHeight + y) * g.inWidth + x]))
              }
            }
            return WinogradMatrices.absoluteSandwich(m.inputT, patch, m.inputT)
          }
          for oc in 0..<g.outChannels {
            var product = [[Double]](repeating: [Double](repeating: 0, count: 6), count: 6)
            for c in 0..<g.inChannels {
              let (u, v) = (transformedWeights[oc * g.inChannels + c], transformedInputs[c])
              for i in 0..<6 { for k in 0..<6 { product[i][k] += u[i][k] * v[i][k] } }
            }
            let y = WinogradMatrices.absoluteSandwich(m.outputT, product, m.outputT)
            for a in 0..<4 where 4 * ty + a < g.outHeight {
              for b in 0..<4 where 4 * tx + b < g.outWidth {
                let index = ((n * g.outChannels + oc) * g.outHeight + 4 * ty + a) * g.outWidth + 4 * tx + b
                scale[index] = y[a][b] + abs(Double(bias?[oc] ?? 0))
              }
            }
          }
        }
      }
    }
    return scale
  }

  @Test(arguments: winograd4x4Cases)
  func forwardMatchesTheDoubleLoopsWithinTheRoundingBound(_ c: ConvCase) throws {
    let g = c.geometry
    try g.validate()
    #expect(WinogradConv2D.fits(g))
    var generator = RandomGenerator(seed: 61)
    let (input, weight, bias) = convolutionData(c, &generator)
    let expected = referenceConvolution(
      g, input: doubles(input), weight: doubles(weight), bias: bias.map(doubles))
    let scale = Self.errorScale(g, input: input, weight: weight, bias: bias)
    let bound = gamma(g.inChannels + winogradTransformRoundings)
    for target in Self.tileTargets {
      var output = [Float](repeating: .nan, count: g.outputCount)
      var scratch = [Float](repeating: .nan, count: Winograd4x4Conv2D.scratchCount(g, targetTiles: target))
      Winograd4x4Conv2D.forward(
        g, input: input, weight: weight, bias: bias, output: &output, scratch: &scratch,
        activation: .linear, targetTiles: target)
      // The error in units of its bound: at most 1. The bound stays under 0.3 % of Σ |w||x| on these
      // cases (the errors themselves near 1.5e-6 of it), so a wrong term, off by about Σ |w||x| / √terms,
      // lands far above.
      let worst = zip(output, zip(expected, scale)).map { actual, reference in
        abs(Double(actual) - reference.0) / (bound * reference.1)
      }.max()!
      #expect(worst <= 1, "\(c.name), \(target) tiles: error \(worst) times the rounding bound")
      #expect(!worst.isNaN)
    }
  }

  /// Each product is one call in a fixed order, each transform writes disjoint outputs: 1, 2 and 3
  /// threads give the same bits, with an activation, a channel scale and the weights prepared apart.
  @Test func resultsDoNotDependOnTheThreadCount() {
    let g = Conv2DGeometry(
      batch: 3, inChannels: 32, inHeight: 14, inWidth: 15, outChannels: 48, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
    var generator = RandomGenerator(seed: 62)
    let (input, weight, bias) = convolutionData(ConvCase(name: "", geometry: g, hasBias: true), &generator)
    let channelScale = randomValues(g.outChannels, &generator)
    var results: [[Float]] = []
    for threads in 1...3 {
      var output = [Float](repeating: .nan, count: g.outputCount)
      var scratch = [Float](repeating: .nan, count: Winograd4x4Conv2D.scratchCount(g))
      var kept = [Float](repeating: .nan, count: Winograd4x4Conv2D.transformedWeightCount(g))
      Winograd4x4Conv2D.transformWeights(
        weight, outChannels: g.outChannels, inChannels: g.inChannels, into: &kept,
        packed: Winograd4x4Conv2D.packsPositions(g), threads: threads)
      Winograd4x4Conv2D.forward(
        g, input: input, weight: weight, bias: bias, output: &output, scratch: &scratch, activation: .relu,
        keptWeight: &kept, channelScale: channelScale, weightIsPrepared: true, threads: threads)
      results.append(output)
    }
    #expect(results[0].allSatisfy { !$0.isNaN })
    #expect(results[0] == results[1] && results[0] == results[2], "thread counts differ")
  }

  /// Packed products for many weights, or for fewer on wide chunks; OpenBLAS for the rest.
  @Test func packedProductsWhereWeightsOrColumnsAreMany() {
    func same(_ side: Int, channels: Int, batch: Int) -> Conv2DGeometry {
      Conv2DGeometry(
        batch: batch, inChannels: channels, inHeight: side, inWidth: side, outChannels: channels,
        kernelHeight: 3, kernelWidth: 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
    }
    #expect(Winograd4x4Conv2D.packsPositions(same(14, channels: 256, batch: 8)))
    #expect(Winograd4x4Conv2D.packsPositions(same(28, channels: 128, batch: 8)))
    #expect(Winograd4x4Conv2D.packsPositions(same(16, channels: 128, batch: 16)))
    #expect(!Winograd4x4Conv2D.packsPositions(same(56, channels: 64, batch: 8)))
    #expect(!Winograd4x4Conv2D.packsPositions(same(4, channels: 128, batch: 32)))
    #expect(!Winograd4x4Conv2D.packsPositions(same(8, channels: 64, batch: 32)))
  }

  /// Inference plans take F(4x4, 3x3) where training plans take F(2x2, 3x3), where it saves products;
  /// `Conv2D.forward` dispatches it and profiles name it.
  @Test func inferencePlansChooseItAndConv2DDispatchesIt() throws {
    var g = winogradDispatchCase.geometry
    (g.inHeight, g.inWidth) = (8, 8)
    #expect(ConvolutionAlgorithm.choose(for: g, mode: .training) == .winograd)
    #expect(ConvolutionAlgorithm.choose(for: g, mode: .inference) == .winograd4x4)
    #expect(ConvolutionAlgorithm.winograd4x4.description == "winograd 4x4")
    var rgb = g
    rgb.inChannels = 3
    // Too few channels for Winograd: im2col in training, the patch product in inference.
    #expect(ConvolutionAlgorithm.choose(for: rgb, mode: .training) == .im2col)
    #expect(ConvolutionAlgorithm.choose(for: rgb, mode: .inference) == .patchProduct)
    // Not where the 4x4 tiles are mostly cut off: more products than the 2x2 tiles'.
    for (side, expected) in [
      (1, false), (2, false), (3, true), (4, true), (5, false), (6, false), (7, true), (14, true),
    ] {
      var map = g
      (map.inHeight, map.inWidth) = (side, side)
      #expect(Winograd4x4Conv2D.savesProducts(map) == expected, "\(side)x\(side)")
      // (A 1x1 map reads only the centre tap: cropped to 1x1 in either mode.)
      if side > 1 {
        #expect(
          ConvolutionAlgorithm.choose(for: map, mode: .inference) == (expected ? .winograd4x4 : .winograd))
      }
    }
    // A 5x5 kernel over a 3x3 map padded by 1 reads only its central 3x3 taps, to a 1x1 output: the
    // crop's own geometry decides, and there F(2x2, 3x3) computes fewer products.
    let cropped = Conv2DGeometry(
      batch: 1, inChannels: 16, inHeight: 3, inWidth: 3, outChannels: 16, kernelHeight: 5, kernelWidth: 5,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
    let crop = try #require(cropped.liveTapCrop)
    #expect(ConvolutionAlgorithm.choose(for: cropped, mode: .training) == .cropped(crop, then: .winograd))
    #expect(ConvolutionAlgorithm.choose(for: cropped, mode: .inference) == .cropped(crop, then: .winograd))

    var generator = RandomGenerator(seed: 63)
    let (input, weight, bias) = convolutionData(ConvCase(name: "8x8", geometry: g, hasBias: true), &generator)
    var direct = [Float](repeating: .nan, count: g.outputCount)
    var dispatched = [Float](repeating: .nan, count: g.outputCount)
    var scratch = [Float](repeating: .nan, count: Conv2D.scratchCount(g, algorithm: .winograd4x4))
    #expect(Conv2D.keptWeightCount(g, algorithm: .winograd4x4) == Winograd4x4Conv2D.transformedWeightCount(g))
    Winograd4x4Conv2D.forward(
      g, input: input, weight: weight, bias: bias, output: &direct, scratch: &scratch, activation: .relu6)
    Conv2D.forward(
      g, algorithm: .winograd4x4, input: input, weight: weight, bias: bias, output: &dispatched,
      scratch: &scratch, activation: .relu6)
    #expect(direct == dispatched)
  }

  /// An inference executor (F(4x4, 3x3), weights cached or not) and a training executor's forward
  /// (F(2x2, 3x3)) agree within both algorithms' rounding bounds: γ_n times each one's largest
  /// expansion (`WinogradMatrices.amplification`) over 9 · channels · max|w| · max|x|.
  @Test func inferenceExecutorMatchesTheTrainingForward() throws {
    let model = try graph(
      """
      model:
        input: [24, 9, 11]
        layers:
          - conv2d: {filters: 20, kernel: 3, padding: same}
          - flatten
      """)
    let batch = 3
    let inference = Executor(
      graph: model, maxBatch: batch,
      configuration: ExecutionConfiguration(mode: .inference, cachesPreparedWeights: true))
    let uncached = Executor(graph: model, maxBatch: batch, configuration: .inference)
    let training = Executor(graph: model, maxBatch: batch, configuration: .training)
    let algorithms = [inference, training].map { executor in
      executor.plan.steps.compactMap { $0.convolution?.algorithm }
    }
    #expect(algorithms == [[.winograd4x4], [.winograd]])
    OptimizationEquivalenceTests.prepare([inference, uncached, training], batch: batch, seed: 64)
    inference.forward(batch: batch, training: false)
    uncached.forward(batch: batch, training: false)
    training.forward(batch: batch, training: true)
    let outputs = [inference, uncached, training].map {
      OptimizationEquivalenceTests.output($0, batch: batch)
    }
    #expect(outputs[0] == outputs[1], "caching the transformed weights changed the outputs")
    let largestWeight = inference.parameterLayout.filter { $0.info.role == .weight }.flatMap {
      Array(inference.parameter($0))
    }.map(abs).max()!
    let largestInput = (0..<(batch * inference.inputSampleCount)).map { abs(inference.input[$0]) }.max()!
    let terms = 9 * 24 * Double(largestWeight) * Double(largestInput)
    let roundings = 24 + winogradTransformRoundings
    let tolerance =
      gamma(roundings) * terms
      * (WinogradMatrices.f4x4.amplification + WinogradMatrices.f2x2.amplification)
    let worst = zip(outputs[0], outputs[2]).map { abs(Double($0) - Double($1)) }.max()!
    #expect(worst <= tolerance, "inference and training forward differ by \(worst) > \(tolerance)")
    #expect(worst > 0, "F(4x4, 3x3) and F(2x2, 3x3) round differently; equal outputs mean one ran both")
  }
}
