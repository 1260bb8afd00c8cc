import CKernels
import NNCGraph

/// A convolution with few input channels × taps (stems: 3 channels × 3x3 or 7x7 taps) as a product
/// of pixel patches: each task gathers its pixels' input patches, pixel by pixel ([pixels,
/// inChannels × taps], the im2col matrix transposed), and multiplies them by the direct
/// channels-last pointwise kernel (`nnc_pointwise_nhwc_forward`), which writes every output once
/// with its epilogue. Two uses, both inference:
/// - channels-last output: a convolution that feeds a channels-last region from channels-first values
///   (MobileNet's stem) writes the region's input itself (`PlannedStep.channelsLastOutput`), so the
///   reorder after it has nothing left to do;
/// - channels-first output (`ConvolutionAlgorithm.patchProduct`): each task's [pixels, filters] rows
///   are written into the output planes while in cache. ResNet's 7x7/2 stem through im2col and
///   OpenBLAS (147-row columns, 64 filters) ran at 70 GFLOP/s on two cores, against ONNX
///   Runtime's direct kernel at 3x that (26 against 9 ms a batch of 8 at 224x224).
extension Conv2D {
  /// Floats of a task's patches at most (160 KiB, within the core's L2 cache with the weights).
  static let patchProductBlockFloats = 40 * 1024
  /// Longer patches than the direct channels-last kernel's limit (input channels × taps) at most,
  /// for channels-first outputs of at most `patchProductMaximumPlane` pixels a sample: ResNet-18/32's
  /// strided layers on 4x4 and 2x2 maps, where im2col's per-sample copies and scatter dominated
  /// (3.2 -> 2.3 ms of its five strided layers a batch of 32). On ResNet-50's 28x28 and 14x14 maps
  /// OpenBLAS's products beat the direct kernel (its 4-pixel register blocks sweep all the weights),
  /// 13-15 against 16-19 ms for the 1x1/2 layers.
  static let patchProductMaximumInputs = 2304
  static let patchProductMaximumPlane = 64

  /// Output pixels per task: as many patches as `patchProductBlockFloats` holds, 8 to 256, a multiple
  /// of 8 (the transposition's blocks). A function of the geometry alone.
  static func patchProductRows(_ g: Conv2DGeometry) -> Int {
    max(8, min(256, patchProductBlockFloats / max(1, g.columnRows) / 8 * 8))
  }

  /// Whether plans run `g` by the patch product (`computesPatchProduct`, and): patches within the
  /// direct channels-last kernel's limit (stems), or longer ones on small channels-first maps.
  static func runsPatchProduct(_ g: Conv2DGeometry, outputLayout: TensorLayout = .channelsLast) -> Bool {
    guard computesPatchProduct(g) else { return false }
    if outputLayout == .channelsLast { return g.columnRows <= directChannelsLastMaximumInputs }
    if g.outHeight * g.outWidth <= patchProductMaximumPlane {
      return g.columnRows <= patchProductMaximumInputs
    }
    // Where im2col copies whole shifted planes (stride 1, the width kept) it stays ahead:
    // `cifar_cnn`'s 3 -> 64 3x3 layer on 32x32 maps took 4.2 ms a batch of 64 as a patch product,
    // 3.7 through im2col.
    return g.columnRows <= directChannelsLastMaximumInputs && !g.keepsWidthAtUnitStride
  }

  /// Whether the kernel can compute `g` at all (the choice is `runsPatchProduct`'s): ungrouped, the
  /// direct kernel's weights, patches of at most `patchProductMaximumInputs`.
  static func computesPatchProduct(_ g: Conv2DGeometry) -> Bool {
    g.groups == 1 && g.weightCount <= directChannelsLastMaximumWeights
      && g.columnRows <= patchProductMaximumInputs
  }

  /// Filters at least for channels-first plans to choose the patch product over im2col: with fewer,
  /// the kernel's 16-filter register blocks run part empty.
  static let patchProductMinimumFilters = 16

  /// Scratch floats: the packed weights, then per part of a parallel loop one block of patches and,
  /// for a channels-first output, the block's channels-last product.
  static func patchProductScratchCount(_ g: Conv2DGeometry, outputLayout: TensorLayout) -> Int {
    return g.weightCount + Parallel.maximumParts * patchBlockFloats(g, outputLayout: outputLayout)
  }

  /// Floats of one part's block: its patches (with 4 floats of slack for the overlapping copies of
  /// `gatherPatch`) and, for a channels-first output, their channels-last product.
  static func patchBlockFloats(_ g: Conv2DGeometry, outputLayout: TensorLayout) -> Int {
    let product = outputLayout == .channelsFirst ? g.outChannels : 0
    return patchProductRows(g) * (g.columnRows + product) + 4
  }

