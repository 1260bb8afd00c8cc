import CKernels
import NNCGraph

/// A channels-first convolution as the product of weights packed once per run by columns each task
/// packs from the input (`nnc_packed_product_forward`; `ConvolutionAlgorithm.packedProduct`),
/// inference only. It replaces OpenBLAS on ResNet-50's 1x1 and strided layers, where a profile of
/// a batch put 56 % of the time in OpenBLAS's kernel and another 14 % in what surrounds it for these
/// calls: zeroing the output for beta = 0 and packing both operands on every call; and the epilogue
/// then passed over the output again. Each output's sum runs over the whole patch in order, so no
/// task or panel size changes a bit.
extension Conv2D {
  /// Floats of a task's packed columns at most (192 KiB): they stay in the core's L2 cache while
  /// every panel of weights passes over them.
  static let packedProductColumnBudget = 48 * 1024
  /// Tasks a convolution is cut into at least (when it has that many panels of weights), so that
  /// the threads share them evenly.
  static let packedProductMinimumTasks = 16

  /// Whether inference plans run `g` (laid out channels-first) as a packed product: ungrouped
  /// convolutions with patches of 64 floats or more that are either 1x1 on maps of 49 to
  /// `inferenceSampleColumns` pixels (ResNet-50's 7x7 maps, where a sample's 49 columns left
  /// OpenBLAS's panels part empty and the whole-batch path copied the planes side by side and back)
  /// or strided with taps and 128 filters or more (ResNet-50's 3x3/2 layers: no im2col matrix). In
  /// alternating runs of ResNet-50 (batch 8, two threads, AVX-512 Zen 4) these layers took 14.5
  /// against 16.1 ms (1x1 to 2048x7x7), 11.6 against 12.6 (3x3/2 to 512x7x7), 10.9 against 11.7 and
  /// 10.1 against 10.6; the 1x1 layers on larger maps, the strided 1x1 ones and the 7x7 stem (64
  /// filters over 147-float patches: packing the columns cost as much as the product) ran 3–50 %
  /// slower than their sample tiles and patch product, so they keep those.
  static func runsPackedProduct(_ g: Conv2DGeometry) -> Bool {
    guard g.groups == 1 && g.columnRows >= packedProductMinimumPatch else { return false }
    let plane = g.outHeight * g.outWidth
    if g.isPointwise {
      // Patches longer than half the column budget leave a task one panel of columns, for which
      // every panel of weights streams in again from L3: ResNet-50's 2048 -> 512 layers on 7x7
      // maps ran 4 % slower than the whole batch's product.
      return plane >= packedProductMinimumPlane && plane < inferenceSampleColumns
        && g.outChannels >= packedProductMinimumPatch
        && g.columnRows * 2 * Int(NNC_PACKED_PRODUCT_COLUMNS) <= packedProductColumnBudget
    }
    let strided = g.strideH > 1 || g.strideW > 1
    return strided && g.kernelHeight * g.kernelWidth > 1 && plane >= packedProductMinimumPlane
      && g.outChannels >= packedProductMinimumStridedFilters
  }

  static let packedProductMinimumPatch = 64
  static let packedProductMinimumPlane = 49
  static let packedProductMinimumStridedFilters = 128

  /// Column panels (of `NNC_PACKED_PRODUCT_COLUMNS`) per task and output channels per task: panels
  /// within the budget, spread evenly; channels in whole weight panels, split until there are
  /// `packedProductMinimumTasks` tasks. A function of the geometry (its batch included).
  static func packedProductTasks(_ g: Conv2DGeometry) -> (panels: Int, rows: Int) {
    let columns = Int(NNC_PACKED_PRODUCT_COLUMNS)
    let rowsPerPanel = Int(NNC_PACKED_PRODUCT_ROWS)
    let totalPanels = (g.batch * g.outHeight * g.outWidth + columns - 1) / columns
    let panelLimit = max(1, packedProductColumnBudget / (g.columnRows * columns))
    let columnTasks = (totalPanels + panelLimit - 1) / panelLimit
    let panels = (totalPanels + columnTasks - 1) / columnTasks
    let weightPanels = (g.outChannels + rowsPerPanel - 1) / rowsPerPanel
    let rowTasks = min(weightPanels, max(1, (packedProductMinimumTasks + columnTasks - 1) / columnTasks))
    return (panels, (weightPanels + rowTasks - 1) / rowTasks * rowsPerPanel)
  }

  /// Floats of the packed weights (kept by an inference executor).
  static func packedProductWeightCount(_ g: Conv2DGeometry) -> Int {
    nnc_packed_product_weight_floats(Int32(g.outChannels), Int32(g.columnRows))
  }

  /// Scratch floats: the packed weights, then a task's packed columns per part of the loop.
  static func packedProductScratchCount(_ g: Conv2DGeometry) -> Int {
    let columns = packedProductTasks(g).panels * Int(NNC_PACKED_PRODUCT_COLUMNS)
    return packedProductWeightCount(g)
      + Parallel.maximumParts * nnc_packed_product_work_floats(Int32(g.columnRows), Int32(columns))
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
    let (panels, rows) = packedProductTasks(g)
    let columnsPerTask = panels * Int(NNC_PACKED_PRODUCT_COLUMNS)
    let totalColumns = g.batch * g.outHeight * g.outWidth
    let columnTasks = (totalColumns + columnsPerTask - 1) / columnsPerTask
    let rowTasks = (g.outChannels + rows - 1) / rows
    let work = scratch + packedProductWeightCount(g)
    let workFloats = nnc_packed_product_work_floats(Int32(g.columnRows), Int32(columnsPerTask))
    let code = activation.pointwiseKernelCode
    var shape = nnc_patch_shape(
      in_channels: Int32(g.inChannels), in_height: Int32(g.inHeight), in_width: Int32(g.inWidth),
      out_height: Int32(g.outHeight), out_width: Int32(g.outWidth), kernel_height: Int32(g.kernelHeight),
      kernel_width: Int32(g.kernelWidth), stride_h: Int32(g.strideH), stride_w: Int32(g.strideW),
      dilation_h: Int32(g.dilationH), dilation_w: Int32(g.dilationW), pad_top: Int32(g.padTop),
      pad_left: Int32(g.padLeft))
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
          code ?? Int32(NNC_POINTWISE_LINEAR), work + part * workFloats)
      }
    }
    if code == nil { activation.forward(UnsafePointer(output), output, count: g.outputCount) }
  }
}
