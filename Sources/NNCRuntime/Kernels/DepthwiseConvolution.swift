import CKernels
import Foundation

/// Which compiled variant of the C depthwise kernels (`Sources/CKernels`) runs: the portable one
/// (the compiler's baseline vector instructions), the one built for AVX2 with FMA, or the same
/// 8-lane code built for AVX-512, chosen at run time because Swift cannot compile one function for
/// several instruction sets.
public enum DepthwiseInstructionSet: Sendable, CaseIterable, CustomStringConvertible {
  case portable
  case avx2
  case avx512

  /// The variant the kernels run: the newest this CPU runs, or an older one that the environment
  /// variable `NNC_INSTRUCTION_SET` (`portable`, `avx2` or `avx512`) names, so that one machine can
  /// measure the paths a machine without AVX-512 or AVX2 takes. A name the CPU cannot run, or an
  /// unknown one, leaves the newest.
  public static let best: DepthwiseInstructionSet = chosen(
    requested: ProcessInfo.processInfo.environment["NNC_INSTRUCTION_SET"], newest: newestAvailable)

  /// The newest variant this CPU runs.
  static let newestAvailable: DepthwiseInstructionSet =
    avx512IsAvailable ? .avx512 : avx2IsAvailable ? .avx2 : .portable

  /// `requested` (a variant's name) when it is no newer than `newest`, else `newest`.
  static func chosen(requested: String?, newest: DepthwiseInstructionSet) -> DepthwiseInstructionSet {
    guard let requested, let variant = allCases.first(where: { $0.description == requested }) else {
      return newest
    }
    let order = allCases
    return order.firstIndex(of: variant)! <= order.firstIndex(of: newest)! ? variant : newest
  }

  static let avx2IsAvailable = nnc_depthwise_avx2_available() != 0
  static let avx512IsAvailable = nnc_depthwise_avx512_available() != 0

  public var isAvailable: Bool {
    switch self {
    case .portable: return true
    case .avx2: return Self.avx2IsAvailable
    case .avx512: return Self.avx512IsAvailable
    }
  }

  var code: Int32 {
    switch self {
    case .portable: return Int32(NNC_DEPTHWISE_PORTABLE)
    case .avx2: return Int32(NNC_DEPTHWISE_AVX2)
    case .avx512: return Int32(NNC_DEPTHWISE_AVX512)
    }
  }

  public var description: String {
    switch self {
    case .portable: return "portable"
    case .avx2: return "avx2"
    case .avx512: return "avx512"
    }
  }
}

/// Depthwise convolution computed directly, without im2col: `groups == inChannels` and output
/// channel `oc` reads input channel `oc / M`, where M = outChannels / inChannels is the depth
/// multiplier (the PyTorch grouping; weight [outChannels, 1, kernelHeight, kernelWidth]).
/// Gradients of weight and bias are accumulated; the input gradient is overwritten. Scratch
/// (`scratchCount`) only for the small-map and flat kernels' buffers; without it they are allocated
/// per call.
///
/// A multiplier of 1 on the smallest 3x3 maps (2x2 and 4x4, 4x4 → 2x2, and backward 8x8 → 4x4) runs
/// vectors over 16 channels (`SmallMapDepthwiseConvolution.swift`); on other "same" maps (stride 1
/// keeping the size, or stride 2 halving an even one: every 3x3 layer of MobileNet and Xception) the
/// flat kernels (`FlatDepthwiseConvolution.swift`):
/// 16 outputs a vector over the flattened plane whatever its width, small planes packed several to
/// a vector, both gradients from one copy of each plane. Other geometries run per plane: each plane
/// (one sample, one channel) is one call into the vectorized C kernels, the plane copied with its
/// padding written out, so every output is computed by vector code without bounds checks, with 3x3
/// kernels at stride 1 and 2 specialized; small maps (multiplier 1) run in blocks of 8 channels
/// instead (`runsChannelBlocks`): forward with the same sums, backward in gather form. The forward
/// sums are the same bits on all three paths. Planes and blocks run in parallel and every sum has
/// an order fixed by the geometry, so results are the same for any thread count.
public enum DepthwiseConv2D {
  /// Scratch floats `forward` and `backward` use when given them: the small-map or the flat kernels'
  /// buffers (`smallMapScratchCount`, `flatScratchCount`), else none.
  public static func scratchCount(_ geometry: Conv2DGeometry) -> Int {
    guard runsSmallMaps(geometry) else { return flatScratchCount(geometry) }
    let small = smallMapScratchCount(geometry)
    return runsSmallMaps(geometry, forward: true) ? small : max(small, flatScratchCount(geometry))
  }

