import CKernels
import Foundation
import NNCRandom
import Testing

@testable import NNCRuntime

/// The direct pointwise kernel (`nnc_pointwise_forward`, through `Conv2D.directPointwiseSample`)
/// on both instruction sets against the definition in Double: channel counts that are not a
/// multiple of its 4-channel blocks, planes that end in a pixel tail, groups, every epilogue.
@Suite struct DirectPointwiseTests {
  static let geometries = [
    Conv2DGeometry(
      batch: 1, inChannels: 24, inHeight: 17, inWidth: 17, outChannels: 30, kernelHeight: 1, kernelWidth: 1),
    Conv2DGeometry(
      batch: 1, inChannels: 6, inHeight: 3, inWidth: 5, outChannels: 9, kernelHeight: 1, kernelWidth: 1,
      groups: 3),
    Conv2DGeometry(
      batch: 1, inChannels: 32, inHeight: 4, inWidth: 8, outChannels: 3, kernelHeight: 1, kernelWidth: 1),
    Conv2DGeometry(
      batch: 1, inChannels: 64, inHeight: 4, inWidth: 4, outChannels: 10, kernelHeight: 1, kernelWidth: 1),
    // 625 pixels: a full panel of 512 and one of 112 (three 32-pixel blocks and a 16-pixel one on
    // AVX-512), then a pixel tail.
    Conv2DGeometry(
      batch: 1, inChannels: 20, inHeight: 25, inWidth: 25, outChannels: 7, kernelHeight: 1, kernelWidth: 1),
  ]

