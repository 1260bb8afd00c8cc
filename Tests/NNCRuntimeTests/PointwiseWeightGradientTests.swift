import CKernels
import Foundation
import NNCRandom
import Testing

@testable import NNCRuntime

/// The pointwise weight gradient (`nnc_pointwise_weight_gradient`, through
/// `Conv2D.pointwiseWeightGradient`) on every instruction set against the definition in Double at
/// every weight: filter and channel counts off its 4 × 4 tiles, more input channels than one chunk
/// of partial sums holds, planes with a pixel tail and shorter than a vector, groups, and the
/// accumulation into a gradient that is not zero.
@Suite struct PointwiseWeightGradientTests {
  static let geometries = [
    Conv2DGeometry(
      batch: 3, inChannels: 7, inHeight: 17, inWidth: 15, outChannels: 10, kernelHeight: 1, kernelWidth: 1),
    Conv2DGeometry(
      batch: 2, inChannels: 70, inHeight: 4, inWidth: 5, outChannels: 5, kernelHeight: 1, kernelWidth: 1),
    Conv2DGeometry(
      batch: 4, inChannels: 6, inHeight: 2, inWidth: 3, outChannels: 9, kernelHeight: 1, kernelWidth: 1,
      groups: 3),
    Conv2DGeometry(
      batch: 2, inChannels: 16, inHeight: 16, inWidth: 16, outChannels: 8, kernelHeight: 1, kernelWidth: 1),
  ]

  static func run(
    _ g: Conv2DGeometry, input: [Float], gradOutput: [Float], start: [Float],
    instructionSet: DepthwiseInstructionSet
  ) -> [Float] {
    var gradWeight = start
    Conv2D.pointwiseWeightGradient(
      g, input: input, gradOutput: gradOutput, gradWeight: &gradWeight, instructionSet: instructionSet)
    return gradWeight
  }

  @Test(arguments: DepthwiseInstructionSet.allCases.filter(\.isAvailable))
  func matchesTheDefinitionAtEveryWeight(_ instructionSet: DepthwiseInstructionSet) throws {
    var generator = RandomGenerator(seed: 83)
    for g in Self.geometries {
      try g.validate()
      let input = randomValues(g.inputCount, &generator, scale: 2)
      let weight = randomValues(g.weightCount, &generator)
      let gradOutput = randomValues(g.outputCount, &generator)
      let start = randomValues(g.weightCount, &generator)
      let gradWeight = Self.run(
        g, input: input, gradOutput: gradOutput, start: start, instructionSet: instructionSet)
      let errors = WinogradConvolutionTests.gradientErrors(
        g, input: input, weight: weight, gradOutput: gradOutput, gradInput: nil,
        gradWeight: zip(gradWeight, start).map { $0 - $1 })
      #expect(
        errors.weight <= WinogradConvolutionTests.roundingSlack,
        "\(g) on \(instructionSet): \(errors.weight) rounding units")
      // The accumulation: the start plus the batch's sum, the same bits as adding to zero first.
      let alone = Self.run(
        g, input: input, gradOutput: gradOutput, start: [Float](repeating: 0, count: g.weightCount),
        instructionSet: instructionSet)
      #expect(gradWeight.map(\.bitPattern) == zip(start, alone).map { ($0 + $1).bitPattern }, "\(g)")
    }
  }

  /// AVX2's vectors of 8 give AVX-512's bits, and filters split differently (one call for all,
  /// `Conv2D.pointwiseWeightGradient`'s tasks) give the same bits.
  @Test(arguments: geometries)
  func neitherTheVectorWidthNorTheSplitChangesABit(_ g: Conv2DGeometry) {
    var generator = RandomGenerator(seed: 89)
    let input = randomValues(g.inputCount, &generator)
    let gradOutput = randomValues(g.outputCount, &generator)
    let zero = [Float](repeating: 0, count: g.weightCount)
    let available = DepthwiseInstructionSet.allCases.filter(\.isAvailable)
    var byInstructionSet: [DepthwiseInstructionSet: [Float]] = [:]
    for instructionSet in available {
      let tasks = Self.run(
        g, input: input, gradOutput: gradOutput, start: zero, instructionSet: instructionSet)
      var whole = zero
      let plane = g.outHeight * g.outWidth
      let (groupIn, groupOut) = (g.inChannelsPerGroup, g.outChannelsPerGroup)
      input.withUnsafeBufferPointer { x in
        gradOutput.withUnsafeBufferPointer { dy in
          whole.withUnsafeMutableBufferPointer { dw in
            for group in 0..<g.groups {
              let first = group * groupOut
              nnc_pointwise_weight_gradient(
                instructionSet.code, Int32(groupOut), Int32(groupIn), Int32(plane), Int32(g.batch),
                dy.baseAddress! + first * plane, g.outChannels * plane,
                x.baseAddress! + group * groupIn * plane,
                g.inChannels * plane, dw.baseAddress! + first * groupIn)
            }
          }
        }
      }
      #expect(tasks.map(\.bitPattern) == whole.map(\.bitPattern), "\(g) on \(instructionSet)")
      byInstructionSet[instructionSet] = tasks
    }
    if let avx2 = byInstructionSet[.avx2], let avx512 = byInstructionSet[.avx512] {
      #expect(avx2.map(\.bitPattern) == avx512.map(\.bitPattern), "\(g): AVX2 and AVX-512 differ")
    }
  }
}
