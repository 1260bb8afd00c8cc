import Foundation
import NNCRandom
import Testing

@testable import NNCRuntime

/// Convolution cases and the Double reference loops that the convolution, depthwise and Winograd
/// kernel tests check against.

/// A convolution shape under test, with or without bias.
struct ConvCase: Sendable, CustomTestStringConvertible {
  let name: String
  let geometry: Conv2DGeometry
  let hasBias: Bool
  var testDescription: String { name }
}

/// Visits every product of a grouped convolution as (output, weight, input) element indices, each
/// output's products together and in kernel order: the one definition both references are written on.
func forEachConvolutionTerm(_ g: Conv2DGeometry, _ body: (Int, Int, Int) -> Void) {
  let (outH, outW) = (g.outHeight, g.outWidth)
  let inPerGroup = g.inChannels / g.groups
  let outPerGroup = g.outChannels / g.groups
  for n in 0..<g.batch {
    for oc in 0..<g.outChannels {
      let group = oc / outPerGroup
      for oy in 0..<outH {
        for ox in 0..<outW {
          let y = ((n * g.outChannels + oc) * outH + oy) * outW + ox
          for icInGroup in 0..<inPerGroup {
            let ic = group * inPerGroup + icInGroup
            for ki in 0..<g.kernelHeight {
              for kj in 0..<g.kernelWidth {
                let iy = oy * g.strideH - g.padTop + ki * g.dilationH
                let ix = ox * g.strideW - g.padLeft + kj * g.dilationW
                if iy < 0 || iy >= g.inHeight || ix < 0 || ix >= g.inWidth { continue }
                let w = ((oc * inPerGroup + icInGroup) * g.kernelHeight + ki) * g.kernelWidth + kj
                body(y, w, ((n * g.inChannels + ic) * g.inHeight + iy) * g.inWidth + ix)
              }
            }
          }
        }
      }
    }
  }
}

/// The definition of a grouped convolution, one output at a time, in Double.
func referenceConvolution(_ g: Conv2DGeometry, input: [Double], weight: [Double], bias: [Double]?)
  -> [Double]
{
  let plane = g.outHeight * g.outWidth
  var output = (0..<g.outputCount).map { bias?[$0 / plane % g.outChannels] ?? 0 }
  forEachConvolutionTerm(g) { y, w, x in output[y] += weight[w] * input[x] }
  return output
}

/// Random input, weight and optional bias for a case.
func convolutionData(_ c: ConvCase, _ generator: inout RandomGenerator) -> (
  input: [Float], weight: [Float], bias: [Float]?
) {
  let g = c.geometry
  return (
    randomValues(g.inputCount, &generator), randomValues(g.weightCount, &generator),
    c.hasBias ? randomValues(g.outChannels, &generator) : nil
  )
}

/// The three gradient checks of a convolution kernel against finite differences of the reference.
func checkConvolutionGradients(
  _ c: ConvCase, input: [Float], weight: [Float], bias: [Float]?, gradOutput: [Float],
  gradInput: [Float], gradWeight: [Float], gradBias: [Float], _ generator: inout RandomGenerator
) {
  let g = c.geometry
  let (x, w, b) = (doubles(input), doubles(weight), bias.map(doubles))
  let inputError = finiteDifferenceError(
    of: { weightedSum(gradOutput, referenceConvolution(g, input: $0, weight: w, bias: b)) },
    at: input, analytic: gradInput, &generator)
  #expect(inputError < 1e-3, "\(c.name): gradInput max relative error \(inputError)")
  let weightError = finiteDifferenceError(
    of: { weightedSum(gradOutput, referenceConvolution(g, input: x, weight: $0, bias: b)) },
    at: weight, analytic: gradWeight, &generator)
  #expect(weightError < 1e-3, "\(c.name): gradWeight max relative error \(weightError)")
  if let bias {
    let biasError = finiteDifferenceError(
      of: { weightedSum(gradOutput, referenceConvolution(g, input: x, weight: w, bias: $0)) },
      at: bias, analytic: gradBias, &generator)
    #expect(biasError < 1e-3, "\(c.name): gradBias max relative error \(biasError)")
  }
}

