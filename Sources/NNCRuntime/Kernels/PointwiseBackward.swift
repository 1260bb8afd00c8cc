import CKernels

/// The backward products of pointwise layers on larger maps by nnc's own kernels rather than
/// OpenBLAS's, whose packing of both operands on every call outweighed the arithmetic there: the
/// weight gradient by `nnc_pointwise_weight_gradient`, the input gradient by the plane product.
extension Conv2D {
  /// Filters per task of `pointwiseWeightGradient`: the kernel's tile of rows.
  static let pointwiseGradientFilters = 4

  /// gradWeight += the weight gradient of pointwise `g` over its batch, by
  /// `nnc_pointwise_weight_gradient`: dot products along each sample's NCHW planes, where OpenBLAS's
  /// product per sample packed both operands for a few outputs per packed float (one thread, 32
  /// samples, a C harness: 16 -> 96 on 32x32 maps 4.4 -> 1.9 ms, 24 -> 144 on 16x16 2.2 -> 0.6,
  /// 144 -> 24 on 16x16 2.0 -> 1.0). Each task takes a few filters over every sample; each weight's
  /// sum is the kernel's whatever the split, so no thread count changes a bit.
  static func pointwiseWeightGradient(
    _ g: Conv2DGeometry, input: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
    gradWeight: UnsafeMutablePointer<Float>, instructionSet: DepthwiseInstructionSet = .best
  ) {
    precondition(g.isPointwise, "a pointwise weight gradient of \(g)")
    let plane = g.outHeight * g.outWidth
    let (groupIn, groupOut) = (g.inChannelsPerGroup, g.outChannelsPerGroup)
    let (inSample, outSample) = (g.inChannels * plane, g.outChannels * plane)
    let perTask = pointwiseGradientFilters
    let tasks = (groupOut + perTask - 1) / perTask
    Parallel.forEach(g.groups * tasks, workPerItem: perTask * groupIn * plane * g.batch) { item in
      let (group, task) = item.quotientAndRemainder(dividingBy: tasks)
      let first = group * groupOut + task * perTask
      nnc_pointwise_weight_gradient(
        instructionSet.code, Int32(min(perTask, groupOut - task * perTask)), Int32(groupIn), Int32(plane),
        Int32(g.batch), gradOutput + first * plane, outSample, input + group * groupIn * plane, inSample,
        gradWeight + first * groupIn)
    }
  }
}

extension Conv2D {
  /// Whether the backward pass of pointwise `g` computes its input gradient by the plane product with
  /// the transposed weights (`pointwiseInputGradient`): ungrouped layers whose products run a sample
  /// at a time (`pointwiseBackwardSamplePixels`).
  static func runsPlaneInputGradient(_ g: Conv2DGeometry) -> Bool {
    g.isPointwise && g.groups == 1 && g.outHeight * g.outWidth >= pointwiseBackwardSamplePixels
  }

  /// The pointwise convolution from the output gradient's channels to the input's.
  static func transposedPointwise(_ g: Conv2DGeometry) -> Conv2DGeometry {
    Conv2DGeometry(
      batch: g.batch, inChannels: g.outChannels, inHeight: g.outHeight, inWidth: g.outWidth,
      outChannels: g.inChannels, kernelHeight: 1, kernelWidth: 1)
  }

  /// Scratch floats of `pointwiseInputGradient`: the plane product's, its packed weights in front.
  static func pointwiseInputGradientScratchCount(_ g: Conv2DGeometry) -> Int {
    planeProductScratchCount(transposedPointwise(g))
  }

  /// gradInput = Wᵀ · gradOutput, sample by sample, as the plane product of the transposed weights
  /// (packed from W as it lies, once a pass; the gradient's planes read in place), where OpenBLAS's
  /// products per sample packed both operands.
  static func pointwiseInputGradient(
    _ g: Conv2DGeometry, weight: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
    gradInput: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
  ) {
    nnc_plane_product_pack_transposed(Int32(g.inChannels), Int32(g.outChannels), weight, scratch)
    planeProductForward(
      transposedPointwise(g), input: gradOutput, weight: weight, bias: nil, output: gradInput,
      activation: .linear, channelScale: nil, scratch: scratch, packedWeight: scratch,
      packedWeightIsCurrent: true)
  }
}