  /// output = activation(depthwise(input, weight) + bias), one task per (sample, output channel).
  public static func forward(
    _ geometry: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
    activation: ActivationKind = .linear, instructionSet: DepthwiseInstructionSet = .best,
    scratch: UnsafeMutablePointer<Float>? = nil
  ) {
    let g = geometry
    precondition(g.isDepthwise, "DepthwiseConv2D needs groups == inChannels, got \(g)")
    precondition(instructionSet.isAvailable, "this CPU cannot run the \(instructionSet) depthwise kernels")
    let multiplier = g.outChannels / g.inChannels
    let outPlane = g.outHeight * g.outWidth
    let taps = g.kernelHeight * g.kernelWidth
    let isa = instructionSet.code
    if runsSmallMaps(g, forward: true) {
      forwardSmallMaps(
        g, isa, input: input, weight: weight, bias: bias, output: output, activation: activation,
        scratch: scratch)
      return
    }
    if multiplier == 1, let table = FlatDepthwiseTable.table(for: g) {
      forwardFlat(
        g, table, isa, input: input, weight: weight, bias: bias, output: output, activation: activation,
        scratch: scratch)
      return
    }
    if multiplier == 1 && runsChannelBlocks(g) {
      forwardInChannelBlocks(
        g, isa, input: input, weight: weight, bias: bias, output: output, activation: activation)
      return
    }
    withUnsafePointer(to: g.planeShape) { shape in
      Parallel.forEach(g.batch * g.outChannels, workPerItem: outPlane * taps) { task in
        let (n, oc) = task.quotientAndRemainder(dividingBy: g.outChannels)
        let plane = input + (n * g.inChannels + oc / multiplier) * g.inHeight * g.inWidth
        let dst = output + task * outPlane
        nnc_depthwise_forward_plane(isa, shape, plane, weight + oc * taps, bias?[oc] ?? 0, 0, dst)
        // In place and vectorized for ReLU and ReLU6 (`convolutionEpilogue`); a plane is one task.
        convolutionEpilogue(dst, dst, count: outPlane, scale: nil, bias: nil, activation: activation)
      }
    }
  }

  /// Channels a block of `forwardInChannelBlocks` computes at once: one per lane of an AVX2 vector.
  static let channelBlock = 8

  /// Output rows of at most 14 pixels, where the per-plane kernel fills its last vector of a row
  /// partly and pays a call and a padded copy per plane for few outputs. Measured by
  /// `Benchmarks/depthwise_channel_blocks.c` (3x3, AVX2, one thread, CPU time at load 3): blocks
  /// against the per-plane kernels, forward 3-6x on 4x4 and 2x2 maps, 1.6x on 8x8, 1.4-1.5x on
  /// 14x14 (1.1x at stride 2); backward 3.4-7.7x, 1.65x, 1.2-1.3x (1.25x); per plane faster on
  /// 16x16 (0.85-0.9x, 0.8-0.9x at stride 2) and 32x32 (0.6-0.7x).
  static let channelBlockMaximumWidth = 14

  static func runsChannelBlocks(_ g: Conv2DGeometry) -> Bool {
    g.outWidth <= channelBlockMaximumWidth
  }

  /// `forward` for a multiplier of 1 on small maps: one task per (sample, block of 8 channels), its
  /// planes interleaved so that every output pixel of the 8 channels is one vector
  /// (`nnc_depthwise_forward_channels`). The same bits as the per-plane kernel.
  private static func forwardInChannelBlocks(
    _ g: Conv2DGeometry, _ isa: Int32, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, activation: ActivationKind
  ) {
    let (inPlane, outPlane) = (g.inHeight * g.inWidth, g.outHeight * g.outWidth)
    let taps = g.kernelHeight * g.kernelWidth
    let blocks = (g.outChannels + channelBlock - 1) / channelBlock
    withUnsafePointer(to: g.planeShape) { shape in
      Parallel.forEach(g.batch * blocks, workPerItem: channelBlock * outPlane * taps) { task in
        let (n, block) = task.quotientAndRemainder(dividingBy: blocks)
        let first = block * channelBlock
        let count = min(channelBlock, g.outChannels - first)
        // A sample's planes of consecutive channels are contiguous, in the input and the output.
        let dst = output + (n * g.outChannels + first) * outPlane
        nnc_depthwise_forward_channels(
          isa, shape, input + (n * g.inChannels + first) * inPlane, weight + first * taps,
          bias.map { $0 + first },
          Int32(count), dst)
        convolutionEpilogue(dst, dst, count: count * outPlane, scale: nil, bias: nil, activation: activation)
      }
    }
  }

