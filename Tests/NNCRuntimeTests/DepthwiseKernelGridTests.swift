import CKernels
import NNCRandom
import Testing

@testable import NNCRuntime

/// A depthwise geometry of the grid: batch 2, one input channel per group.
private func depthwise(
  _ channels: Int, _ height: Int, _ width: Int, multiplier: Int = 1, kernel: (Int, Int) = (3, 3),
  stride: Int = 1, dilation: Int = 1, padding: (top: Int, bottom: Int, left: Int, right: Int) = (1, 1, 1, 1)
) -> ConvCase {
  let geometry = Conv2DGeometry(
    batch: 2, inChannels: channels, inHeight: height, inWidth: width, outChannels: channels * multiplier,
    kernelHeight: kernel.0, kernelWidth: kernel.1, strideH: stride, strideW: stride, dilationH: dilation,
    dilationW: dilation, padTop: padding.top, padBottom: padding.bottom, padLeft: padding.left,
    padRight: padding.right, groups: channels)
  let name =
    "\(channels)x\(height)x\(width) k\(kernel.0)x\(kernel.1) s\(stride) d\(dilation) m\(multiplier) "
    + "pad \(padding.top),\(padding.bottom),\(padding.left),\(padding.right)"
  return ConvCase(name: name, geometry: geometry, hasBias: multiplier == 1)
}

/// Odd and even sizes, widths below, at and above the vector widths (4 and 8), 3x3 at stride 1 and 2
/// (the specialized paths), no, symmetric and asymmetric padding, dilation, other kernel sizes and
/// strides (the general path), padding wider than the kernel, and depth multipliers.
let depthwiseGrid: [ConvCase] = [
  depthwise(3, 1, 1),
  depthwise(2, 3, 3, padding: (0, 0, 0, 0)),
  depthwise(3, 4, 4),
  depthwise(2, 5, 7),
  depthwise(3, 9, 9),
  depthwise(2, 8, 16),
  depthwise(2, 13, 23),
  depthwise(2, 17, 31, padding: (0, 2, 2, 0)),
  depthwise(3, 7, 7, stride: 2),
  depthwise(2, 8, 8, stride: 2, padding: (0, 1, 0, 1)),
  depthwise(2, 16, 16, stride: 2),
  depthwise(2, 19, 35, stride: 2, padding: (1, 0, 2, 1)),
  depthwise(2, 11, 12, multiplier: 2, stride: 2),
  depthwise(2, 9, 13, dilation: 2, padding: (2, 2, 2, 2)),
  depthwise(2, 12, 17, stride: 2, dilation: 2, padding: (2, 1, 1, 2)),
  depthwise(2, 10, 21, kernel: (5, 5), padding: (2, 2, 2, 2)),
  depthwise(2, 9, 14, kernel: (1, 3), padding: (0, 0, 1, 1)),
  depthwise(3, 11, 19, multiplier: 3, kernel: (3, 2), stride: 3, padding: (1, 2, 0, 1)),
  depthwise(2, 6, 9, multiplier: 2, kernel: (2, 2), padding: (3, 3, 3, 3)),
  depthwise(2, 15, 20, kernel: (7, 7), stride: 1, padding: (3, 3, 3, 3)),
  // Output widths around the channel blocks' threshold (`DepthwiseConv2D.channelBlockMaximumWidth`,
  // 14): 11, 12 and 14 run in channel blocks (19 channels: two full blocks of 8 and one of 3), 15
  // plane by plane; at stride 2, 12, 13 and 14 in blocks, 15 plane by plane.
  depthwise(19, 6, 11),
  depthwise(19, 5, 12, padding: (0, 2, 1, 1)),
  depthwise(9, 7, 14),
  depthwise(9, 6, 15),
  depthwise(19, 23, 24, stride: 2),
  depthwise(19, 28, 27, stride: 2),
  depthwise(11, 30, 30, stride: 2, padding: (0, 1, 0, 1)),
  depthwise(11, 25, 26, stride: 2, padding: (0, 1, 0, 1)),
  depthwise(10, 9, 10, stride: 2, padding: (1, 0, 2, 0)),
  depthwise(3, 33, 47, stride: 2, padding: (0, 1, 1, 0)),
  // The flat kernels' vector phase split and merge of 4- and 8-wide maps at stride 2, with row
  // counts of the run (height x channels) that leave a tail: 2x4 maps (packed 1x2 outputs) and 6x8.
  depthwise(5, 2, 4, stride: 2),
  depthwise(3, 6, 8, stride: 2),
]

/// A sum computed in Double with, per element, Σ|term| and the number of terms: in any order, a
/// Float sum of n terms is within n·ε·Σ|term| of the exact one (each addition rounds by at most ε
/// times a partial sum, and each product by ε times itself), whatever order the kernel adds in.
private struct ReferenceSum {
  var value: [Double]
  var magnitude: [Double]
  var terms: [Int]

