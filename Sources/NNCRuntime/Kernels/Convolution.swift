/// The shape of a 2-D convolution over NCHW tensors: input [batch, inChannels, inHeight, inWidth],
/// weight [outChannels, inChannels / groups, kernelHeight, kernelWidth], optional bias [outChannels],
/// output [batch, outChannels, outHeight, outWidth]. Padding may differ on each side (TF-style `same`).
public struct Conv2DGeometry: Sendable, Hashable {
  public var batch: Int
  public var inChannels: Int
  public var inHeight: Int
  public var inWidth: Int
  public var outChannels: Int
  public var kernelHeight: Int
  public var kernelWidth: Int
  public var strideH: Int
  public var strideW: Int
  public var dilationH: Int
  public var dilationW: Int
  public var padTop: Int
  public var padBottom: Int
  public var padLeft: Int
  public var padRight: Int
  public var groups: Int

  public init(
    batch: Int, inChannels: Int, inHeight: Int, inWidth: Int, outChannels: Int,
    kernelHeight: Int, kernelWidth: Int, strideH: Int = 1, strideW: Int = 1,
    dilationH: Int = 1, dilationW: Int = 1, padTop: Int = 0, padBottom: Int = 0,
    padLeft: Int = 0, padRight: Int = 0, groups: Int = 1
  ) {
    self.batch = batch
    self.inChannels = inChannels
    self.inHeight = inHeight
    self.inWidth = inWidth
    self.outChannels = outChannels
    self.kernelHeight = kernelHeight
    self.kernelWidth = kernelWidth
    self.strideH = strideH
    self.strideW = strideW
    self.dilationH = dilationH
    self.dilationW = dilationW
    self.padTop = padTop
    self.padBottom = padBottom
    self.padLeft = padLeft
    self.padRight = padRight
    self.groups = groups
  }

  public var outHeight: Int {
    (inHeight + padTop + padBottom - dilationH * (kernelHeight - 1) - 1) / strideH + 1
  }

  public var outWidth: Int {
    (inWidth + padLeft + padRight - dilationW * (kernelWidth - 1) - 1) / strideW + 1
  }

  public var inChannelsPerGroup: Int { inChannels / groups }
  public var outChannelsPerGroup: Int { outChannels / groups }

  /// Elements of the input, weight and output tensors.
  public var inputCount: Int { batch * inChannels * inHeight * inWidth }
  public var weightCount: Int { outChannels * inChannelsPerGroup * kernelHeight * kernelWidth }
  public var outputCount: Int { batch * outChannels * outHeight * outWidth }

  /// A 1x1, stride-1, unpadded convolution: each sample's input already is the im2col matrix.
  public var isPointwise: Bool {
    kernelHeight == 1 && kernelWidth == 1 && strideH == 1 && strideW == 1
      && padTop == 0 && padBottom == 0 && padLeft == 0 && padRight == 0
  }

  /// One group per input channel with `outChannels` a multiple of `inChannels` (the depth multiplier):
  /// the shape `DepthwiseConv2D` handles directly.
  public var isDepthwise: Bool {
    groups == inChannels && outChannels % inChannels == 0
  }

  /// Stride and dilation 1 with an output as wide as the input (`same` padding along the width): an
  /// im2col row is a shifted copy of the input plane (`Conv2D.shiftedPlaneCopy`).
  var keepsWidthAtUnitStride: Bool {
    strideH == 1 && strideW == 1 && dilationH == 1 && dilationW == 1 && outWidth == inWidth
  }

  /// A 1x1, unpadded convolution with a stride: its columns are a subsample of the input.
  var isStridedPointwise: Bool {
    kernelHeight == 1 && kernelWidth == 1 && !isPointwise && padTop == 0 && padBottom == 0 && padLeft == 0
      && padRight == 0
  }

  /// When the im2col matrix is the input with its samples and outer axes swapped
  /// (`Conv2D.swapOuterAxes`): a pointwise convolution's (planes of the map's pixels after the
  /// channels), and one whose kernel covers its whole unpadded input for a single output pixel
  /// (each pixel of a sample a row of its own: ResNet-18/32's last strided layer cropped to 2x2).
  var inputSwappedIntoColumns: (columns: Int, plane: Int)? {
    if isPointwise { return (inChannels, inHeight * inWidth) }
    if outHeight == 1 && outWidth == 1 && kernelHeight == inHeight && kernelWidth == inWidth
      && padTop == 0 && padLeft == 0 && dilationH == 1 && dilationW == 1
    {
      return (inChannels * inHeight * inWidth, 1)
    }
    return nil
  }

  /// Rows of one sample's im2col matrix (all groups stacked): inChannels * kernelHeight * kernelWidth.
  var columnRows: Int { inChannels * kernelHeight * kernelWidth }

  /// TF-style `same` padding along one axis: the output has ceil(input / stride) positions and the odd
  /// pixel of padding, if any, goes after (bottom / right).
  public static func samePadding(input: Int, kernel: Int, stride: Int, dilation: Int = 1) -> (
    before: Int, after: Int
  ) {
    let output = (input + stride - 1) / stride
    let effectiveKernel = dilation * (kernel - 1) + 1
    let total = max(0, (output - 1) * stride + effectiveKernel - input)
    return (total / 2, total - total / 2)
  }