  /// Gradients of `forward` without activation; any of the three outputs may be nil to skip it.
  /// The flat kernels compute both in one pass (`backwardFlat`). Otherwise gradInput runs one task
  /// per (sample, input channel), adding its multiplier's output channels in order; gradWeight one
  /// task per output channel, each plane's tap sums added over the batch in order. Small maps with a
  /// multiplier of 1 run both in blocks of 8 channels (one task per (sample, block) and per block).
  /// Every sum therefore has a fixed order.
  public static func backward(
    _ geometry: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>?,
    gradWeight: UnsafeMutablePointer<Float>?, gradBias: UnsafeMutablePointer<Float>?,
    instructionSet: DepthwiseInstructionSet = .best, scratch: UnsafeMutablePointer<Float>? = nil
  ) {
    let g = geometry
    precondition(g.isDepthwise, "DepthwiseConv2D needs groups == inChannels, got \(g)")
    precondition(instructionSet.isAvailable, "this CPU cannot run the \(instructionSet) depthwise kernels")
    let outPlane = g.outHeight * g.outWidth
    let multiplier = g.outChannels / g.inChannels
    let isa = instructionSet.code
    if runsSmallMaps(g) {
      backwardSmallMaps(
        g, isa, input: input, weight: weight, gradOutput: gradOutput, gradInput: gradInput,
        gradWeight: gradWeight, scratch: scratch)
    } else if multiplier == 1, let table = FlatDepthwiseTable.table(for: g) {
      backwardFlat(
        g, table, isa, input: input, weight: weight, gradOutput: gradOutput, gradInput: gradInput,
        gradWeight: gradWeight, scratch: scratch)
    } else {
      backwardByPlanesOrBlocks(
        g, isa, input: input, weight: weight, gradOutput: gradOutput, gradInput: gradInput,
        gradWeight: gradWeight)
    }
    if let gradBias {
      accumulateBiasGradient(
        gradOutput, batch: g.batch, channels: g.outChannels, plane: outPlane, gradBias: gradBias)
    }
  }

  private static func backwardByPlanesOrBlocks(
    _ g: Conv2DGeometry, _ isa: Int32, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>?,
    gradWeight: UnsafeMutablePointer<Float>?
  ) {
    let multiplier = g.outChannels / g.inChannels
    withUnsafePointer(to: g.planeShape) { shape in
      if multiplier == 1 && runsChannelBlocks(g) {
        if let gradInput {
          inputGradientInChannelBlocks(
            g, shape, isa, weight: weight, gradOutput: gradOutput, gradInput: gradInput)
        }
        if let gradWeight {
          weightGradientInChannelBlocks(
            g, shape, isa, input: input, gradOutput: gradOutput, gradWeight: gradWeight)
        }
        return
      }
      if let gradInput {
        inputGradient(g, shape, isa, weight: weight, gradOutput: gradOutput, gradInput: gradInput)
      }
      if let gradWeight {
        weightGradient(g, shape, isa, input: input, gradOutput: gradOutput, gradWeight: gradWeight)
      }
    }
  }

  private static func inputGradient(
    _ g: Conv2DGeometry, _ shape: UnsafePointer<nnc_depthwise_shape>, _ isa: Int32,
    weight: UnsafePointer<Float>,
    gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>
  ) {
    let multiplier = g.outChannels / g.inChannels
    let (outPlane, inPlane) = (g.outHeight * g.outWidth, g.inHeight * g.inWidth)
    let taps = g.kernelHeight * g.kernelWidth
    Parallel.forEach(g.batch * g.inChannels, workPerItem: multiplier * outPlane * taps) { task in
      let (n, ic) = task.quotientAndRemainder(dividingBy: g.inChannels)
      for m in 0..<multiplier {
        let oc = ic * multiplier + m
        nnc_depthwise_input_gradient_plane(
          isa, shape, gradOutput + (n * g.outChannels + oc) * outPlane, weight + oc * taps, m > 0 ? 1 : 0,
          gradInput + task * inPlane)
      }
    }
  }