  init(_ start: [Double]) {
    value = start
    magnitude = start.map(abs)
    terms = start.map { _ in 1 }
  }

  mutating func add(_ index: Int, _ term: Double) {
    value[index] += term
    magnitude[index] += abs(term)
    terms[index] += 1
  }

  /// The worst element of `actual` against the bound, as a multiple of it (≤ 1 passes).
  func worstBoundRatio(_ actual: [Float]) -> Double {
    var worst: Double = 0
    for index in value.indices {
      let bound = Double(terms[index] + 1) * Double(Float.ulpOfOne) * magnitude[index] + .leastNormalMagnitude
      let ratio = abs(Double(actual[index]) - value[index]) / bound
      worst = max(worst, ratio.isNaN ? .infinity : ratio)
    }
    return worst
  }
}

/// Forward and both gradients of every grid shape against the reference loops, run by `isa`.
private func checkAgainstReferences(_ c: ConvCase, _ isa: DepthwiseInstructionSet) throws {
  let g = c.geometry
  try g.validate()
  #expect(g.isDepthwise && ConvolutionAlgorithm.choose(for: g) == .depthwise)
  var generator = RandomGenerator(seed: 31)
  let (input, weight, bias) = convolutionData(c, &generator)
  let gradOutput = doubles(gradientWeights(g.outputCount, &generator))
  // Gradients accumulate into the weight and bias gradients: start them away from zero.
  let startWeight = randomValues(g.weightCount, &generator)
  let startBias = randomValues(g.outChannels, &generator)
  let (x, w) = (doubles(input), doubles(weight))
  let plane = g.outHeight * g.outWidth
  var output = ReferenceSum(
    (0..<g.outputCount).map { index in bias.map { Double($0[index / plane % g.outChannels]) } ?? 0 })
  var gradInput = ReferenceSum([Double](repeating: 0, count: g.inputCount))
  var gradWeight = ReferenceSum(doubles(startWeight))
  var gradBias = ReferenceSum(doubles(startBias))
  forEachConvolutionTerm(g) { y, k, i in
    output.add(y, w[k] * x[i])
    gradInput.add(i, gradOutput[y] * w[k])
    gradWeight.add(k, gradOutput[y] * x[i])
  }
  for (index, dy) in gradOutput.enumerated() { gradBias.add(index / plane % g.outChannels, dy) }

  var actualOutput = [Float](repeating: .nan, count: g.outputCount)
  DepthwiseConv2D.forward(
    g, input: input, weight: weight, bias: bias, output: &actualOutput, instructionSet: isa)
  var actualInput = [Float](repeating: .nan, count: g.inputCount)
  var actualWeight = startWeight
  var actualBias = startBias
  DepthwiseConv2D.backward(
    g, input: input, weight: weight, gradOutput: gradOutput.map(Float.init), gradInput: &actualInput,
    gradWeight: &actualWeight, gradBias: &actualBias, instructionSet: isa)
  for (what, reference, actual) in [
    ("forward", output, actualOutput), ("gradInput", gradInput, actualInput),
    ("gradWeight", gradWeight, actualWeight), ("gradBias", gradBias, actualBias),
  ] {
    let ratio = reference.worstBoundRatio(actual)
    #expect(ratio <= 1, "\(c.name) [\(isa)]: \(what) off by \(ratio) times the rounding bound")
  }
}

/// Finite differences of the reference loop against the kernel's gradients, run by `isa`.
private func checkFiniteDifferences(_ c: ConvCase, _ isa: DepthwiseInstructionSet) {
  let g = c.geometry
  var generator = RandomGenerator(seed: 32)
  let (input, weight, bias) = convolutionData(c, &generator)
  let gradOutput = gradientWeights(g.outputCount, &generator)
  var gradInput = [Float](repeating: .nan, count: g.inputCount)
  var gradWeight = [Float](repeating: 0, count: g.weightCount)
  var gradBias = [Float](repeating: 0, count: g.outChannels)
  DepthwiseConv2D.backward(
    g, input: input, weight: weight, gradOutput: gradOutput, gradInput: &gradInput, gradWeight: &gradWeight,
    gradBias: &gradBias, instructionSet: isa)
  checkConvolutionGradients(
    c, input: input, weight: weight, bias: bias, gradOutput: gradOutput, gradInput: gradInput,
    gradWeight: gradWeight, gradBias: gradBias, &generator)
}

@Suite struct DepthwiseKernelGridTests {
  @Test(arguments: depthwiseGrid)
  func portableMatchesReferenceLoops(_ c: ConvCase) throws {
    try checkAgainstReferences(c, .portable)
  }