  /// Throws a `KernelError` naming the first inconsistent field.
  public func validate() throws(KernelError) {
    let name = "conv2d"
    try requirePositive(batch, "batch", in: name)
    try requirePositive(inChannels, "inChannels", in: name)
    try requirePositive(inHeight, "inHeight", in: name)
    try requirePositive(inWidth, "inWidth", in: name)
    try requirePositive(outChannels, "outChannels", in: name)
    try requirePositive(kernelHeight, "kernelHeight", in: name)
    try requirePositive(kernelWidth, "kernelWidth", in: name)
    try requirePositive(strideH, "strideH", in: name)
    try requirePositive(strideW, "strideW", in: name)
    try requirePositive(dilationH, "dilationH", in: name)
    try requirePositive(dilationW, "dilationW", in: name)
    try requireNonNegative(padTop, "padTop", in: name)
    try requireNonNegative(padBottom, "padBottom", in: name)
    try requireNonNegative(padLeft, "padLeft", in: name)
    try requireNonNegative(padRight, "padRight", in: name)
    try requirePositive(groups, "groups", in: name)
    guard inChannels % groups == 0, outChannels % groups == 0 else {
      throw KernelError(
        "\(name): groups (\(groups)) must divide inChannels (\(inChannels)) and outChannels (\(outChannels))")
    }
    let extentH = dilationH * (kernelHeight - 1) + 1
    let extentW = dilationW * (kernelWidth - 1) + 1
    guard extentH <= inHeight + padTop + padBottom, extentW <= inWidth + padLeft + padRight else {
      throw KernelError(
        "\(name): the dilated kernel (\(extentH)x\(extentW)) is larger than the padded input "
          + "(\(inHeight + padTop + padBottom)x\(inWidth + padLeft + padRight))")
    }
  }
}

/// Convolution by im2col + SGEMM. Samples are processed in chunks: the column matrices of a chunk sit
/// side by side ([rows, chunk·outPlane]) so one product per group covers the whole chunk — small
/// feature maps (late ResNet stages, LeNet) would otherwise make many tiny, inefficient products. A
/// chunk of one sample writes its product straight into the NCHW output; a larger chunk goes through
/// a [outChannels, chunk·outPlane] buffer that the bias/activation pass scatters into place. A
/// pointwise convolution (`isPointwise`) of one sample multiplies the input directly. Gradients of
/// weight and bias are *accumulated* (the caller zeroes them once per step); the input gradient is
/// overwritten.
public enum Conv2D {
  /// Aim for products at least this wide (columns), within `columnBudget` floats of columns.
  static let targetColumns = 4096
  static let columnBudget = 1 << 23

  /// Samples per chunk: enough for `targetColumns`, at most the batch, within the column budget.
  static func chunkSize(_ g: Conv2DGeometry) -> Int {
    let plane = g.outHeight * g.outWidth
    var chunk = min(g.batch, max(1, (targetColumns + plane - 1) / plane))
    while chunk > 1 && chunk * g.columnRows * plane > columnBudget { chunk -= 1 }
    return max(1, chunk)
  }

  /// Float scratch elements `forward` and `backward` need for `geometry` (its batch included) run
  /// by `algorithm` (nil: `algorithm(for:)`): the column matrices of one chunk (none for a pointwise
  /// convolution run a sample at a time) and, for chunks of several samples, the chunk's
  /// output-shaped product.
  public static func scratchCount(_ geometry: Conv2DGeometry, algorithm: ConvolutionAlgorithm? = nil) -> Int {
    let chosen = algorithm ?? Self.algorithm(for: geometry)
    switch chosen {
    case .depthwise:
      return DepthwiseConv2D.scratchCount(geometry)
    case .channelsLastPointwise:
      return channelsLastPointwiseScratchCount(geometry)
    case .denseProduct:
      return channelsLastPointwiseScratchCount(geometry.denseProductGeometry)
    case .patchProduct:
      return patchProductScratchCount(geometry, outputLayout: .channelsFirst)
    case .packedProduct:
      return packedProductScratchCount(geometry)
    case .planeProduct:
      return planeProductScratchCount(geometry)
    case .stridedStem:
      return stridedStemScratchCount(geometry)
    case .channelsLastDepthwise:
      return DepthwiseConv2D.channelsLastScratchCount(geometry)
    case .cropped(let crop, let inner):
      // The cropped weights and their gradient, then the cropped convolution's own scratch.
      return 2 * crop.geometry.weightCount
        + scratchCount(crop.geometry(batch: geometry.batch), algorithm: inner)
    case .winograd:
      return WinogradConv2D.scratchCount(geometry)
    case .winograd4x4:
      return Winograd4x4Conv2D.scratchCount(geometry)
    case .direct:
      // Forward's per-part samples, or backward's im2col chunks.
      return max(DirectConv2D.scratchCount(geometry), scratchCount(geometry, algorithm: .im2col))
    case .im2col, .pointwise, .sampleTiles:
      // The whole-batch chunks of `columnsBackward` (and of `columnsForward` off the tiled path),
      // and the tiles of `tiledColumnsForward`.
      let chunk = chunkSize(geometry)
      let plane = geometry.outHeight * geometry.outWidth
      let chunks =
        chunk == 1
        ? (geometry.isPointwise ? 0 : geometry.columnRows * plane)
        : (geometry.columnRows + geometry.outChannels) * chunk * plane
      let sampleSlots = chosen == .sampleTiles ? sampleTilesScratchCount(geometry) : 0
      let planeGradient = runsPlaneInputGradient(geometry) ? pointwiseInputGradientScratchCount(geometry) : 0
      return max(chunks, tiledScratchCount(geometry), sampleSlots, planeGradient)
    }
  }