  /// output (laid out as `outputLayout`) = activation(conv(input (NCHW), weight) · channelScale +
  /// bias), the arithmetic of `nnc_pointwise_nhwc_forward` over each pixel's patch (terms in weight
  /// order: channel, row, column; taps outside the input are zeros), so both layouts hold the same
  /// bits. Tasks depend on the geometry and batch alone.
  /// A channels-first output may add a `shortcut` (NCHW like it) before a linear or ReLU activation,
  /// with `convolutionEpilogue`'s arithmetic: a residual addition fused in. The weights are packed
  /// into `packedWeight` (`weightCount` floats; the front of `scratch` when nil), unless
  /// `packedWeightIsCurrent` says an inference executor kept them packed from an earlier batch.
  static func patchProductForward(
    _ g: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, activation: ActivationKind,
    channelScale: UnsafePointer<Float>?, scratch: UnsafeMutablePointer<Float>, outputLayout: TensorLayout,
    shortcut: UnsafePointer<Float>? = nil, packedWeight: UnsafeMutablePointer<Float>? = nil,
    packedWeightIsCurrent: Bool = false, threads: Int = Parallel.threadCount,
    instructionSet: DepthwiseInstructionSet = .best
  ) {
    precondition(computesPatchProduct(g), "no patch product kernel for \(g)")
    precondition(
      shortcut == nil || (outputLayout == .channelsFirst && (activation == .linear || activation == .relu)),
      "a patch product adds a shortcut to a channels-first output before a linear or ReLU activation")
    let (patch, outputs) = (g.columnRows, g.outChannels)
    let packed = packedWeight ?? scratch
    if packedWeight == nil || !packedWeightIsCurrent {
      nnc_pointwise_nhwc_pack(Int32(outputs), Int32(patch), weight, packed)
    }
    let channelsFirst = outputLayout == .channelsFirst
    let blockFloats = patchBlockFloats(g, outputLayout: outputLayout)
    let outPlane = g.outHeight * g.outWidth
    let pixels = g.batch * outPlane
    let rows = patchProductRows(g)
    let tasks = (pixels + rows - 1) / rows
    // With a shortcut, the kernel stops at the affine part and the activation follows the addition.
    let code = shortcut == nil ? activation.pointwiseKernelCode : Int32(NNC_POINTWISE_LINEAR)
    let shape = g.patchShape
    Parallel.forEach(tasks, workPerItem: rows * patch * outputs, threads: threads) { part, task in
      let first = task * rows
      let count = min(rows, pixels - first)
      let block = scratch + g.weightCount + part * blockFloats
      withUnsafePointer(to: shape) { nnc_gather_patches($0, input, first, Int32(count), block) }
      let rowsOutput = channelsFirst ? block + rows * patch + 4 : output + first * outputs
      nnc_pointwise_nhwc_forward(
        instructionSet.code, Int32(outputs), Int32(patch), Int32(count), packed, block, rowsOutput, nil,
        channelScale, bias, code ?? Int32(NNC_POINTWISE_LINEAR))
      if code == nil {
        activation.forwardSerial(UnsafePointer(rowsOutput), rowsOutput, count: count * outputs)
      }
      guard channelsFirst else { return }
      // The block's rows into the output planes, sample by sample (a block may span two); with a
      // shortcut, added before the activation as `convolutionEpilogue` does.
      var row = 0
      while row < count {
        let (n, position) = (first + row).quotientAndRemainder(dividingBy: outPlane)
        let run = min(count - row, outPlane - position)
        let offset = n * outputs * outPlane + position
        nnc_transpose_rows(
          rowsOutput + row * outputs, Int32(run), Int32(outputs), output + offset, outPlane,
          shortcut.map { $0 + offset }, activation == .relu ? 1 : 0)
        row += run
      }
    }
  }
}

extension ActivationKind {
  /// The activation as the direct pointwise kernels apply it (an NNC_POINTWISE_* code), or nil for
  /// one they do not have: it then runs afterwards, in place.
  var pointwiseKernelCode: Int32? {
    switch self {
    case .linear: return Int32(NNC_POINTWISE_LINEAR)
    case .relu: return Int32(NNC_POINTWISE_RELU)
    case .relu6: return Int32(NNC_POINTWISE_RELU6)
    default: return nil
    }
  }
}

extension Conv2DGeometry {
  /// One sample's geometry as the C kernels that gather patches and columns take it.
  var patchShape: nnc_patch_shape {
    nnc_patch_shape(
      in_channels: Int32(inChannels), in_height: Int32(inHeight), in_width: Int32(inWidth),
      out_height: Int32(outHeight), out_width: Int32(outWidth), kernel_height: Int32(kernelHeight),
      kernel_width: Int32(kernelWidth), stride_h: Int32(strideH), stride_w: Int32(strideW),
      dilation_h: Int32(dilationH), dilation_w: Int32(dilationW), pad_top: Int32(padTop),
      pad_left: Int32(padLeft))
  }
}