  func check(_ instructionSet: DepthwiseInstructionSet) throws {
    var generator = RandomGenerator(seed: 41)
    for g in Self.geometries {
      try g.validate()
      #expect(Conv2D.runsDirectPointwise(g))
      let plane = g.outHeight * g.outWidth
      let input = randomValues(g.inputCount, &generator, scale: 2)
      let weight = randomValues(g.weightCount, &generator)
      let bias = randomValues(g.outChannels, &generator)
      let scale = randomValues(g.outChannels, &generator, scale: 4)
      let sums = referenceConvolution(g, input: doubles(input), weight: doubles(weight), bias: nil)
      let cases: [(ActivationKind, Bool, Bool)] = [
        (.relu6, true, true), (.relu, false, true), (.linear, false, false), (.linear, true, false),
        (.tanh, true, true),
      ]
      for (activation, scaled, biased) in cases {
        var output = [Float](repeating: .nan, count: g.outputCount)
        input.withUnsafeBufferPointer { x in
          weight.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
              scale.withUnsafeBufferPointer { s in
                output.withUnsafeMutableBufferPointer { y in
                  Conv2D.directPointwiseSample(
                    g, input: x.baseAddress!, weight: w.baseAddress!, bias: biased ? b.baseAddress! : nil,
                    output: y.baseAddress!, activation: activation,
                    channelScale: scaled ? s.baseAddress! : nil,
                    instructionSet: instructionSet)
                }
              }
            }
          }
        }
        let expected = sums.enumerated().map { index, sum in
          let channel = index / plane
          let value = sum * (scaled ? Double(scale[channel]) : 1) + (biased ? Double(bias[channel]) : 0)
          switch activation {
          case .relu: return max(value, 0)
          case .relu6: return min(max(value, 0), 6)
          case .tanh: return Foundation.tanh(value)
          default: return value
          }
        }
        let error = maxRelativeError(output, expected, floor: 1)
        #expect(
          error < 1e-5, "\(g) \(activation) scale \(scaled) bias \(biased) on \(instructionSet): \(error)")
      }
    }
  }

  @Test func portableMatchesTheDefinition() throws { try check(.portable) }

  @Test(.enabled(if: DepthwiseInstructionSet.avx2.isAvailable, "this CPU has no AVX2 and FMA"))
  func avx2MatchesTheDefinition() throws { try check(.avx2) }

  @Test(.enabled(if: DepthwiseInstructionSet.avx512.isAvailable, "this CPU has no AVX-512"))
  func avx512MatchesTheDefinition() throws { try check(.avx512) }

  /// One sample through `directPointwiseSample` on `instructionSet`, with bias and scale.
  static func run(
    _ g: Conv2DGeometry, _ input: [Float], _ weight: [Float], _ bias: [Float], _ scale: [Float],
    activation: ActivationKind, shortcut: [Float]? = nil, instructionSet: DepthwiseInstructionSet
  ) -> [Float] {
    var output = [Float](repeating: .nan, count: g.outputCount)
    func call(_ shortcut: UnsafePointer<Float>?) {
      Conv2D.directPointwiseSample(
        g, input: input, weight: weight, bias: bias, output: &output, activation: activation,
        channelScale: scale, shortcut: shortcut, instructionSet: instructionSet)
    }
    if let shortcut { shortcut.withUnsafeBufferPointer { call($0.baseAddress) } } else { call(nil) }
    return output
  }

  /// A shortcut added before ReLU or none, in the kernel, gives the bits of the convolution followed
  /// by `Add.forward`, on every instruction set; AVX2's and AVX-512's blocks give the same bits.
  @Test(arguments: geometries)
  func fusedShortcutAndWideVectorsChangeNoBit(_ g: Conv2DGeometry) {
    var generator = RandomGenerator(seed: 57)
    let input = randomValues(g.inputCount, &generator, scale: 2)
    let weight = randomValues(g.weightCount, &generator)
    let bias = randomValues(g.outChannels, &generator)
    let scale = randomValues(g.outChannels, &generator, scale: 3)
    let shortcut = randomValues(g.outputCount, &generator, scale: 2)
    let available = DepthwiseInstructionSet.allCases.filter(\.isAvailable)
    for activation in [ActivationKind.linear, .relu] {
      var byInstructionSet: [DepthwiseInstructionSet: [Float]] = [:]
      for instructionSet in available {
        let convolution = Self.run(
          g, input, weight, bias, scale, activation: .linear, instructionSet: instructionSet)
        var separate = [Float](repeating: .nan, count: g.outputCount)
        Add.forward(convolution, shortcut, output: &separate, count: g.outputCount, activation: activation)
        let fused = Self.run(
          g, input, weight, bias, scale, activation: activation, shortcut: shortcut,
          instructionSet: instructionSet)
        let same = fused.map(\.bitPattern) == separate.map(\.bitPattern)
        #expect(same, "\(g) \(activation) \(instructionSet)")
        if activation == .relu { #expect(fused.contains(0) && fused.contains { $0 > 0 }) }
        byInstructionSet[instructionSet] = fused
      }
      if let avx2 = byInstructionSet[.avx2], let avx512 = byInstructionSet[.avx512] {
        let same = avx2.map(\.bitPattern) == avx512.map(\.bitPattern)
        #expect(same, "\(g) \(activation): AVX2 and AVX-512 differ")
      }
    }
  }

  /// ReLU6's comparisons as the runtime's: NaN stays NaN, −0 and 0 give +0, 6 stays, above 6 gives
  /// 6, in the vector body and the tail. A 1-channel identity convolution passes the values through.
  @Test(arguments: DepthwiseInstructionSet.allCases.filter(\.isAvailable))
  func relu6TreatsSpecialValuesAsTheActivation(_ instructionSet: DepthwiseInstructionSet) {
    let special: [Float] = [.nan, -0.0, 0, 6, -6, 6.5, 5.999, .infinity, -.infinity, 1e-30, -1e-30, 3]
    let input = special + special.reversed() + special.prefix(3)  // 27: a 16-pixel block and a tail
    let g = Conv2DGeometry(
      batch: 1, inChannels: 1, inHeight: 1, inWidth: input.count, outChannels: 1, kernelHeight: 1,
      kernelWidth: 1)
    var output = [Float](repeating: 1, count: input.count)
    var expected = [Float](repeating: 1, count: input.count)
    ActivationKind.relu6.forward(input, &expected, count: input.count)
    Conv2D.directPointwiseSample(
      g, input: input, weight: [1], bias: nil, output: &output, activation: .relu6, channelScale: nil,
      instructionSet: instructionSet)
    #expect(output.map(\.bitPattern) == expected.map(\.bitPattern), "\(instructionSet)")
  }
}