  /// Floats of prepared weights `forward` can keep for `backward` (the `keptWeight` argument) when
  /// run by `algorithm` (nil: `algorithm(for:)`): the cropped kernel of a `liveTapCrop`, the
  /// transformed kernel of a Winograd convolution, the packed weights of the channels-last pointwise
  /// kernel and of the dense and patch products (inference), else none.
  public static func keptWeightCount(_ geometry: Conv2DGeometry, algorithm: ConvolutionAlgorithm? = nil)
    -> Int
  {
    switch algorithm ?? Self.algorithm(for: geometry) {
    case .cropped(let crop, _): return crop.geometry.weightCount
    case .winograd: return WinogradConv2D.transformedWeightCount(geometry)
    case .winograd4x4: return Winograd4x4Conv2D.transformedWeightCount(geometry)
    case .channelsLastPointwise: return channelsLastPointwiseScratchCount(geometry)
    case .denseProduct: return channelsLastPointwiseScratchCount(geometry.denseProductGeometry)
    case .patchProduct: return geometry.weightCount
    case .packedProduct: return packedProductWeightCount(geometry)
    case .planeProduct: return planeProductWeightCount(geometry)
    case .stridedStem: return stridedStemWeightCount(geometry)
    case .im2col, .pointwise, .sampleTiles, .depthwise, .direct, .channelsLastDepthwise:
      return 0
    }
  }

  /// output = activation(conv(input, weight) · channelScale + bias), a nil `channelScale` being 1
  /// (`convolutionEpilogue`), computed by `algorithm` (nil: `algorithm(for:)`). The epilogue is fused
  /// into one pass, so the output is written by the product and touched once more. A cropped
  /// convolution gathers its cropped weights, and a Winograd convolution transforms its weights, into
  /// `keptWeight` when given (`keptWeightCount` floats; the caller keeps them
  /// for `backward`, saving a pass over the full weights), else into scratch. The depthwise kernel
  /// takes no `channelScale` (fold it into the weights), and scratch only for its flat kernels' buffers
  /// (`DepthwiseConv2D.scratchCount`). `keptWeightIsPrepared` says
  /// that `keptWeight` already holds the prepared weights of this `weight` (an inference executor
  /// caching them): they are used as they are. A `shortcut` (NCHW like `output`) is added in the
  /// epilogue before the activation (`convolutionEpilogue`): a residual addition fused in.
  public static func forward(
    _ geometry: Conv2DGeometry, algorithm: ConvolutionAlgorithm? = nil, input: UnsafePointer<Float>,
    weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>?, activation: ActivationKind = .linear,
    keptWeight: UnsafeMutablePointer<Float>? = nil, channelScale: UnsafePointer<Float>? = nil,
    keptWeightIsPrepared: Bool = false, shortcut: UnsafePointer<Float>? = nil
  ) {
    let prepared = keptWeightIsPrepared && keptWeight != nil
    let chosen = algorithm ?? Self.algorithm(for: geometry)
    precondition(
      shortcut == nil || (chosen.addsShortcut && (activation == .linear || activation == .relu)),
      "a shortcut is added by the im2col, pointwise and Winograd kernels only, before a linear or ReLU activation"
    )
    switch chosen {
    case .depthwise:
      precondition(channelScale == nil, "the depthwise kernel takes its channel scale in the weights")
      DepthwiseConv2D.forward(
        geometry, input: input, weight: weight, bias: bias, output: output, activation: activation,
        scratch: scratch)
    case .channelsLastDepthwise:
      precondition(channelScale == nil, "the depthwise kernel takes its channel scale in the weights")
      DepthwiseConv2D.forwardChannelsLast(
        geometry, input: input, weight: weight, bias: bias, output: output, activation: activation,
        scratch: requireScratch(geometry, scratch))
    case .channelsLastPointwise:
      channelsLastPointwiseForward(
        geometry, input: input, weight: weight, bias: bias, output: output, activation: activation,
        channelScale: channelScale, shortcut: shortcut, packedWeight: keptWeight ?? scratch,
        packedWeightIsCurrent: prepared)
    case .denseProduct:
      channelsLastPointwiseForward(
        geometry.denseProductGeometry, input: input, weight: weight, bias: bias, output: output,
        activation: activation, channelScale: channelScale, shortcut: shortcut,
        packedWeight: keptWeight ?? scratch, packedWeightIsCurrent: prepared)
    case .patchProduct:
      patchProductForward(
        geometry, input: input, weight: weight, bias: bias, output: output, activation: activation,
        channelScale: channelScale, scratch: requireScratch(geometry, scratch), outputLayout: .channelsFirst,
        shortcut: shortcut, packedWeight: keptWeight, packedWeightIsCurrent: prepared)
    case .packedProduct:
      packedProductForward(
        geometry, input: input, weight: weight, bias: bias, output: output, activation: activation,
        channelScale: channelScale, scratch: requireScratch(geometry, scratch), shortcut: shortcut,
        packedWeight: keptWeight, packedWeightIsCurrent: prepared)
    case .planeProduct:
      planeProductForward(
        geometry, input: input, weight: weight, bias: bias, output: output, activation: activation,
        channelScale: channelScale, scratch: requireScratch(geometry, scratch), shortcut: shortcut,
        packedWeight: keptWeight, packedWeightIsCurrent: prepared)
    case .stridedStem:
      stridedStemForward(
        geometry, input: input, weight: weight, bias: bias, output: output, activation: activation,
        channelScale: channelScale, scratch: requireScratch(geometry, scratch), packedWeight: keptWeight,
        packedWeightIsCurrent: prepared)
    case .cropped(let crop, .denseProduct):
      // The kept floats hold the cropped weights packed for the product: gathered into scratch
      // first, packed by the product.
      let croppedWeight = requireScratch(geometry, scratch)
      if !prepared { crop.gather(weight, into: croppedWeight) }
      forward(
        crop.geometry(batch: geometry.batch), algorithm: .denseProduct, input: input, weight: croppedWeight,
        bias: bias, output: output, scratch: croppedWeight + 2 * crop.geometry.weightCount,
        activation: activation, keptWeight: keptWeight, channelScale: channelScale,
        keptWeightIsPrepared: prepared, shortcut: shortcut)
    case .cropped(let crop, let inner):
      let croppedWeight = keptWeight ?? requireScratch(geometry, scratch)
      if !prepared { crop.gather(weight, into: croppedWeight) }
      forward(
        crop.geometry(batch: geometry.batch), algorithm: inner, input: input, weight: croppedWeight,
        bias: bias, output: output,
        scratch: requireScratch(geometry, scratch) + 2 * crop.geometry.weightCount, activation: activation,
        channelScale: channelScale, shortcut: shortcut)
    case .winograd:
      WinogradConv2D.forward(
        geometry, input: input, weight: weight, bias: bias, output: output,
        scratch: requireScratch(geometry, scratch), activation: activation, keptWeight: keptWeight,
        channelScale: channelScale, weightIsPrepared: prepared, shortcut: shortcut)
    case .winograd4x4:
      Winograd4x4Conv2D.forward(
        geometry, input: input, weight: weight, bias: bias, output: output,
        scratch: requireScratch(geometry, scratch), activation: activation, keptWeight: keptWeight,
        channelScale: channelScale, weightIsPrepared: prepared, shortcut: shortcut)
    case .direct:
      DirectConv2D.forward(
        geometry, input: input, weight: weight, bias: bias, output: output,
        scratch: requireScratch(geometry, scratch), activation: activation, channelScale: channelScale)
    case .sampleTiles where geometry.batch >= pointwiseSampleTiles:
      tiledColumnsForward(
        geometry, samplesPerTile: 1, input: input, weight: weight, bias: bias, output: output,
        scratch: requireScratch(geometry, scratch), activation: activation, channelScale: channelScale,
        shortcut: shortcut)
    case .im2col, .pointwise, .sampleTiles:
      columnsForward(
        geometry, input: input, weight: weight, bias: bias, output: output, scratch: scratch,
        activation: activation, channelScale: channelScale, shortcut: shortcut)
    }
  }

