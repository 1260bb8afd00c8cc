import CKernels
import NNCGraph

/// A channels-first convolution as the product of weights packed once per run by columns each task
/// packs from the input (`nnc_packed_product_forward`; `ConvolutionAlgorithm.packedProduct`),
/// inference only. It replaces OpenBLAS on most of ResNet-50's 1x1 and strided layers, where a
/// profile of a batch put 56 % of the time in OpenBLAS's kernel and another 14 % in what surrounds
/// it for these calls: zeroing the output for beta = 0 and packing both operands on every call; and
/// the epilogue then passed over the output again. Each output's sum runs over the whole patch in
/// order, so no task, chunk or group size changes a bit.
extension Conv2D {
  /// Floats of a task's packed columns at most (192 KiB): they stay in the core's L2 cache while
  /// every chunk of weights passes over them.
  static let packedProductColumnBudget = 48 * 1024
  /// Tasks a convolution is cut into at least (when it has that many blocks of 32 filters), so that
  /// the threads share them evenly.
  static let packedProductMinimumTasks = 16

  /// Whether inference plans run `g` (laid out channels-first) as a packed product: ungrouped
  /// convolutions with patches of 64 floats or more on maps of 49 pixels or more that are 1x1
  /// (strided or not) with 64 filters or more, or strided with taps and 128 filters or more (64 for
  /// an image's stem, read in place) — all of ResNet-50's but its stride-1 expansions on maps of
  /// `inferenceSampleColumns` pixels or more. (`ConvolutionAlgorithm.forwardOnly` gives the plane
  /// product its pointwise layers first, `runsPlaneProduct`: here ResNet-50 keeps its strided layers
  /// and its reductions on 14x14 and 28x28 maps.) Those expansions (64 -> 256 on 56x56 maps, with a residual addition) write four times
  /// the floats they read, and the tiles' rows of 8 columns across 32 planes wrote them 2-10 % slower
  /// than OpenBLAS's products a sample per tile (and the direct kernel's, for 64 inputs); the strided
  /// projections (1x1/2 -> 512x28x28 and 1024x14x14) gather their columns either way and ran 5-7 %
  /// faster here (9.2 against 9.9 ms, 8.7 against 9.2); the stem (64 filters over 147-float
  /// patches) ran level with the patch product when packed, ahead of it read in place. When it came
  /// (session 12), in alternating runs of ResNet-50 (batch 8, two threads, AVX-512 Zen 4) the layers
  /// it took ran 1-27 % faster (3x3/2 to 512x7x7 9.2 against 12.5 ms, 1x1 to 2048x7x7 13.5 against
  /// 16.0), the whole batch 295 against 310 ms.
  static func runsPackedProduct(_ g: Conv2DGeometry) -> Bool {
    guard g.groups == 1 && g.columnRows >= packedProductMinimumPatch,
      g.weightCount <= packedProductMaximumWeights
    else { return false }
    let plane = g.outHeight * g.outWidth
    guard plane >= packedProductMinimumPlane else { return false }
    let strided = g.strideH > 1 || g.strideW > 1
    if g.kernelHeight * g.kernelWidth == 1 {
      let wideExpansion = !strided && plane >= inferenceSampleColumns && g.outChannels > g.inChannels
      return g.outChannels >= packedProductMinimumFilters && !wideExpansion
    }
    return strided
      && (g.outChannels >= packedProductMinimumStridedFilters
        || packedProductReadsInPlace(g) && g.outChannels >= packedProductMinimumFilters)
  }

  /// Input channels at most of a convolution whose groups of columns the packed product reads in
  /// place rather than packs (`nnc_packed_product_forward`'s `in_place`): an image's stem, whose
  /// patches come from few rows (21 for ResNet's 7x7/2 over 3 channels), each group's window of a row
  /// one or two cache lines that the next group and every block of filters read again. ResNet-50's
  /// stem (batch 8, two threads, AVX-512 Xeon): 7.9 ms, against 9.7 packed and 9.8 as a patch
  /// product. Deep patches lost: its 3x3/2 layers (64 to 512 channels) read in place ran 3-5 %
  /// slower than packed.
  static let packedProductInPlaceMaximumInputs = 4

