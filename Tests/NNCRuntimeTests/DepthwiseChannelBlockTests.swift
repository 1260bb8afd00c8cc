import CKernels
import NNCRandom
import Testing

@testable import NNCRuntime

/// Depthwise shapes whose output rows are narrow enough (`DepthwiseConv2D.runsChannelBlocks`) that
/// `DepthwiseConv2D.forward` runs them in blocks of 8 channels (`nnc_depthwise_forward_channels`):
/// 19 channels make two full blocks and a partial one.
private func smallMap(
  _ height: Int, _ width: Int, kernel: Int = 3, stride: Int = 1, dilation: Int = 1,
  padding: (top: Int, bottom: Int, left: Int, right: Int) = (1, 1, 1, 1)
) -> ConvCase {
  let geometry = Conv2DGeometry(
    batch: 2, inChannels: 19, inHeight: height, inWidth: width, outChannels: 19, kernelHeight: kernel,
    kernelWidth: kernel, strideH: stride, strideW: stride, dilationH: dilation, dilationW: dilation,
    padTop: padding.top, padBottom: padding.bottom, padLeft: padding.left, padRight: padding.right, groups: 19
  )
  let name =
    "19x\(height)x\(width) k\(kernel) s\(stride) d\(dilation) "
    + "pad \(padding.top),\(padding.bottom),\(padding.left),\(padding.right)"
  return ConvCase(name: name, geometry: geometry, hasBias: true)
}

let channelBlockCases: [ConvCase] = [
  smallMap(4, 4),
  smallMap(2, 2),
  smallMap(1, 1),
  smallMap(7, 7),
  smallMap(8, 8),
  smallMap(12, 12),
  smallMap(14, 14),
  smallMap(13, 14),
  smallMap(28, 28, stride: 2),
  smallMap(24, 23, stride: 2),
  smallMap(8, 8, stride: 2),
  smallMap(4, 4, stride: 2),
  smallMap(5, 5, stride: 2, padding: (0, 1, 0, 1)),
  smallMap(3, 3, kernel: 5, padding: (2, 2, 2, 2)),
  smallMap(5, 6, dilation: 2, padding: (2, 2, 2, 2)),
  smallMap(6, 5, kernel: 3, stride: 3, padding: (0, 2, 1, 0)),
]

/// The channel blocks against the per-plane kernel (same bits) and the Double reference, run by
/// `isa`.
private func checkChannelBlocks(_ c: ConvCase, _ isa: DepthwiseInstructionSet) throws {
  let g = c.geometry
  try g.validate()
  #expect(DepthwiseConv2D.runsChannelBlocks(g), "\(c.name) runs plane by plane")
  var generator = RandomGenerator(seed: 41)
  let (input, weight, bias) = convolutionData(c, &generator)
  let bias0 = try #require(bias)
  var blocks = [Float](repeating: .nan, count: g.outputCount)
  DepthwiseConv2D.forward(g, input: input, weight: weight, bias: bias, output: &blocks, instructionSet: isa)

  var shape = g.planeShape
  let (inPlane, outPlane, taps) = (
    g.inHeight * g.inWidth, g.outHeight * g.outWidth, g.kernelHeight * g.kernelWidth
  )
  var planes = [Float](repeating: .nan, count: g.outputCount)
  for plane in 0..<(g.batch * g.inChannels) {
    let channel = plane % g.inChannels
    let kernel = Array(weight[(channel * taps)..<((channel + 1) * taps)])
    planes.withUnsafeMutableBufferPointer {
      nnc_depthwise_forward_plane(
        isa.code, &shape, Array(input[(plane * inPlane)...]), kernel, bias0[channel], 0,
        $0.baseAddress! + plane * outPlane)
    }
  }
  #expect(
    blocks.map(\.bitPattern) == planes.map(\.bitPattern), "\(c.name) [\(isa)]: differs from the planes")
  let reference = referenceConvolution(
    g, input: doubles(input), weight: doubles(weight), bias: doubles(bias0))
  let error = maxRelativeError(blocks, reference)
  #expect(error < 1e-5, "\(c.name) [\(isa)]: max relative error \(error)")
}

@Suite struct DepthwiseChannelBlockTests {
  @Test(arguments: channelBlockCases)
  func portableBlocksMatchPlanesAndReference(_ c: ConvCase) throws {
    try checkChannelBlocks(c, .portable)
  }

  @Test(
    .enabled(if: DepthwiseInstructionSet.avx2.isAvailable, "this CPU has no AVX2 and FMA"),
    arguments: channelBlockCases)
  func avx2BlocksMatchPlanesAndReference(_ c: ConvCase) throws {
    try checkChannelBlocks(c, .avx2)
  }

  @Test(
    .enabled(if: DepthwiseInstructionSet.avx512.isAvailable, "this CPU has no AVX-512 (F, VL, BW, DQ)"),
    arguments: channelBlockCases)
  func avx512BlocksMatchPlanesAndReference(_ c: ConvCase) throws {
    try checkChannelBlocks(c, .avx512)
  }

  /// ReLU6 applied to a block's planes in one pass, against the activation after the bare kernel.
  @Test func fusedReLU6MatchesTheSeparateActivation() {
    let g = channelBlockCases[0].geometry
    var generator = RandomGenerator(seed: 42)
    let input = randomValues(g.inputCount, &generator, scale: 6)
    let weight = randomValues(g.weightCount, &generator)
    var fused = [Float](repeating: .nan, count: g.outputCount)
    DepthwiseConv2D.forward(g, input: input, weight: weight, bias: nil, output: &fused, activation: .relu6)
    var bare = [Float](repeating: .nan, count: g.outputCount)
    DepthwiseConv2D.forward(g, input: input, weight: weight, bias: nil, output: &bare)
    var separate = [Float](repeating: .nan, count: g.outputCount)
    ActivationKind.relu6.forward(bare, &separate, count: bare.count)
    #expect(fused.contains(6) && fused.contains(0))
    #expect(fused.map(\.bitPattern) == separate.map(\.bitPattern))
  }

  @Test func wideMapsRunPlaneByPlane() {
    let wide = Conv2DGeometry(
      batch: 1, inChannels: 8, inHeight: 15, inWidth: 15, outChannels: 8, kernelHeight: 3, kernelWidth: 3,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, groups: 8)
    #expect(!DepthwiseConv2D.runsChannelBlocks(wide))
    let strided = Conv2DGeometry(
      batch: 1, inChannels: 8, inHeight: 30, inWidth: 30, outChannels: 8, kernelHeight: 3, kernelWidth: 3,
      strideH: 2, strideW: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, groups: 8)
    #expect(strided.outWidth == 15 && !DepthwiseConv2D.runsChannelBlocks(strided))
  }
}