  @Test(
    .enabled(if: DepthwiseInstructionSet.avx2.isAvailable, "this CPU has no AVX2 and FMA"),
    arguments: depthwiseGrid)
  func avx2MatchesReferenceLoops(_ c: ConvCase) throws {
    try checkAgainstReferences(c, .avx2)
  }

  @Test(
    .enabled(if: DepthwiseInstructionSet.avx512.isAvailable, "this CPU has no AVX-512 (F, VL, BW, DQ)"),
    arguments: depthwiseGrid)
  func avx512MatchesReferenceLoops(_ c: ConvCase) throws {
    try checkAgainstReferences(c, .avx512)
  }

  /// The channel-block shapes of `DepthwiseChannelBlockTests`, whose backward pass gathers per block.
  @Test(arguments: channelBlockCases)
  func channelBlockGradientsMatchReferenceLoops(_ c: ConvCase) throws {
    for isa in DepthwiseInstructionSet.allCases where isa.isAvailable {
      try checkAgainstReferences(c, isa)
    }
  }

  @Test(arguments: depthwiseGrid.filter { $0.geometry.inputCount <= 800 })
  func portableGradientsMatchFiniteDifferences(_ c: ConvCase) {
    checkFiniteDifferences(c, .portable)
  }

  @Test(
    .enabled(if: DepthwiseInstructionSet.avx2.isAvailable, "this CPU has no AVX2 and FMA"),
    arguments: depthwiseGrid.filter { $0.geometry.inputCount <= 800 })
  func avx2GradientsMatchFiniteDifferences(_ c: ConvCase) {
    checkFiniteDifferences(c, .avx2)
  }

  @Test(
    .enabled(if: DepthwiseInstructionSet.avx512.isAvailable, "this CPU has no AVX-512 (F, VL, BW, DQ)"),
    arguments: depthwiseGrid.filter { $0.geometry.inputCount <= 800 })
  func avx512GradientsMatchFiniteDifferences(_ c: ConvCase) {
    checkFiniteDifferences(c, .avx512)
  }

  /// Finite differences on shapes of the channel-block backward pass (stride 1 and 2, partial
  /// blocks), each instruction set this CPU has.
  @Test(
    arguments: depthwiseGrid.filter {
      DepthwiseConv2D.runsChannelBlocks($0.geometry) && $0.geometry.inChannels > 8
    })
  func channelBlockGradientsMatchFiniteDifferences(_ c: ConvCase) {
    for isa in DepthwiseInstructionSet.allCases where isa.isAvailable {
      checkFiniteDifferences(c, isa)
    }
  }