  /// `inputGradient` for a multiplier of 1 on small maps: one task per (sample, block of 8
  /// channels), `nnc_depthwise_input_gradient_channels`.
  private static func inputGradientInChannelBlocks(
    _ g: Conv2DGeometry, _ shape: UnsafePointer<nnc_depthwise_shape>, _ isa: Int32,
    weight: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>
  ) {
    let (inPlane, outPlane) = (g.inHeight * g.inWidth, g.outHeight * g.outWidth)
    let taps = g.kernelHeight * g.kernelWidth
    let blocks = (g.outChannels + channelBlock - 1) / channelBlock
    Parallel.forEach(g.batch * blocks, workPerItem: channelBlock * outPlane * taps) { task in
      let (n, block) = task.quotientAndRemainder(dividingBy: blocks)
      let first = block * channelBlock
      let count = min(channelBlock, g.outChannels - first)
      nnc_depthwise_input_gradient_channels(
        isa, shape, gradOutput + (n * g.outChannels + first) * outPlane, weight + first * taps, Int32(count),
        gradInput + (n * g.inChannels + first) * inPlane)
    }
  }

  /// `weightGradient` for a multiplier of 1 on small maps: one task per block of 8 channels, its
  /// per-lane tap sums accumulated over the whole batch in order by one
  /// `nnc_depthwise_weight_gradient_channels` call.
  private static func weightGradientInChannelBlocks(
    _ g: Conv2DGeometry, _ shape: UnsafePointer<nnc_depthwise_shape>, _ isa: Int32,
    input: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>, gradWeight: UnsafeMutablePointer<Float>
  ) {
    let (inPlane, outPlane) = (g.inHeight * g.inWidth, g.outHeight * g.outWidth)
    let taps = g.kernelHeight * g.kernelWidth
    let blocks = (g.outChannels + channelBlock - 1) / channelBlock
    Parallel.forEach(blocks, workPerItem: g.batch * channelBlock * outPlane * taps) { block in
      let first = block * channelBlock
      let count = min(channelBlock, g.outChannels - first)
      withUnsafeTemporaryAllocation(of: Float.self, capacity: count * taps) { buffer in
        let total = buffer.baseAddress!
        total.update(repeating: 0, count: count * taps)
        nnc_depthwise_weight_gradient_channels(
          isa, shape, input + first * inPlane, gradOutput + first * outPlane, Int32(g.batch),
          g.inChannels * inPlane, g.outChannels * outPlane, Int32(count), total)
        for index in 0..<(count * taps) { gradWeight[first * taps + index] += total[index] }
      }
    }
  }

  private static func weightGradient(
    _ g: Conv2DGeometry, _ shape: UnsafePointer<nnc_depthwise_shape>, _ isa: Int32,
    input: UnsafePointer<Float>,
    gradOutput: UnsafePointer<Float>, gradWeight: UnsafeMutablePointer<Float>
  ) {
    let multiplier = g.outChannels / g.inChannels
    let (outPlane, inPlane) = (g.outHeight * g.outWidth, g.inHeight * g.inWidth)
    let taps = g.kernelHeight * g.kernelWidth
    Parallel.forEach(g.outChannels, workPerItem: g.batch * outPlane * taps) { oc in
      let ic = oc / multiplier
      withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * taps) { buffer in
        let total = buffer.baseAddress!
        let planeSums = total + taps
        total.update(repeating: 0, count: taps)
        for n in 0..<g.batch {
          nnc_depthwise_weight_gradient_plane(
            isa, shape, input + (n * g.inChannels + ic) * inPlane,
            gradOutput + (n * g.outChannels + oc) * outPlane, planeSums)
          for tap in 0..<taps { total[tap] += planeSums[tap] }
        }
        for tap in 0..<taps { gradWeight[oc * taps + tap] += total[tap] }
      }
    }
  }
}

extension Conv2DGeometry {
  /// The geometry of one plane's convolution, as the C kernels take it.
  var planeShape: nnc_depthwise_shape {
    nnc_depthwise_shape(
      in_height: Int32(inHeight), in_width: Int32(inWidth), out_height: Int32(outHeight),
      out_width: Int32(outWidth), kernel_height: Int32(kernelHeight), kernel_width: Int32(kernelWidth),
      stride_h: Int32(strideH), stride_w: Int32(strideW), dilation_h: Int32(dilationH),
      dilation_w: Int32(dilationW), pad_top: Int32(padTop), pad_left: Int32(padLeft))
  }
}