  /// `forward` by im2col (or the input itself as the columns, pointwise) and SGEMM: in tiles of
  /// samples on small maps (`samplesPerTile`), else in whole-batch chunks.
  private static func columnsForward(
    _ geometry: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>?, activation: ActivationKind, channelScale: UnsafePointer<Float>?,
    shortcut: UnsafePointer<Float>?
  ) {
    let g = geometry
    if let tileSamples = samplesPerTile(g) {
      tiledColumnsForward(
        g, samplesPerTile: tileSamples, input: input, weight: weight, bias: bias, output: output,
        scratch: requireScratch(g, scratch), activation: activation, channelScale: channelScale,
        shortcut: shortcut)
      return
    }
    let plane = g.outHeight * g.outWidth
    let inSample = g.inChannels * g.inHeight * g.inWidth
    let outSample = g.outChannels * plane
    let groupRows = g.inChannelsPerGroup * g.kernelHeight * g.kernelWidth
    let groupOut = g.outChannelsPerGroup
    let chunk = chunkSize(g)
    var first = 0
    while first < g.batch {
      let count = min(chunk, g.batch - first)
      let width = count * plane
      let columns = columnMatrix(
        g, input: input + first * inSample, samples: count, chunk: chunk, scratch: scratch)
      // One sample: the product is already NCHW. Several: [outChannels, width] after the columns.
      let product =
        chunk == 1 ? output + first * outSample : requireScratch(g, scratch) + g.columnRows * chunk * plane
      for group in 0..<g.groups {
        sgemm(
          transposeA: false, transposeB: false, m: groupOut, n: width, k: groupRows,
          a: weight + group * groupOut * groupRows, lda: groupRows,
          b: columns + group * groupRows * width, ldb: width,
          c: product + group * groupOut * width, ldc: width)
      }
      if chunk == 1 {
        if bias != nil || channelScale != nil || activation != .linear || shortcut != nil {
          let sampleShortcut = shortcut.map { $0 + first * outSample }
          Parallel.forEach(g.outChannels, workPerItem: plane) { channel in
            let row = product + channel * plane
            convolutionEpilogue(
              row, row, count: plane, scale: channelScale?[channel], bias: bias?[channel],
              activation: activation, shortcut: sampleShortcut.map { $0 + channel * plane })
          }
        }
      } else {
        scatter(
          product, samples: count, channels: g.outChannels, plane: plane, into: output + first * outSample,
          scale: channelScale, bias: bias, activation: activation,
          shortcut: shortcut.map { $0 + first * outSample })
      }
      first += count
    }
  }