  /// The parallel channel-block backward pass against the same blocks computed one after another on
  /// this thread (`nnc_depthwise_*_channels`): equal bits, so the split across threads cannot change
  /// a result. Large enough for the parallel path: 44 channels (5 full blocks and one of 4) of 8x8
  /// outputs, from 10x10 without padding (stride 1) or 15x15 (stride 2), batch 4: maps the flat
  /// kernels do not run.
  @Test(arguments: [1, 2])
  func parallelChannelBlocksEqualSerialBlocks(convolutionStride: Int) {
    let (size, pad) = convolutionStride == 1 ? (10, 0) : (15, 1)
    let g = Conv2DGeometry(
      batch: 4, inChannels: 44, inHeight: size, inWidth: size, outChannels: 44, kernelHeight: 3,
      kernelWidth: 3,
      strideH: convolutionStride, strideW: convolutionStride, padTop: pad, padBottom: pad, padLeft: pad,
      padRight: pad, groups: 44)
    #expect(g.outWidth == 8 && DepthwiseConv2D.runsChannelBlocks(g) && !DepthwiseConv2D.runsFlat(g))
    var generator = RandomGenerator(seed: 34)
    let x = randomValues(g.inputCount, &generator)
    let w = randomValues(g.weightCount, &generator)
    let dy = gradientWeights(g.outputCount, &generator)
    var dx = [Float](repeating: .nan, count: g.inputCount)
    var dw = [Float](repeating: 0, count: g.weightCount)
    DepthwiseConv2D.backward(
      g, input: x, weight: w, gradOutput: dy, gradInput: &dx, gradWeight: &dw, gradBias: nil)

    let isa = DepthwiseInstructionSet.best.code
    var shape = g.planeShape
    let (inPlane, outPlane) = (g.inHeight * g.inWidth, g.outHeight * g.outWidth)
    var serialDX = [Float](repeating: .nan, count: g.inputCount)
    var serialDW = [Float](repeating: 0, count: g.weightCount)
    for first in stride(from: 0, to: g.inChannels, by: 8) {
      let count = min(8, g.inChannels - first)
      let kernels = Array(w[(first * 9)...])
      for n in 0..<g.batch {
        let plane = n * g.inChannels + first
        serialDX.withUnsafeMutableBufferPointer {
          nnc_depthwise_input_gradient_channels(
            isa, &shape, Array(dy[(plane * outPlane)...]), kernels, Int32(count),
            $0.baseAddress! + plane * inPlane)
        }
      }
      // The whole batch of the block in one call, on this thread.
      var sums = [Float](repeating: 0, count: count * 9)
      nnc_depthwise_weight_gradient_channels(
        isa, &shape, Array(x[(first * inPlane)...]), Array(dy[(first * outPlane)...]), Int32(g.batch),
        g.inChannels * inPlane, g.outChannels * outPlane, Int32(count), &sums)
      for index in 0..<(count * 9) { serialDW[first * 9 + index] += sums[index] }
    }
    #expect(
      dx.map(\.bitPattern) == serialDX.map(\.bitPattern), "input gradient differs from the serial blocks")
    #expect(
      dw.map(\.bitPattern) == serialDW.map(\.bitPattern), "weight gradient differs from the serial blocks")
  }

  /// The parallel kernels against the same planes computed one after another on this thread: equal
  /// bits, so the split across threads cannot change a result. The shape is large enough for the
  /// parallel path (3x3, stride 1 and 2, 24 channels, batch 3), wide enough to run plane by plane
  /// (output rows of 32 and 17 pixels, above the channel blocks' 14) and not "same" (34x34 without
  /// padding, 33x33 at stride 2), which the flat kernels would take.
  @Test(arguments: [1, 2])
  func parallelPlanesEqualSerialPlanes(stride: Int) {
    let (size, pad) = stride == 1 ? (34, 0) : (33, 1)
    let g = Conv2DGeometry(
      batch: 3, inChannels: 24, inHeight: size, inWidth: size, outChannels: 24, kernelHeight: 3,
      kernelWidth: 3,
      strideH: stride, strideW: stride, padTop: pad, padBottom: pad, padLeft: pad, padRight: pad, groups: 24)
    #expect(!DepthwiseConv2D.runsChannelBlocks(g) && !DepthwiseConv2D.runsFlat(g))
    var generator = RandomGenerator(seed: 33)
    let x = randomValues(g.inputCount, &generator)
    let w = randomValues(g.weightCount, &generator)
    let dy = gradientWeights(g.outputCount, &generator)
    var y = [Float](repeating: .nan, count: g.outputCount)
    var dx = [Float](repeating: .nan, count: g.inputCount)
    var dw = [Float](repeating: 0, count: g.weightCount)
    DepthwiseConv2D.forward(g, input: x, weight: w, bias: nil, output: &y)
    DepthwiseConv2D.backward(
      g, input: x, weight: w, gradOutput: dy, gradInput: &dx, gradWeight: &dw, gradBias: nil)

    let isa = DepthwiseInstructionSet.best.code
    var shape = g.planeShape
    let (inPlane, outPlane) = (g.inHeight * g.inWidth, g.outHeight * g.outWidth)
    var serialY = [Float](repeating: .nan, count: g.outputCount)
    var serialDX = [Float](repeating: .nan, count: g.inputCount)
    var serialDW = [Float](repeating: 0, count: g.weightCount)
    var sums = [Float](repeating: 0, count: 9)
    for plane in 0..<(g.batch * g.inChannels) {
      let channel = plane % g.inChannels
      let (xp, dyp) = (Array(x[(plane * inPlane)...]), Array(dy[(plane * outPlane)...]))
      let kernel = Array(w[(channel * 9)..<(channel * 9 + 9)])
      serialY.withUnsafeMutableBufferPointer {
        nnc_depthwise_forward_plane(isa, &shape, xp, kernel, 0, 0, $0.baseAddress! + plane * outPlane)
      }
      serialDX.withUnsafeMutableBufferPointer {
        nnc_depthwise_input_gradient_plane(isa, &shape, dyp, kernel, 0, $0.baseAddress! + plane * inPlane)
      }
    }
    for channel in 0..<g.inChannels {
      var total = [Float](repeating: 0, count: 9)
      for n in 0..<g.batch {
        let plane = n * g.inChannels + channel
        nnc_depthwise_weight_gradient_plane(
          isa, &shape, Array(x[(plane * inPlane)...]), Array(dy[(plane * outPlane)...]), &sums)
        for tap in 0..<9 { total[tap] += sums[tap] }
      }
      for tap in 0..<9 { serialDW[channel * 9 + tap] += total[tap] }
    }
    #expect(y == serialY, "forward differs from the serial planes")
    #expect(dx == serialDX, "input gradient differs from the serial planes")
    #expect(dw == serialDW, "weight gradient differs from the serial planes")
  }
}