/// The gradients of `referenceConvolution` with respect to its input and weight, by the chain rule
/// written out loop by loop in Double: every entry, not a sample of them.
func referenceConvolutionGradients(
  _ g: Conv2DGeometry, input: [Double], weight: [Double], gradOutput: [Double]
) -> (input: [Double], weight: [Double]) {
  var gradInput = [Double](repeating: 0, count: g.inputCount)
  var gradWeight = [Double](repeating: 0, count: g.weightCount)
  forEachConvolutionTerm(g) { y, w, x in
    gradWeight[w] += gradOutput[y] * input[x]
    gradInput[x] += gradOutput[y] * weight[w]
  }
  return (gradInput, gradWeight)
}

/// A residual shortcut fused into `Conv2D.forward` by `algorithm`, before a linear or ReLU
/// activation, gives the bits of the convolution followed by `Add.forward`: the epilogue rounds the
/// convolution's value first, then adds, then activates. Checks that the sums are finite and that
/// ReLU meets both signs; a kernel that may write over its shortcut (`addsShortcutInPlace`, as
/// inference plans let it) gives the same bits written over it, on 1, 2 and 3 threads.
func expectFusedShortcutGivesTheSeparateAdditionsBits(
  _ c: ConvCase, algorithm: ConvolutionAlgorithm, input: [Float], weight: [Float], bias: [Float]?,
  scale: [Float], shortcut: [Float], sourceLocation: SourceLocation = #_sourceLocation
) {
  let g = c.geometry
  var scratch = [Float](repeating: .nan, count: max(1, Conv2D.scratchCount(g, algorithm: algorithm)))
  for activation in [ActivationKind.linear, .relu] {
    var convolution = [Float](repeating: .nan, count: g.outputCount)
    Conv2D.forward(
      g, algorithm: algorithm, input: input, weight: weight, bias: bias, output: &convolution,
      scratch: &scratch, activation: .linear, channelScale: scale)
    var separate = [Float](repeating: .nan, count: g.outputCount)
    Add.forward(convolution, shortcut, output: &separate, count: g.outputCount, activation: activation)
    var fused = [Float](repeating: .nan, count: g.outputCount)
    Conv2D.forward(
      g, algorithm: algorithm, input: input, weight: weight, bias: bias, output: &fused, scratch: &scratch,
      activation: activation, channelScale: scale, shortcut: shortcut)
    #expect(separate.allSatisfy { $0.isFinite }, "\(c.name)", sourceLocation: sourceLocation)
    if activation == .relu {
      #expect(
        separate.contains(0) && separate.contains { $0 > 0 }, "\(c.name)", sourceLocation: sourceLocation)
    }
    #expect(
      fused.map(\.bitPattern) == separate.map(\.bitPattern), "\(c.name), \(algorithm), \(activation)",
      sourceLocation: sourceLocation)
    guard algorithm.addsShortcutInPlace(g) else { continue }
    for threads in 1...3 {
      var overwritten = shortcut
      let biasValues = bias ?? []
      overwritten.withUnsafeMutableBufferPointer { sum in
        scratch.withUnsafeMutableBufferPointer { scratch in
          biasValues.withUnsafeBufferPointer { biasValues in
            let (sum, scratch) = (sum.baseAddress!, scratch.baseAddress!)
            let bias = bias == nil ? nil : biasValues.baseAddress
            switch algorithm {
            case .planeProduct:
              Conv2D.planeProductForward(
                g, input: input, weight: weight, bias: bias, output: sum, activation: activation,
                channelScale: scale, scratch: scratch, shortcut: UnsafePointer(sum), threads: threads)
            case .packedProduct:
              Conv2D.packedProductForward(
                g, input: input, weight: weight, bias: bias, output: sum, activation: activation,
                channelScale: scale, scratch: scratch, shortcut: UnsafePointer(sum), threads: threads)
            default:
              Issue.record(
                "\(algorithm) writes over its shortcut: test it here", sourceLocation: sourceLocation)
            }
          }
        }
      }
      #expect(
        overwritten.map(\.bitPattern) == separate.map(\.bitPattern),
        "\(c.name), \(algorithm), \(activation), written over the shortcut on \(threads) threads",
        sourceLocation: sourceLocation)
    }
  }
}