  /// Gradients of `forward` without activation (run the activation's backward first), computed by
  /// `algorithm` (nil: `algorithm(for:)`). Any of `gradInput`, `gradWeight`, `gradBias` may be nil to
  /// skip it (the first layer needs no gradInput). `keptWeight`, if given, holds the weights `forward`
  /// kept (see there).
  public static func backward(
    _ geometry: Conv2DGeometry, algorithm: ConvolutionAlgorithm? = nil, input: UnsafePointer<Float>,
    weight: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>?,
    gradWeight: UnsafeMutablePointer<Float>?, gradBias: UnsafeMutablePointer<Float>?,
    scratch: UnsafeMutablePointer<Float>?, keptWeight: UnsafePointer<Float>? = nil
  ) {
    switch algorithm ?? Self.algorithm(for: geometry) {
    case .depthwise:
      DepthwiseConv2D.backward(
        geometry, input: input, weight: weight, gradOutput: gradOutput, gradInput: gradInput,
        gradWeight: gradWeight, gradBias: gradBias, scratch: scratch)
    case .cropped(let crop, let inner):
      let scratchWeight = requireScratch(geometry, scratch)
      let croppedGradWeight = scratchWeight + crop.geometry.weightCount
      let croppedWeight = keptWeight ?? UnsafePointer(scratchWeight)
      if keptWeight == nil { crop.gather(weight, into: scratchWeight) }
      if gradWeight != nil { croppedGradWeight.update(repeating: 0, count: crop.geometry.weightCount) }
      backward(
        crop.geometry(batch: geometry.batch), algorithm: inner, input: input, weight: croppedWeight,
        gradOutput: gradOutput, gradInput: gradInput,
        gradWeight: gradWeight == nil ? nil : croppedGradWeight, gradBias: gradBias,
        scratch: scratchWeight + 2 * crop.geometry.weightCount)
      if let gradWeight { crop.scatterAdd(croppedGradWeight, into: gradWeight) }
    case .winograd:
      WinogradConv2D.backward(
        geometry, input: input, weight: weight, gradOutput: gradOutput, gradInput: gradInput,
        gradWeight: gradWeight, gradBias: gradBias, scratch: requireScratch(geometry, scratch),
        keptWeight: keptWeight)
    case .winograd4x4:
      // Only inference plans choose it (`ConvolutionAlgorithm.choose(for:mode:)`).
      preconditionFailure("F(4x4, 3x3) convolutions have no backward: training plans run F(2x2, 3x3)")
    case .channelsLastPointwise, .channelsLastDepthwise:
      preconditionFailure("channels-last convolutions have no backward: only inference graphs change layout")
    case .denseProduct, .patchProduct, .packedProduct, .planeProduct, .stridedStem:
      preconditionFailure(
        "dense, patch, packed and plane products and strided stems have no backward: only inference plans choose them"
      )
    case .im2col, .pointwise, .sampleTiles, .direct:
      columnsBackward(
        geometry, input: input, weight: weight, gradOutput: gradOutput, gradInput: gradInput,
        gradWeight: gradWeight, gradBias: gradBias, scratch: scratch)
    }
  }

  /// Output pixels at least of a pointwise layer whose backward products run a sample at a time, on
  /// the NCHW planes where they lie: chunks of samples gathered the output gradient, swapped the
  /// input into columns and scattered the input gradient back, three copies beside the ones OpenBLAS
  /// makes when it packs. MobileNetV2 at 64x64, batch 32, backward passes in a training step (three
  /// alternating profiles, both products through OpenBLAS): 16 -> 96 on 32x32 maps 3.2-3.3 -> 3.0
  /// ms, 24 -> 144 on 16x16 3.2 -> 2.6, 32 -> 16 on 32x32 1.4 -> 1.0; the projections to 24x16x16
  /// 3.0 against 2.9 (their 256-column products packed per sample).
  static let pointwiseBackwardSamplePixels = 256

  /// Output pixels at least of a pointwise layer whose weight gradient `pointwiseWeightGradient`
  /// computes, chunked or not. MobileNetV2 (as above, against OpenBLAS's products): 24x16x16's
  /// backward passes 3.1 -> 2.4 ms, 144x16x16's 2.7 -> 2.1, 192x8x8's 1.4-1.6 -> 1.2-1.3; from 16
  /// pixels (a vector a plane) 576x4x4's went 1.8-2.0 -> 2.6-3.3, and from one pixel the 2x2 maps'
  /// six times slower.
  static let pointwiseGradientMinimumPixels = 64

