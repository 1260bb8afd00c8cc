import NNCRandom
import Testing

@testable import NNCRuntime

/// A depthwise kernel configuration (multiplier 1) of `DepthwiseConv2D.forwardChannelsLast`, run on
/// square maps of several sizes and channel counts.
struct ChannelsLastKernel: Sendable, CustomTestStringConvertible {
  let name: String
  let kernel: Int
  let stride: Int
  let dilation: Int
  /// Top, bottom, left, right.
  let padding: [Int]

  var testDescription: String { name }

  func geometry(channels: Int, size: Int, batch: Int = 2) -> Conv2DGeometry {
    Conv2DGeometry(
      batch: batch, inChannels: channels, inHeight: size, inWidth: size, outChannels: channels,
      kernelHeight: kernel, kernelWidth: kernel, strideH: stride, strideW: stride, dilationH: dilation,
      dilationW: dilation, padTop: padding[0], padBottom: padding[1], padLeft: padding[2],
      padRight: padding[3],
      groups: channels)
  }
}

/// MobileNetV2's 3x3 at stride 1 and 2 (the specialized paths), 'same' padding of even maps at stride 2
/// (all of it bottom and right), padding on two sides only, and the generic path: 5x5 and dilation 2.
let channelsLastKernels: [ChannelsLastKernel] = [
  ChannelsLastKernel(name: "3x3 s1 pad 1", kernel: 3, stride: 1, dilation: 1, padding: [1, 1, 1, 1]),
  ChannelsLastKernel(name: "3x3 s2 pad 1", kernel: 3, stride: 2, dilation: 1, padding: [1, 1, 1, 1]),
  ChannelsLastKernel(name: "3x3 s2 pad 0,1,0,1", kernel: 3, stride: 2, dilation: 1, padding: [0, 1, 0, 1]),
  ChannelsLastKernel(name: "3x3 s1 pad 2,0,0,2", kernel: 3, stride: 1, dilation: 1, padding: [2, 0, 0, 2]),
  ChannelsLastKernel(name: "5x5 s1 pad 2", kernel: 5, stride: 1, dilation: 1, padding: [2, 2, 2, 2]),
  ChannelsLastKernel(name: "3x3 s1 d2 pad 2", kernel: 3, stride: 1, dilation: 2, padding: [2, 2, 2, 2]),
]

/// Every kernel on maps of 1x1, 2x2, 4x4, 7x7 and 14x14, except where the kernel does not fit the
/// padded map (3x3 at stride 2 padded only bottom and right on 1x1).
let channelsLastCases: [ChannelsLastCase] = channelsLastKernels.flatMap { kernel in
  [1, 2, 4, 7, 14].map { ChannelsLastCase(kernel: kernel, size: $0) }
    .filter { (try? $0.kernel.geometry(channels: 1, size: $0.size).validate()) != nil }
}

struct ChannelsLastCase: Sendable, CustomTestStringConvertible {
  let kernel: ChannelsLastKernel
  let size: Int
  var testDescription: String { "\(kernel.name) on \(size)x\(size)" }
}

/// 1 and 7 (tail only), 8 and 16 (whole vectors), 13 (a vector and a tail), 96 (MobileNetV2's).
let channelsLastChannelCounts = [1, 7, 8, 13, 16, 96]

/// The definition over NHWC in Double: bias + Σ over the taps inside the input, and each output's
/// Σ |terms| for the rounding bound.
private func referenceChannelsLast(
  _ g: Conv2DGeometry, input: [Float], weight: [Float], bias: [Float]?
) -> (values: [Double], magnitudes: [Double]) {
  let channels = g.outChannels
  let taps = g.kernelHeight * g.kernelWidth
  var values = [Double](repeating: 0, count: g.outputCount)
  var magnitudes = [Double](repeating: 0, count: g.outputCount)
  for n in 0..<g.batch {
    for oy in 0..<g.outHeight {
      for ox in 0..<g.outWidth {
        for c in 0..<channels {
          var sum = Double(bias?[c] ?? 0)
          var magnitude = abs(sum)
          for ki in 0..<g.kernelHeight {
            let iy = oy * g.strideH - g.padTop + ki * g.dilationH
            guard iy >= 0 && iy < g.inHeight else { continue }
            for kj in 0..<g.kernelWidth {
              let ix = ox * g.strideW - g.padLeft + kj * g.dilationW
              guard ix >= 0 && ix < g.inWidth else { continue }
              let term =
                Double(weight[c * taps + ki * g.kernelWidth + kj])
                * Double(input[((n * g.inHeight + iy) * g.inWidth + ix) * channels + c])
              sum += term
              magnitude += abs(term)
            }
          }
          let index = ((n * g.outHeight + oy) * g.outWidth + ox) * channels + c
          values[index] = sum
          magnitudes[index] = magnitude
        }
      }
    }
  }
  return (values, magnitudes)
}