/// The epilogue of the inference kernels on a Double reference's NCHW sums: activation(sum · scale +
/// bias) per output channel (nil scale and bias: 1 and 0), with each element's rounding bound
/// (`maxRoundingError`'s magnitudes) from the sums of |products|. ReLU, ReLU6 and tanh are modelled;
/// other activations leave the value as it is.
func referenceEpilogue(
  _ g: Conv2DGeometry, sums: [Double], magnitudes: [Double], scale: [Float]?, bias: [Float]?,
  activation: ActivationKind
) -> (expected: [Double], bounds: [Double]) {
  let plane = g.outHeight * g.outWidth
  var expected = [Double](repeating: 0, count: g.outputCount)
  var bounds = expected
  for index in 0..<g.outputCount {
    let channel = index / plane % g.outChannels
    let (s, b) = (scale.map { Double($0[channel]) } ?? 1, bias.map { Double($0[channel]) } ?? 0)
    var value = sums[index] * s + b
    switch activation {
    case .relu6: value = min(max(value, 0), 6)
    case .relu: value = max(value, 0)
    case .tanh: value = Foundation.tanh(value)
    default: break
    }
    expected[index] = value
    bounds[index] = magnitudes[index] * abs(s) + abs(b)
  }
  return (expected, bounds)
}

/// An inference product (`run(threads, instructionSet, activation, affine)` returning its output for
/// `input` and `weight`, with the bias and scale when `affine`) against the definition in Double
/// within float rounding, for ReLU6, linear, ReLU and tanh epilogues: the same bits on 1, 2 and 3
/// threads, and on AVX2 and AVX-512 where the machine has both.
func expectMatchesTheDefinitionOnEveryThreadCountAndInstructionSet(
  _ g: Conv2DGeometry, input: [Float], weight: [Float], bias: [Float], scale: [Float],
  sourceLocation: SourceLocation = #_sourceLocation,
  run: (_ threads: Int, _ isa: DepthwiseInstructionSet, _ activation: ActivationKind, _ affine: Bool) ->
    [Float]
) {
  let sums = referenceConvolution(g, input: doubles(input), weight: doubles(weight), bias: nil)
  let magnitudes = referenceConvolution(
    g, input: input.map { abs(Double($0)) }, weight: weight.map { abs(Double($0)) }, bias: nil)
  let available = DepthwiseInstructionSet.allCases.filter(\.isAvailable)
  for (activation, affine) in [
    (ActivationKind.relu6, true), (.linear, false), (.relu, true), (.tanh, true),
  ] {
    let runs = (1...3).map { ($0, DepthwiseInstructionSet.best) } + available.map { (1, $0) }
    let results = runs.map { threads, isa in run(threads, isa, activation, affine) }
    let (expected, bounds) = referenceEpilogue(
      g, sums: sums, magnitudes: magnitudes, scale: affine ? scale : nil, bias: affine ? bias : nil,
      activation: activation)
    for (result, run) in zip(results, runs) {
      let error = maxRoundingError(result, expected, magnitudes: bounds, terms: g.columnRows + 2)
      #expect(
        error < 4, "\(g) \(activation) \(run.1): \(error) rounding bounds", sourceLocation: sourceLocation)
    }
    #expect(
      results[1] == results[0] && results[2] == results[0], "\(g) \(activation): thread counts differ",
      sourceLocation: sourceLocation)
    if available.contains(.avx2) && available.contains(.avx512) {
      let (avx2, avx512) = (
        results[3 + available.firstIndex(of: .avx2)!], results[3 + available.firstIndex(of: .avx512)!]
      )
      #expect(
        avx2.map(\.bitPattern) == avx512.map(\.bitPattern), "\(g) \(activation): AVX2 and AVX-512 differ",
        sourceLocation: sourceLocation)
    }
  }
}
