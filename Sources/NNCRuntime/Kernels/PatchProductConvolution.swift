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

  /// Whether the kernel computes `g`: ungrouped, with the direct kernel's limits on the weights and
  /// the patch length (input channels × taps), longer patches on small channels-first maps
  /// (`patchProductMaximumInputs`).
  static func runsPatchProduct(_ g: Conv2DGeometry, outputLayout: TensorLayout = .channelsLast) -> Bool {
    let smallMap = outputLayout == .channelsFirst && g.outHeight * g.outWidth <= patchProductMaximumPlane
    let maximumInputs = smallMap ? patchProductMaximumInputs : directChannelsLastMaximumInputs
    return g.groups == 1 && g.columnRows <= maximumInputs && g.weightCount <= directChannelsLastMaximumWeights
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
  /// with `convolutionEpilogue`'s arithmetic: a residual addition fused in.
  static func patchProductForward(
    _ g: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, activation: ActivationKind,
    channelScale: UnsafePointer<Float>?, scratch: UnsafeMutablePointer<Float>, outputLayout: TensorLayout,
    shortcut: UnsafePointer<Float>? = nil, threads: Int = Parallel.threadCount,
    instructionSet: DepthwiseInstructionSet = .best
  ) {
    precondition(runsPatchProduct(g, outputLayout: outputLayout), "no patch product kernel for \(g)")
    precondition(
      shortcut == nil || (outputLayout == .channelsFirst && (activation == .linear || activation == .relu)),
      "a patch product adds a shortcut to a channels-first output before a linear or ReLU activation")
    let (patch, outputs) = (g.columnRows, g.outChannels)
    let packed = scratch
    nnc_pointwise_nhwc_pack(Int32(outputs), Int32(patch), weight, packed)
    let channelsFirst = outputLayout == .channelsFirst
    let blockFloats = patchBlockFloats(g, outputLayout: outputLayout)
    let outPlane = g.outHeight * g.outWidth
    let pixels = g.batch * outPlane
    let rows = patchProductRows(g)
    let tasks = (pixels + rows - 1) / rows
    // With a shortcut, the kernel stops at the affine part and the activation follows the addition.
    let code = shortcut == nil ? activation.pointwiseKernelCode : Int32(NNC_POINTWISE_LINEAR)
    let inPlane = g.inHeight * g.inWidth
    Parallel.forEach(tasks, workPerItem: rows * patch * outputs, threads: threads) { part, task in
      let first = task * rows
      let count = min(rows, pixels - first)
      let block = scratch + g.weightCount + part * blockFloats
      // The pixel's position stepped along, not divided out per pixel (two divisions a pixel were a
      // fifth of the gather for MobileNetV2's 27-float patches).
      var (n, position) = first.quotientAndRemainder(dividingBy: outPlane)
      var (oy, ox) = position.quotientAndRemainder(dividingBy: g.outWidth)
      for row in 0..<count {
        gatherPatch(
          g, sample: input + n * g.inChannels * inPlane, oy: oy, ox: ox, into: block + row * patch)
        ox += 1
        if ox == g.outWidth {
          (oy, ox) = (oy + 1, 0)
          if oy == g.outHeight { (n, oy) = (n + 1, 0) }
        }
      }
      let rowsOutput = channelsFirst ? block + rows * patch + 4 : output + first * outputs
      nnc_pointwise_nhwc_forward(
        instructionSet.code, Int32(outputs), Int32(patch), Int32(count), packed, block, rowsOutput, nil,
        channelScale, bias, code ?? Int32(NNC_POINTWISE_LINEAR))
      if code == nil {
        activation.forwardSerial(UnsafePointer(rowsOutput), rowsOutput, count: count * outputs)
      }
      guard channelsFirst else { return }
      // The block's rows into the output planes, sample by sample (a block may span two).
      var row = 0
      while row < count {
        let (n, position) = (first + row).quotientAndRemainder(dividingBy: outPlane)
        let run = min(count - row, outPlane - position)
        let sampleOutput = output + n * outputs * outPlane + position
        transposeRows(
          rowsOutput + row * outputs, rows: run, channels: outputs, into: sampleOutput, plane: outPlane,
          shortcut: shortcut.map { $0 + (sampleOutput - output) }, relu: activation == .relu)
        row += run
      }
    }
  }

  /// [rows, channels] into `channels` planes `plane` floats apart, eight rows at a time: the eight
  /// values of a channel gathered into one vector store (an element-wise loop took as long as the
  /// product on ResNet's stem at 32x32). With a `shortcut` laid out as `target`, adds it, then
  /// applies ReLU if `relu` as `convolutionEpilogue` does after a shortcut (x ≤ 0 → 0, NaN kept).
  @inline(__always)
  private static func transposeRows(
    _ source: UnsafePointer<Float>, rows: Int, channels: Int, into target: UnsafeMutablePointer<Float>,
    plane: Int, shortcut: UnsafePointer<Float>?, relu: Bool
  ) {
    @inline(__always) func finish<Lanes: FloatLanes & ClampableLanes>(_ value: Lanes, at offset: Int) {
      guard let shortcut else { return value.store(target + offset) }
      let sum = value + Lanes.load(shortcut + offset)
      (relu ? sum.clamped(belowOrAt: 0) : sum).store(target + offset)
    }
    var first = 0
    while first + 8 <= rows {
      let block = source + first * channels
      for channel in 0..<channels {
        finish(SIMD8<Float>.load(block + channel, stride: channels), at: channel * plane + first)
      }
      first += 8
    }
    for row in first..<rows {
      for channel in 0..<channels { finish(source[row * channels + channel], at: channel * plane + row) }
    }
  }

  /// One output pixel's input patch (channel, kernel row, kernel column; zeros outside the input).
  @inline(__always)
  private static func gatherPatch(
    _ g: Conv2DGeometry, sample: UnsafePointer<Float>, oy: Int, ox: Int,
    into destination: UnsafeMutablePointer<Float>
  ) {
    let inPlane = g.inHeight * g.inWidth
    var k = 0
    let firstColumn = ox * g.strideW - g.padLeft
    // Columns inside the input for every tap: no check per tap.
    let columnsInside = firstColumn >= 0 && firstColumn + (g.kernelWidth - 1) * g.dilationW < g.inWidth
    for channel in 0..<g.inChannels {
      let plane = sample + channel * inPlane
      for ky in 0..<g.kernelHeight {
        let iy = oy * g.strideH - g.padTop + ky * g.dilationH
        if iy < 0 || iy >= g.inHeight {
          for kx in 0..<g.kernelWidth { destination[k + kx] = 0 }
        } else if columnsInside && g.dilationW == 1 && g.kernelWidth < 4 && firstColumn + 4 <= g.inWidth {
          // Four columns from a row that has them, stored over the next tap's first slots, which
          // the next copy (or the next pixel's patch, or the block's slack) overwrites: one load
          // and one store for ResNet's 3-wide strided kernels.
          let lanes = UnsafeRawPointer(plane + iy * g.inWidth + firstColumn).loadUnaligned(
            as: SIMD4<Float>.self)
          UnsafeMutableRawPointer(destination + k).storeBytes(of: lanes, as: SIMD4<Float>.self)
        } else if columnsInside && g.dilationW == 1 && g.kernelWidth >= 4 {
          // Four columns at a time, the last four overlapping the previous ones: every load stays
          // in the row (an element loop was half of the gather on ResNet's 7-wide stem).
          let source = plane + iy * g.inWidth + firstColumn
          var kx = 0
          while kx < g.kernelWidth {
            let start = min(kx, g.kernelWidth - 4)
            let lanes = UnsafeRawPointer(source + start).loadUnaligned(as: SIMD4<Float>.self)
            UnsafeMutableRawPointer(destination + k + start).storeBytes(of: lanes, as: SIMD4<Float>.self)
            kx += 4
          }
        } else if columnsInside {
          let source = plane + iy * g.inWidth + firstColumn
          for kx in 0..<g.kernelWidth { destination[k + kx] = source[kx * g.dilationW] }
        } else {
          for kx in 0..<g.kernelWidth {
            let ix = firstColumn + kx * g.dilationW
            destination[k + kx] = ix >= 0 && ix < g.inWidth ? plane[iy * g.inWidth + ix] : 0
          }
        }
        k += g.kernelWidth
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