  /// Whether the packed product reads `g`'s columns in place (see `packedProductInPlaceMaximumInputs`).
  static func packedProductReadsInPlace(_ g: Conv2DGeometry) -> Bool {
    g.inChannels <= packedProductInPlaceMaximumInputs && !g.isPointwise && g.strideW <= 2
  }

  static let packedProductMinimumFilters = 64
  /// Weights at most (16 MiB): every column task streams them from L3 or memory once, where
  /// OpenBLAS's whole-batch product of a weight-bound layer packs them once.
  static let packedProductMaximumWeights = 4 * 1024 * 1024
  /// Column groups a task holds at least, beyond the budget for long patches (ResNet-50's 3x3/2
  /// layer to 256x14x14, 2304 floats; its layer to 512x7x7 is deep, `packedProductDeepWeights`):
  /// each task streams all the weights once.
  static let packedProductMinimumGroups = 4
  static let packedProductMinimumPatch = 64
  static let packedProductMinimumPlane = 49
  static let packedProductMinimumStridedFilters = 128

  /// Weights beyond which a layer is deep (4 MiB, twice a core's L2 cache on the development Xeon):
  /// each column task streams them all from L3 or memory, so its tasks take many more columns, which
  /// then no longer stay in L2 while the weights pass in chunks. One thread, 4 samples, weights in
  /// memory (`Benchmarks/packed_product_tasks.c`, GFLOP/s): ResNet-50's 3x3/2 -> 512x7x7 (9 MiB of
  /// weights) 83 in tasks of 32 columns against 136 in tasks of 200, 1x1/2 -> 2048x7x7 (8 MiB) 99
  /// against 141; in the model (batch 8, two threads) 8.1-8.6 -> 6.8-7.2 and 7.6-7.7 -> 5.9-6.2 ms.
  /// ResNet-50's 2-2.4 MiB layers (3x3/2 -> 256x14x14, 1x1/2 -> 1024x14x14) ran level or 12 % slower
  /// in such tasks: their columns, read again for every chunk of weights, cost what the weights
  /// saved. Measured on that Xeon only: a CPU with a smaller L2 (Zen 3's 512 KiB) may gain below 4 MiB.
  static let packedProductDeepWeights = 1024 * 1024
  /// Column groups a deep layer's task holds at least (192 columns): its weights meet 192 columns
  /// each time they pass, and its tasks are never split by rows where there are as many column
  /// tasks as threads (a row task packs the same columns again).
  static let packedProductDeepGroups = 24

  /// Column groups (of `NNC_PACKED_PRODUCT_GROUP`) per task and output channels per task. Most
  /// layers: groups within the budget, spread evenly; channels in whole weight blocks, split until
  /// there are `packedProductMinimumTasks` tasks. Deep layers (`packedProductDeepWeights`): as few
  /// column tasks as hold `packedProductDeepGroups` groups each, channels split only until there is a
  /// task per thread. The columns per task are a function of the geometry (its batch included), the
  /// channels per task of the geometry and `threads`; neither changes a bit of the output.
  static func packedProductTasks(_ g: Conv2DGeometry, threads: Int = Parallel.threadCount) -> (
    groups: Int, rows: Int
  ) {
    let group = Int(NNC_PACKED_PRODUCT_GROUP)
    let block = Int(NNC_PACKED_PRODUCT_CHANNELS)
    let totalGroups = (g.batch * g.outHeight * g.outWidth + group - 1) / group
    let deep = g.weightCount > packedProductDeepWeights
    let columnTasks: Int
    if deep {
      columnTasks = max(1, totalGroups / packedProductDeepGroups)
    } else {
      let groupLimit = max(packedProductMinimumGroups, packedProductColumnBudget / (g.columnRows * group))
      columnTasks = (totalGroups + groupLimit - 1) / groupLimit
    }
    let groups = (totalGroups + columnTasks - 1) / columnTasks
    let blocks = (g.outChannels + block - 1) / block
    let minimumTasks = deep ? max(1, threads) : packedProductMinimumTasks
    let rowTasks = min(blocks, max(1, (minimumTasks + columnTasks - 1) / columnTasks))
    return (groups, (blocks + rowTasks - 1) / rowTasks * block)
  }