  /// `backward` by im2col (or the input itself as the columns, pointwise), SGEMM and col2im.
  private static func columnsBackward(
    _ geometry: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>?,
    gradWeight: UnsafeMutablePointer<Float>?, gradBias: UnsafeMutablePointer<Float>?,
    scratch: UnsafeMutablePointer<Float>?
  ) {
    let g = geometry
    let plane = g.outHeight * g.outWidth
    let inSample = g.inChannels * g.inHeight * g.inWidth
    let outSample = g.outChannels * plane
    let groupRows = g.inChannelsPerGroup * g.kernelHeight * g.kernelWidth
    let groupOut = g.outChannelsPerGroup
    let chunk = g.isPointwise && plane >= pointwiseBackwardSamplePixels ? 1 : chunkSize(g)
    let planeInputGradient = runsPlaneInputGradient(g)
    if planeInputGradient, let gradInput {
      pointwiseInputGradient(
        g, weight: weight, gradOutput: gradOutput, gradInput: gradInput, scratch: requireScratch(g, scratch))
    }
    let ownWeightGradient = g.isPointwise && plane >= pointwiseGradientMinimumPixels
    if ownWeightGradient, let gradWeight {
      pointwiseWeightGradient(g, input: input, gradOutput: gradOutput, gradWeight: gradWeight)
    }
    // Chunks run in order and each product accumulates with beta = 1, so the batch sum is
    // deterministic; OpenBLAS parallelizes inside each product. None when the kernels above took
    // both products (no chunk of the output gradient gathered for nothing).
    let chunkProducts = (gradWeight != nil && !ownWeightGradient) || (gradInput != nil && !planeInputGradient)
    var first = chunkProducts ? 0 : g.batch
    while first < g.batch {
      let count = min(chunk, g.batch - first)
      let width = count * plane
      let chunkGradOutput: UnsafePointer<Float>
      if chunk == 1 {
        chunkGradOutput = gradOutput + first * outSample
      } else {
        let gathered = requireScratch(g, scratch) + g.columnRows * chunk * plane
        gather(
          gradOutput + first * outSample, samples: count, channels: g.outChannels, plane: plane,
          into: gathered)
        chunkGradOutput = UnsafePointer(gathered)
      }
      if let gradWeight, !ownWeightGradient {
        let columns = columnMatrix(
          g, input: input + first * inSample, samples: count, chunk: chunk, scratch: scratch)
        for group in 0..<g.groups {
          sgemm(
            transposeA: false, transposeB: true, m: groupOut, n: groupRows, k: width,
            a: chunkGradOutput + group * groupOut * width, lda: width,
            b: columns + group * groupRows * width, ldb: width, beta: 1,
            c: gradWeight + group * groupOut * groupRows, ldc: groupRows)
        }
      }
      if let gradInput, !planeInputGradient {
        let chunkGradInput = gradInput + first * inSample
        // One pointwise sample: the column matrix is the input gradient itself.
        let direct = chunk == 1 && g.isPointwise
        let columns = direct ? chunkGradInput : requireScratch(g, scratch)
        for group in 0..<g.groups {
          sgemm(
            transposeA: true, transposeB: false, m: groupRows, n: width, k: groupOut,
            a: weight + group * groupOut * groupRows, lda: groupRows,
            b: chunkGradOutput + group * groupOut * width, ldb: width,
            c: columns + group * groupRows * width, ldc: width)
        }
        if !direct { col2im(g, columns: columns, samples: count, into: chunkGradInput) }
      }
      first += count
    }
    if let gradBias {
      accumulateBiasGradient(
        gradOutput, batch: g.batch, channels: g.outChannels, plane: plane, gradBias: gradBias)
    }
  }

  /// The [columnRows, samples·outPlane] matrix of a chunk: the sample itself for one pointwise
  /// sample, else im2col into `scratch`.
  private static func columnMatrix(
    _ g: Conv2DGeometry, input: UnsafePointer<Float>, samples: Int, chunk: Int,
    scratch: UnsafeMutablePointer<Float>?
  ) -> UnsafePointer<Float> {
    if chunk == 1 && g.isPointwise { return input }
    let columns = requireScratch(g, scratch)
    im2col(g, input: input, samples: samples, columns: columns)
    return UnsafePointer(columns)
  }

  private static func requireScratch(_ g: Conv2DGeometry, _ scratch: UnsafeMutablePointer<Float>?)
    -> UnsafeMutablePointer<Float>
  {
    guard let scratch else {
      preconditionFailure("Conv2D: \(scratchCount(g)) scratch elements are required for \(g)")
    }
    return scratch
  }

  /// Output planes up to this many pixels are written by im2col element by element, zeros included
  /// (but for `keepsWidthAtUnitStride`, whose taps stay shifted plane copies).
  static let shortPlane = 16

  /// Row (c, ki, kj) of the column matrix holds, for every sample and output position, the input
  /// pixel that kernel tap (ki, kj) of channel c sees there, or 0 in the padding. Sample n's
  /// positions occupy columns n·outPlane ..< (n+1)·outPlane of each row.
  static func im2col(
    _ g: Conv2DGeometry, input: UnsafePointer<Float>, samples: Int, columns: UnsafeMutablePointer<Float>
  ) {
    if let swap = g.inputSwappedIntoColumns {
      swapOuterAxes(input, rows: samples, columns: swap.columns, plane: swap.plane, into: columns)
      return
    }
    if g.isStridedPointwise {
      forEachSubsampledPixel(g, samples: samples) { column, pixel in columns[column] = input[pixel] }
      return
    }
    let taps = g.kernelHeight * g.kernelWidth
    Parallel.forEach(samples * g.inChannels, workPerItem: taps * g.outHeight * g.outWidth) { item in
      im2col(g, input: input, samples: samples, columns: columns, item: item)
    }
  }

  /// Calls `body(column, pixel)` for every entry of a strided pointwise convolution's column matrix
  /// and the input pixel it holds, a channel's row per task: the (sample, channel) items of the
  /// general path cost a bookkeeping pass per pixel on the small maps where these layers sit
  /// (ResNet's downsampling shortcuts, 2x2 → 1x1).
  @inline(__always)
  static func forEachSubsampledPixel(
    _ g: Conv2DGeometry, samples: Int, _ body: (_ column: Int, _ pixel: Int) -> Void
  ) {
    let (outH, outW, plane) = (g.outHeight, g.outWidth, g.outHeight * g.outWidth)
    let (inPlane, rowStep, columnStep) = (g.inHeight * g.inWidth, g.strideH * g.inWidth, g.strideW)
    let channels = g.inChannels
    Parallel.forEach(channels, workPerItem: samples * plane) { channel in
      for sample in 0..<samples {
        let column = (channel &* samples &+ sample) &* plane
        let pixel = (sample &* channels &+ channel) &* inPlane
        for oy in 0..<outH {
          for ox in 0..<outW {
            body(column &+ oy &* outW &+ ox, pixel &+ oy &* rowStep &+ ox &* columnStep)
          }
        }
      }
    }
  }

