import CKernels

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
