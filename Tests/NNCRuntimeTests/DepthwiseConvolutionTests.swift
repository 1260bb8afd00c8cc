import Foundation
import NNCRandom
import Testing

@testable import NNCRuntime

let depthwiseCases: [ConvCase] = [
  ConvCase(
    name: "multiplier 1, 3x3 same",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 3, inHeight: 6, inWidth: 7, outChannels: 3, kernelHeight: 3,
      kernelWidth: 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, groups: 3),
    hasBias: true),
  // The small-map kernels (vectors over 16 channels): partial blocks, a short last group of samples.
  ConvCase(
    name: "multiplier 1, 4x4 map",
    geometry: Conv2DGeometry(
      batch: 5, inChannels: 20, inHeight: 4, inWidth: 4, outChannels: 20, kernelHeight: 3,
      kernelWidth: 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, groups: 20),
    hasBias: true),
  ConvCase(
    name: "multiplier 1, 2x2 map",
    geometry: Conv2DGeometry(
      batch: 6, inChannels: 33, inHeight: 2, inWidth: 2, outChannels: 33, kernelHeight: 3,
      kernelWidth: 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, groups: 33),
    hasBias: false),
  ConvCase(
    name: "multiplier 1, 4x4 to 2x2 at stride 2",
    geometry: Conv2DGeometry(
      batch: 3, inChannels: 17, inHeight: 4, inWidth: 4, outChannels: 17, kernelHeight: 3,
      kernelWidth: 3, strideH: 2, strideW: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, groups: 17),
    hasBias: true),
  ConvCase(
    name: "multiplier 1, 8x8 to 4x4 at stride 2",
    geometry: Conv2DGeometry(
      batch: 5, inChannels: 18, inHeight: 8, inWidth: 8, outChannels: 18, kernelHeight: 3,
      kernelWidth: 3, strideH: 2, strideW: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, groups: 18),
    hasBias: false),
  ConvCase(
    name: "multiplier 2, stride 2, asymmetric padding",
    geometry: Conv2DGeometry(
      batch: 2, inChannels: 2, inHeight: 7, inWidth: 8, outChannels: 4, kernelHeight: 3,
      kernelWidth: 3, strideH: 2, strideW: 2, padTop: 0, padBottom: 1, padLeft: 1, padRight: 0,
      groups: 2),
    hasBias: false),
  ConvCase(
    name: "multiplier 2, stride 3, dilation 2",
    geometry: Conv2DGeometry(
      batch: 1, inChannels: 3, inHeight: 9, inWidth: 10, outChannels: 6, kernelHeight: 3,
      kernelWidth: 2, strideH: 3, strideW: 3, dilationH: 2, dilationW: 2, padTop: 1, padBottom: 2,
      padLeft: 2, padRight: 1, groups: 3),
    hasBias: true),
]

@Suite struct DepthwiseConvolutionTests {
  @Test(arguments: depthwiseCases)
  func forwardMatchesDirectLoops(_ c: ConvCase) throws {
    let g = c.geometry
    try g.validate()
    #expect(g.isDepthwise)
    var generator = RandomGenerator(seed: 21)
    let (input, weight, bias) = convolutionData(c, &generator)
    var output = [Float](repeating: .nan, count: g.outputCount)
    DepthwiseConv2D.forward(g, input: input, weight: weight, bias: bias, output: &output)
    let expected = referenceConvolution(
      g, input: doubles(input), weight: doubles(weight), bias: bias.map(doubles))
    let error = maxRelativeError(output, expected)
    #expect(error < 1e-4, "\(c.name): forward max relative error \(error)")
  }

  @Test(arguments: depthwiseCases)
  func backwardMatchesFiniteDifferences(_ c: ConvCase) {
    let g = c.geometry
    var generator = RandomGenerator(seed: 22)
    let (input, weight, bias) = convolutionData(c, &generator)
    let gradOutput = gradientWeights(g.outputCount, &generator)
    var gradInput = [Float](repeating: .nan, count: g.inputCount)
    var gradWeight = [Float](repeating: 0, count: g.weightCount)
    var gradBias = [Float](repeating: 0, count: g.outChannels)
    DepthwiseConv2D.backward(
      g, input: input, weight: weight, gradOutput: gradOutput, gradInput: &gradInput,
      gradWeight: &gradWeight, gradBias: &gradBias)
    checkConvolutionGradients(
      c, input: input, weight: weight, bias: bias, gradOutput: gradOutput, gradInput: gradInput,
      gradWeight: gradWeight, gradBias: gradBias, &generator)
  }

  @Test func fusedActivationMatchesSeparatePasses() {
    let c = depthwiseCases.first { $0.name.hasPrefix("multiplier 2, stride 2") }!
    let g = c.geometry
    var generator = RandomGenerator(seed: 23)
    let (input, weight, bias) = convolutionData(c, &generator)
    var fused = [Float](repeating: .nan, count: g.outputCount)
    DepthwiseConv2D.forward(
      g, input: input, weight: weight, bias: bias, output: &fused, activation: .sigmoid)
    let expected = referenceConvolution(
      g, input: doubles(input), weight: doubles(weight), bias: bias.map(doubles)
    ).map { 1 / (1 + exp(-$0)) }
    let error = maxRelativeError(fused, expected)
    #expect(error < 1e-4, "fused sigmoid: max relative error \(error)")
  }
}