/// γ_n = n·u / (1 − n·u), u the unit roundoff of Float: the bound on the relative error (to the sum of
/// |terms|) of a sum of n products added one by one, each step rounded once (with FMA) or twice.
private func sequentialSumBound(terms: Int) -> Double {
  let u = Double(Float.ulpOfOne) / 2
  let nu = Double(terms) * u
  return nu / (1 - nu)
}

/// Indices where |actual − expected| exceeds `factor` · γ_terms · magnitude.
private func outOfBound(
  _ actual: [Float], _ expected: [Double], magnitudes: [Double], terms: Int, factor: Double = 1
) -> [Int] {
  let bound = factor * sequentialSumBound(terms: terms)
  return actual.indices.filter {
    let error = abs(Double(actual[$0]) - expected[$0])
    return !(error <= bound * magnitudes[$0])
  }
}

/// NHWC [batch][height][width][channels] from NCHW, or back with `toChannelsLast: false`.
private func transposed(
  _ values: [Float], batch: Int, channels: Int, pixels: Int, toChannelsLast: Bool
) -> [Float] {
  var result = [Float](repeating: .nan, count: values.count)
  for n in 0..<batch {
    for c in 0..<channels {
      for p in 0..<pixels {
        let (nchw, nhwc) = ((n * channels + c) * pixels + p, (n * pixels + p) * channels + c)
        if toChannelsLast { result[nhwc] = values[nchw] } else { result[nchw] = values[nhwc] }
      }
    }
  }
  return result
}

private func runChannelsLast(
  _ g: Conv2DGeometry, input: [Float], weight: [Float], bias: [Float]?, activation: ActivationKind,
  _ isa: DepthwiseInstructionSet, threads: Int? = nil
) -> [Float] {
  var output = [Float](repeating: .nan, count: g.outputCount)
  var scratch = [Float](repeating: .nan, count: DepthwiseConv2D.channelsLastScratchCount(g))
  DepthwiseConv2D.forwardChannelsLast(
    g, input: input, weight: weight, bias: bias, output: &output, activation: activation, scratch: &scratch,
    instructionSet: isa, threads: threads)
  return output
}