  /// One item of `im2col`: the rows of channel `item % inChannels`'s taps for sample
  /// `item / inChannels`.
  @inline(__always)
  static func im2col(
    _ g: Conv2DGeometry, input: UnsafePointer<Float>, samples: Int, columns: UnsafeMutablePointer<Float>,
    item: Int
  ) {
    let (outH, outW) = (g.outHeight, g.outWidth)
    let plane = outH * outW
    let width = samples * plane
    let inPlane = g.inHeight * g.inWidth
    let shiftedCopies = g.keepsWidthAtUnitStride
    let (sample, channel) = item.quotientAndRemainder(dividingBy: g.inChannels)
    let source = input + (sample * g.inChannels + channel) * inPlane
    for ki in 0..<g.kernelHeight {
      for kj in 0..<g.kernelWidth {
        let row = columns + ((channel * g.kernelHeight + ki) * g.kernelWidth + kj) * width + sample * plane
        if shiftedCopies {
          shiftedPlaneCopy(g, outHeight: outH, source: source, tapRow: ki, tapColumn: kj, into: row)
          continue
        }
        // The output columns whose tap lands inside the input: the rest are padding zeros.
        let offsetX = kj * g.dilationW - g.padLeft
        let firstX = offsetX >= 0 ? 0 : min(outW, (-offsetX + g.strideW - 1) / g.strideW)
        let lastX = max(firstX, min(outW, (g.inWidth - 1 - offsetX) / g.strideW + 1))
        let outside = offsetX > g.inWidth - 1
        if plane <= shortPlane {
          // Zeros written with the copies: a call per tap row cost more than a short plane's copy.
          for oy in 0..<outH {
            let iy = oy * g.strideH - g.padTop + ki * g.dilationH
            let dst = row + oy * outW
            guard !outside && iy >= 0 && iy < g.inHeight else {
              zeroPlane(dst, count: outW)
              continue
            }
            let src = source + iy * g.inWidth + offsetX
            for ox in 0..<outW {
              if ox >= firstX && ox < lastX { dst[ox] = src[ox &* g.strideW] } else { dst[ox] = 0 }
            }
          }
          continue
        }
        let padded = outside || firstX > 0 || lastX < outW || g.padTop > 0 || g.padBottom > 0
        // With padding, the tap's whole row is zeroed in one call first: the compiler turns a
        // zeroing loop into a memset call anyway, and one per padded stretch of an output row (often
        // 1 to 3 floats) cost more than the copies.
        if padded { row.update(repeating: 0, count: plane) }
        if outside { continue }
        for oy in 0..<outH {
          let iy = oy * g.strideH - g.padTop + ki * g.dilationH
          guard iy >= 0 && iy < g.inHeight else { continue }
          let dst = row + oy * outW
          let src = source + iy * g.inWidth + offsetX
          if g.strideW == 1 {
            for ox in firstX..<lastX { dst[ox] = src[ox] }
          } else {
            for ox in firstX..<lastX { dst[ox] = src[ox &* g.strideW] }
          }
        }
      }
    }
  }

  /// One tap's row of the column matrix for one sample when `keepsWidthAtUnitStride`: output pixel
  /// (oy, ox) reads input (oy + ki − padTop, ox + kj − padLeft), so in flattened planes the row is
  /// the input plane shifted by a constant — one contiguous copy — with zeros where the shift leaves
  /// the plane vertically, and in the columns that wrapped around a row's edge horizontally.
  @inline(__always)
  static func shiftedPlaneCopy(
    _ g: Conv2DGeometry, outHeight: Int, source: UnsafePointer<Float>, tapRow ki: Int, tapColumn kj: Int,
    into row: UnsafeMutablePointer<Float>
  ) {
    let width = g.inWidth
    let plane = outHeight * width
    let inPlane = g.inHeight * width
    let shift = (ki - g.padTop) * width + (kj - g.padLeft)
    // Destination positions whose source lies inside the input plane.
    let start = min(plane, max(0, -shift))
    let end = max(start, min(plane, inPlane - shift))
    for index in 0..<start { row[index] = 0 }
    (row + start).update(from: source + (start + shift), count: end - start)
    for index in end..<plane { row[index] = 0 }
    let columnShift = kj - g.padLeft
    if columnShift < 0 {
      // Output columns 0 ..< -columnShift read left of the row: the end of the previous row.
      for oy in 0..<outHeight {
        for ox in 0..<min(width, -columnShift) { row[oy &* width &+ ox] = 0 }
      }
    } else if columnShift > 0 {
      for oy in 0..<outHeight {
        for ox in max(0, width - columnShift)..<width { row[oy &* width &+ ox] = 0 }
      }
    }
  }