  /// Floats of the packed weights (kept by an inference executor).
  static func packedProductWeightCount(_ g: Conv2DGeometry) -> Int {
    nnc_packed_product_weight_floats(Int32(g.outChannels), Int32(g.columnRows))
  }

  /// Scratch floats: the packed weights, then a task's packed columns per part of the loop.
  static func packedProductScratchCount(_ g: Conv2DGeometry) -> Int {
    let columns = packedProductTasks(g).groups * Int(NNC_PACKED_PRODUCT_GROUP)
    return packedProductWeightCount(g)
      + Parallel.maximumParts
      * nnc_packed_product_work_floats(Int32(g.columnRows), Int32(columns), Int32(g.outChannels))
  }

  /// output = activation(conv(input, weight) · channelScale + bias [+ shortcut]), all NCHW, by the
  /// packed product (`nnc_packed_product_forward`'s arithmetic; a shortcut before a linear or ReLU
  /// activation, an activation the kernel lacks run afterwards in place). The weights are packed
  /// into `packedWeight` (the front of `scratch` when nil) unless `packedWeightIsCurrent` says an
  /// inference executor kept them packed from an earlier batch.
  static func packedProductForward(
    _ g: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, activation: ActivationKind,
    channelScale: UnsafePointer<Float>?, scratch: UnsafeMutablePointer<Float>,
    shortcut: UnsafePointer<Float>? = nil, packedWeight: UnsafeMutablePointer<Float>? = nil,
    packedWeightIsCurrent: Bool = false, threads: Int = Parallel.threadCount,
    instructionSet: DepthwiseInstructionSet = .best
  ) {
    precondition(g.groups == 1, "the packed product computes ungrouped convolutions")
    precondition(
      shortcut == nil || activation == .linear || activation == .relu,
      "a packed product adds a shortcut before a linear or ReLU activation")
    let packed = packedWeight ?? scratch
    if packedWeight == nil || !packedWeightIsCurrent {
      nnc_packed_product_pack(Int32(g.outChannels), Int32(g.columnRows), weight, packed)
    }
    let (groups, rows) = packedProductTasks(g, threads: threads)
    let columnsPerTask = groups * Int(NNC_PACKED_PRODUCT_GROUP)
    let totalColumns = g.batch * g.outHeight * g.outWidth
    let columnTasks = (totalColumns + columnsPerTask - 1) / columnsPerTask
    let rowTasks = (g.outChannels + rows - 1) / rows
    let work = scratch + packedProductWeightCount(g)
    let workFloats = nnc_packed_product_work_floats(
      Int32(g.columnRows), Int32(columnsPerTask), Int32(g.outChannels))
    let code = activation.pointwiseKernelCode
    var shape = g.patchShape
    withUnsafePointer(to: &shape) { shape in
      Parallel.forEach(
        columnTasks * rowTasks, workPerItem: columnsPerTask * rows * g.columnRows, threads: threads
      ) { part, task in
        let (columnTask, rowTask) = task.quotientAndRemainder(dividingBy: rowTasks)
        let firstColumn = columnTask * columnsPerTask
        let firstRow = rowTask * rows
        nnc_packed_product_forward(
          instructionSet.code, shape, Int32(g.outChannels), packed, input, firstColumn,
          Int32(min(columnsPerTask, totalColumns - firstColumn)), Int32(firstRow),
          Int32(min(rows, g.outChannels - firstRow)), output, shortcut, channelScale, bias,
          code ?? Int32(NNC_POINTWISE_LINEAR), packedProductReadsInPlace(g) ? 1 : 0, work + part * workFloats)
      }
    }
    if code == nil { activation.forward(UnsafePointer(output), output, count: g.outputCount) }
  }
}