/// Every channel count on `size` x `size` maps of `kernel`, run by `isa`: the linear output against
/// the Double definition within γ_(taps+1); each activation (fused ReLU and ReLU6, SiLU afterwards)
/// bit for bit the runtime's activation of that output; and the NCHW kernel
/// (`DepthwiseConv2D.forward`) within the bounds of both.
private func checkChannelsLast(_ c: ChannelsLastCase, _ isa: DepthwiseInstructionSet) throws {
  let (kernel, size) = (c.kernel, c.size)
  var generator = RandomGenerator(seed: 71)
  for channels in channelsLastChannelCounts {
    let g = kernel.geometry(channels: channels, size: size)
    try g.validate()
    let name = "\(kernel.name) \(channels)x\(size)x\(size) [\(isa)]"
    let input = randomValues(g.inputCount, &generator)
    let weight = randomValues(g.weightCount, &generator)
    let terms = g.kernelHeight * g.kernelWidth + 1
    for bias in [randomValues(channels, &generator), nil] {
      let linear = runChannelsLast(g, input: input, weight: weight, bias: bias, activation: .linear, isa)
      let reference = referenceChannelsLast(g, input: input, weight: weight, bias: bias)
      let wrong = outOfBound(linear, reference.values, magnitudes: reference.magnitudes, terms: terms)
      let (outputsOff, first) = (
        wrong.count, wrong.first.map { "\($0): \(linear[$0]) vs \(reference.values[$0])" }
      )
      #expect(outputsOff == 0, "\(name) bias \(bias != nil): outputs off the bound, first \(first ?? "")")
      for activation in [ActivationKind.relu, .relu6, .silu] {
        let activated = runChannelsLast(
          g, input: input, weight: weight, bias: bias, activation: activation, isa)
        var expected = [Float](repeating: .nan, count: linear.count)
        activation.forward(linear, &expected, count: linear.count)
        let sameBits = activated.map(\.bitPattern) == expected.map(\.bitPattern)
        #expect(
          sameBits,
          "\(name) bias \(bias != nil) \(activation): differs from the activation of the linear output")
      }
      // The NCHW kernel on the same data: each within γ of the exact sum, so within 2γ of each other.
      let pixels = (g.inHeight * g.inWidth, g.outHeight * g.outWidth)
      var nchwOutput = [Float](repeating: .nan, count: g.outputCount)
      DepthwiseConv2D.forward(
        g,
        input: transposed(input, batch: g.batch, channels: channels, pixels: pixels.0, toChannelsLast: false),
        weight: weight, bias: bias, output: &nchwOutput, instructionSet: isa)
      let nchw = transposed(
        nchwOutput, batch: g.batch, channels: channels, pixels: pixels.1, toChannelsLast: true)
      let outputsApart = outOfBound(
        linear, nchw.map(Double.init), magnitudes: reference.magnitudes, terms: terms, factor: 2
      ).count
      #expect(outputsApart == 0, "\(name) bias \(bias != nil): outputs differ from the NCHW kernel")
    }
  }
}

@Suite struct ChannelsLastDepthwiseTests {
  @Test(arguments: channelsLastCases)
  func portableMatchesTheDefinition(_ c: ChannelsLastCase) throws {
    try checkChannelsLast(c, .portable)
  }

  @Test(
    .enabled(if: DepthwiseInstructionSet.avx2.isAvailable, "this CPU has no AVX2 and FMA"),
    arguments: channelsLastCases)
  func avx2MatchesTheDefinition(_ c: ChannelsLastCase) throws {
    try checkChannelsLast(c, .avx2)
  }

  @Test(
    .enabled(if: DepthwiseInstructionSet.avx512.isAvailable, "this CPU has no AVX-512 (F, VL, BW, DQ)"),
    arguments: channelsLastCases)
  func avx512MatchesTheDefinition(_ c: ChannelsLastCase) throws {
    try checkChannelsLast(c, .avx512)
  }

  /// Bands of rows are fixed by the geometry and each output is one sum in a fixed order: 1, 2 and 3
  /// threads give the same bits, on shapes large enough for several tasks and the parallel path,
  /// with an activation fused (ReLU6) and one run after the kernel (SiLU).
  @Test(arguments: [channelsLastKernels[0], channelsLastKernels[1], channelsLastKernels[4]])
  func resultsDoNotDependOnTheThreadCount(_ kernel: ChannelsLastKernel) {
    let g = kernel.geometry(channels: 44, size: 28, batch: 3)
    let bandRows = DepthwiseConv2D.channelsLastBandRows(g)
    let tasks = g.batch * ((g.outHeight + bandRows - 1) / bandRows)
    #expect(tasks > 3, "\(kernel.name): \(tasks) tasks")
    #expect(g.outputCount * g.kernelHeight * g.kernelWidth >= Parallel.minimumParallelWork)
    var generator = RandomGenerator(seed: 72)
    let input = randomValues(g.inputCount, &generator)
    let weight = randomValues(g.weightCount, &generator)
    let bias = randomValues(g.outChannels, &generator)
    for isa in DepthwiseInstructionSet.allCases.filter(\.isAvailable) {
      for activation in [ActivationKind.relu6, .silu] {
        let results = (1...3).map {
          runChannelsLast(
            g, input: input, weight: weight, bias: bias, activation: activation, isa, threads: $0)
        }
        #expect(
          results[0].allSatisfy { !$0.isNaN }, "\(kernel.name) [\(isa)] \(activation): outputs unwritten")
        let sameBits = results.allSatisfy { $0.map(\.bitPattern) == results[0].map(\.bitPattern) }
        #expect(sameBits, "\(kernel.name) [\(isa)] \(activation): thread counts differ")
      }
    }
  }
}