  /// The adjoint of im2col: overwrites each sample of `input` with the sum, over every column
  /// entry, of the entry added to the pixel it was copied from. Each (sample, channel) plane is
  /// summed by one task in a fixed order.
  static func col2im(
    _ g: Conv2DGeometry, columns: UnsafePointer<Float>, samples: Int, into input: UnsafeMutablePointer<Float>
  ) {
    let (outH, outW) = (g.outHeight, g.outWidth)
    let plane = outH * outW
    let width = samples * plane
    if let swap = g.inputSwappedIntoColumns {
      swapOuterAxes(columns, rows: swap.columns, columns: samples, plane: swap.plane, into: input)
      return
    }
    if g.isStridedPointwise {
      // Each input pixel is read by one column entry at most: the rest of its plane gets zeros.
      Parallel.forEach(samples * g.inChannels, workPerItem: g.inHeight * g.inWidth) { item in
        zeroPlane(input + item * g.inHeight * g.inWidth, count: g.inHeight * g.inWidth)
      }
      forEachSubsampledPixel(g, samples: samples) { column, pixel in input[pixel] = columns[column] }
      return
    }
    let taps = g.kernelHeight * g.kernelWidth
    let inPlane = g.inHeight * g.inWidth
    Parallel.forEach(samples * g.inChannels, workPerItem: taps * plane) { item in
      let (sample, channel) = item.quotientAndRemainder(dividingBy: g.inChannels)
      let target = input + (sample * g.inChannels + channel) * inPlane
      zeroPlane(target, count: inPlane)
      for ki in 0..<g.kernelHeight {
        for kj in 0..<g.kernelWidth {
          let row = columns + ((channel * g.kernelHeight + ki) * g.kernelWidth + kj) * width + sample * plane
          let offsetX = kj * g.dilationW - g.padLeft
          let firstX = offsetX >= 0 ? 0 : min(outW, (-offsetX + g.strideW - 1) / g.strideW)
          let lastX = max(firstX, min(outW, (g.inWidth - 1 - offsetX) / g.strideW + 1))
          guard offsetX <= g.inWidth - 1 else { continue }
          for oy in 0..<outH {
            let iy = oy * g.strideH - g.padTop + ki * g.dilationH
            guard iy >= 0 && iy < g.inHeight else { continue }
            let src = row + oy * outW
            let dst = target + iy * g.inWidth + offsetX
            for ox in firstX..<lastX { dst[ox &* g.strideW] += src[ox] }
          }
        }
      }
    }
  }

  /// output[n, c, :] = activation(product[c, n·plane ..< (n+1)·plane] · scale[c] + bias[c]) for a
  /// chunk, plus shortcut[n, c, :] before the activation when given.
  static func scatter(
    _ product: UnsafePointer<Float>, samples: Int, channels: Int, plane: Int,
    into output: UnsafeMutablePointer<Float>, scale: UnsafePointer<Float>?, bias: UnsafePointer<Float>?,
    activation: ActivationKind, shortcut: UnsafePointer<Float>? = nil
  ) {
    if scale == nil && bias == nil && activation == .linear && shortcut == nil {
      swapOuterAxes(product, rows: channels, columns: samples, plane: plane, into: output)
      return
    }
    Parallel.forEach(channels, workPerItem: samples * plane) { channel in
      for sample in 0..<samples {
        let offset = (sample * channels + channel) * plane
        convolutionEpilogue(
          product + (channel * samples + sample) * plane, output + offset, count: plane,
          scale: scale?[channel], bias: bias?[channel], activation: activation,
          shortcut: shortcut.map { $0 + offset })
      }
    }
  }

  /// The inverse layout change: gathered[c, n·plane ..< (n+1)·plane] = gradOutput[n, c, :].
  static func gather(
    _ source: UnsafePointer<Float>, samples: Int, channels: Int, plane: Int,
    into gathered: UnsafeMutablePointer<Float>
  ) {
    swapOuterAxes(source, rows: samples, columns: channels, plane: plane, into: gathered)
  }

  /// target[b, a, :] = source[a, b, :] for the `rows` × `columns` planes of `plane` floats of
  /// `source`: the layout change between a chunk's samples ([n, c, :]) and its column matrices
  /// ([c, n, :]), either way. Planes of one float (late ResNet stages, dense-like 1x1 maps) are a
  /// matrix transposed in 8 × 8 register blocks (`LayoutReorder.transposeRows`); small planes are copied
  /// inline — a copy call per plane of 1 to 16 floats cost more than the copy (ResNet-18/32's
  /// 512x1x1 layers spent more time here than in their products).
  static func swapOuterAxes(
    _ source: UnsafePointer<Float>, rows: Int, columns: Int, plane: Int,
    into target: UnsafeMutablePointer<Float>
  ) {
    if plane == 1 {
      let blocks = (rows + LayoutReorder.block - 1) / LayoutReorder.block
      Parallel.forEach(blocks, workPerItem: LayoutReorder.block * columns) { block in
        let first = block * LayoutReorder.block
        LayoutReorder.transposeRows(
          first..<min(rows, first + LayoutReorder.block), rows: rows, columns: columns, input: source,
          output: target)
      }
      return
    }
    Parallel.forEach(columns, workPerItem: rows * plane) { column in
      let targetRow = target + column * rows * plane
      for row in 0..<rows {
        copyPlane(source + (row * columns + column) * plane, targetRow + row * plane, count: plane)
      }
    }
  }
}

/// gradBias[c] += sum over the batch and the plane of gradOutput[n, c, :], batch in order.
func accumulateBiasGradient(
  _ gradOutput: UnsafePointer<Float>, batch: Int, channels: Int, plane: Int,
  gradBias: UnsafeMutablePointer<Float>
) {
  Parallel.forEach(channels, workPerItem: batch * plane) { channel in
    var sum: Double = 0
    for n in 0..<batch {
      let row = gradOutput + (n * channels + channel) * plane
      var rowSum: Float = 0
      for i in 0..<plane { rowSum += row[i] }
      sum += Double(rowSum)
    }
    gradBias[channel] += Float(sum)
  }
}
