import CKernels

/// A channels-first pointwise convolution with vectors along the output planes
/// (`nnc_plane_product_forward`; `ConvolutionAlgorithm.planeProduct`), inference only: tiles of 6
/// output channels × 64 columns of a sample's plane, summed in registers and written straight into
/// the planes with the epilogue — no transposition, unlike the packed product's tiles of 32 channels
/// × 8 columns. Each output's arithmetic is the packed product's, whatever the task split.
extension Conv2D {
  /// Pixels of a map at least (as for the packed product), and the map sizes on which reductions
  /// (fewer filters than inputs) keep the packed product. ResNet-50 at batch 8 on two threads of an
  /// AVX-512 Xeon, alternating profiles (ms a batch against the earlier algorithm): 64 -> 256 on
  /// 56x56 with a residual addition 15.3 against 18.3 (OpenBLAS's direct pointwise kernel a sample
  /// at a time), 128 -> 512 on 28x28 13.5 against 14.2, 256 -> 1024 on 14x14 19.5 against 20.1, 512 ->
  /// 2048 on 7x7 9.7 against 11.3 and 2048 -> 512 6.5 against 7.5 (packed product), 256 -> 64 and 64
  /// -> 64 on 56x56 9.1 against 10.2; but the reductions 512 -> 128 on 28x28 10.3 against 9.9 and
  /// 1024 -> 256 on 14x14 16.1 against 15.4. The whole batch 4-5 % faster; Inception v3's 64 -> 80
  /// on 73x73 2.5 against 4.4 ms. (With AVX2 the plane product ran every one of these shapes faster
  /// than the packed product, `Benchmarks/plane_product.c`.)
  static let planeProductMinimumPlane = 49
  static let planeProductReductionsSkipped = 196..<3136
  /// Filters and input channels at least: ResNet-50's and Inception v3's layers have 64 and more;
  /// narrower ones keep the direct pointwise kernel (up to 64 inputs) and OpenBLAS, not measured
  /// against this one.
  static let planeProductMinimumFilters = 64
  static let planeProductMinimumInputs = 64
  /// Tasks a convolution is cut into at least, so that the threads share them evenly.
  static let planeProductMinimumTasks = 16

  /// Whether inference plans run `g` (channels-first) as a plane product.
  static func runsPlaneProduct(_ g: Conv2DGeometry) -> Bool {
    // Weights at most as for the packed product: each task streams them all once.
    guard g.isPointwise && g.groups == 1 && g.outChannels >= planeProductMinimumFilters,
      g.inChannels >= planeProductMinimumInputs, g.weightCount <= packedProductMaximumWeights
    else { return false }
    let plane = g.outHeight * g.outWidth
    return plane >= planeProductMinimumPlane
      && !(g.outChannels < g.inChannels && planeProductReductionsSkipped.contains(plane))
  }

  /// Floats of a task's packed columns at most (192 KiB): they stay in the core's L2 cache while
  /// every block of filters passes over them.
  static let planeProductColumnBudget = 48 * 1024

  /// Columns per task (counted across the batch): whole tiles within the budget (one at least),
  /// spread evenly, and enough tasks for `planeProductMinimumTasks`. A function of the geometry (its
  /// batch included).
  static func planeProductColumnsPerTask(_ g: Conv2DGeometry) -> Int {
    let tile = Int(NNC_PLANE_PRODUCT_COLUMNS)
    let tiles = (g.batch * g.outHeight * g.outWidth + tile - 1) / tile
    let tileLimit = max(1, planeProductColumnBudget / (g.inChannels * tile))
    let tasks = min(tiles, max((tiles + tileLimit - 1) / tileLimit, planeProductMinimumTasks))
    return (tiles + tasks - 1) / tasks * tile
  }

  /// Floats of the packed weights (kept by an inference executor).
  static func planeProductWeightCount(_ g: Conv2DGeometry) -> Int {
    nnc_plane_product_weight_floats(Int32(g.outChannels), Int32(g.inChannels))
  }

  /// Scratch floats: the packed weights, then a work area per part of the loop.
  static func planeProductScratchCount(_ g: Conv2DGeometry) -> Int {
    planeProductWeightCount(g) + Parallel.maximumParts
      * nnc_plane_product_work_floats(
        Int32(g.inChannels), Int32(planeProductColumnsPerTask(g)), Int32(g.outChannels))
  }

  /// output = activation(conv(input, weight) · channelScale + bias [+ shortcut]), all NCHW, by the
  /// plane product (a shortcut before a linear or ReLU activation; an activation the kernel lacks
  /// runs afterwards in place). The weights are packed into `packedWeight` (the front of `scratch`
  /// when nil) unless `packedWeightIsCurrent` says an inference executor kept them packed.
  static func planeProductForward(
    _ g: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, activation: ActivationKind,
    channelScale: UnsafePointer<Float>?, scratch: UnsafeMutablePointer<Float>,
    shortcut: UnsafePointer<Float>? = nil, packedWeight: UnsafeMutablePointer<Float>? = nil,
    packedWeightIsCurrent: Bool = false, threads: Int = Parallel.threadCount,
    instructionSet: DepthwiseInstructionSet = .best
  ) {
    precondition(
      g.isPointwise && g.groups == 1, "the plane product computes ungrouped pointwise convolutions")
    precondition(
      shortcut == nil || activation == .linear || activation == .relu,
      "a plane product adds a shortcut before a linear or ReLU activation")
    let packed = packedWeight ?? scratch
    if packedWeight == nil || !packedWeightIsCurrent {
      nnc_plane_product_pack(Int32(g.outChannels), Int32(g.inChannels), weight, packed)
    }
    let totalColumns = g.batch * g.outHeight * g.outWidth
    let columnsPerTask = planeProductColumnsPerTask(g)
    let work = scratch + planeProductWeightCount(g)
    let workFloats = nnc_plane_product_work_floats(
      Int32(g.inChannels), Int32(columnsPerTask), Int32(g.outChannels))
    let code = activation.pointwiseKernelCode
    Parallel.forEach(
      (totalColumns + columnsPerTask - 1) / columnsPerTask,
      workPerItem: columnsPerTask * g.outChannels * g.inChannels,
      threads: threads
    ) { part, task in
      let first = task * columnsPerTask
      nnc_plane_product_forward(
        instructionSet.code, Int32(g.inChannels), Int32(g.outChannels), Int32(g.outHeight * g.outWidth),
        packed,
        input, first, Int32(min(columnsPerTask, totalColumns - first)), 0, Int32(g.outChannels), output,
        shortcut,
        channelScale, bias, code ?? Int32(NNC_POINTWISE_LINEAR), work + part * workFloats)
    }
    if code == nil { activation.forward(UnsafePointer(output), output, count: g.outputCount) }
  }
}
