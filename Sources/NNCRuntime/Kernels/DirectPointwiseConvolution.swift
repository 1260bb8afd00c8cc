import CKernels

/// Pointwise (1x1) convolutions with few input channels per group, computed directly by the C
/// kernel `nnc_pointwise_forward` instead of OpenBLAS: with k ≤ 64 the product does little
/// arithmetic per output, and OpenBLAS passes over the output three times (zeroing it for beta = 0,
/// accumulating, then the epilogue), which made MobileNetV2's expansions on 32x32 and 16x16 maps
/// (16 and 24 input channels) its slowest layers. The kernel sums each output in registers over k
/// in order and writes it once with the epilogue applied. Results depend on the instruction set
/// only, never on the thread count (`tiledColumnsForward` runs a sample per task).
extension Conv2D {
  /// Input channels per group at most for the direct kernel; above, OpenBLAS's blocking wins.
  static let directPointwiseMaximumInputs = 64
  /// Pixels per sample at least: below, a sample is less than one 16-pixel strip of the kernel.
  static let directPointwiseMinimumPixels = 16

  static func runsDirectPointwise(_ g: Conv2DGeometry) -> Bool {
    g.isPointwise && g.inChannelsPerGroup <= directPointwiseMaximumInputs
  }

  /// One sample (`input` and `output` at the sample's NCHW planes), every group:
  /// output = activation(conv · scale + bias), plus the sample's `shortcut` before the activation.
  static func directPointwiseSample(
    _ g: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, activation: ActivationKind,
    channelScale: UnsafePointer<Float>?, shortcut: UnsafePointer<Float>? = nil,
    instructionSet: DepthwiseInstructionSet = .best
  ) {
    let plane = g.outHeight * g.outWidth
    let (groupIn, groupOut) = (g.inChannelsPerGroup, g.outChannelsPerGroup)
    // The kernel adds a shortcut before a linear or ReLU activation itself (the epilogue of
    // `Add.forward`'s bits); with another activation it writes the convolution's value and the
    // sample's pass adds the shortcut, then activates. Other activations run afterwards in place, as
    // in `convolutionEpilogue`.
    let fusesShortcut = shortcut != nil && (activation == .linear || activation == .relu)
    let linear = Int32(NNC_POINTWISE_LINEAR)
    let code = shortcut != nil && !fusesShortcut ? linear : activation.pointwiseKernelCode ?? linear
    for group in 0..<g.groups {
      let first = group * groupOut
      nnc_pointwise_forward(
        instructionSet.code, Int32(groupOut), Int32(groupIn), Int32(plane), weight + first * groupIn,
        input + group * groupIn * plane, plane, output + first * plane, plane,
        fusesShortcut ? shortcut.map { $0 + first * plane } : nil, channelScale.map { $0 + first },
        bias.map { $0 + first }, code)
    }
    if let shortcut, !fusesShortcut {
      convolutionEpilogue(
        output, output, count: g.outChannels * plane, scale: nil, bias: nil, activation: activation,
        shortcut: shortcut)
    } else if code == linear && activation != .linear {
      activation.forwardSerial(UnsafePointer(output), output, count: g.outChannels * plane)
    }
  }
}
