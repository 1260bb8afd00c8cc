import NNCGraph

/// How a convolution is computed. Chosen once per geometry by `choose(for:)` (the executor's plan
/// does it once per node), then handed to `Conv2D.forward` and `backward`, which run it without
/// deciding again. None of the choices depends on the batch size, so the choice made for one sample
/// holds for every batch.
public enum ConvolutionAlgorithm: Sendable, Hashable, CustomStringConvertible {
  /// im2col and SGEMM, samples in chunks (`Conv2D`).
  case im2col
  /// A 1x1, stride-1, unpadded convolution: the input already is the im2col matrix.
  case pointwise
  /// Inference plans' `pointwise` on maps of `Conv2D.inferenceSampleColumns` pixels or more, and
  /// their strided `im2col` there: a sample per tile from `Conv2D.pointwiseSampleTiles` samples on
  /// (`Conv2D.runsSamplesInInference`), the product straight into the output.
  case sampleTiles
  /// Winograd's F(2x2, 3x3) (`WinogradConv2D`).
  case winograd
  /// Winograd's F(4x4, 3x3) (`Winograd4x4Conv2D`): fewer products than F(2x2, 3x3), forward only,
  /// so inference plans choose it in its place.
  case winograd4x4
  /// The direct kernel for few input channels × taps (`DirectConv2D`); gradients by im2col.
  case direct
  /// The kernel cropped to its live taps (`Conv2DGeometry.liveTapCrop`), the cropped convolution
  /// computed by `then`.
  indirect case cropped(Conv2DTapCrop, then: ConvolutionAlgorithm)
  /// The direct depthwise kernel (`DepthwiseConv2D`).
  case depthwise
  /// A pointwise convolution of channels-last values: one product over every pixel of the batch
  /// (`Conv2D.channelsLastPointwiseForward`). Inference only, chosen by the layout, not the geometry.
  case channelsLastPointwise
  /// The depthwise kernel for channels-last values (`DepthwiseConv2D.forwardChannelsLast`).
  /// Inference only, chosen by the layout.
  case channelsLastDepthwise
  /// A convolution with one output pixel that reads its whole input (`Conv2DGeometry.isDenseProduct`):
  /// a dense layer over the batch by the channels-last pointwise kernel, weights packed and kept.
  /// Inference only.
  case denseProduct
  /// Few input channels × taps (stems): the product of pixel patches by the channels-last pointwise
  /// kernel, written into the channels-first output (`Conv2D.patchProductForward`). Inference only.
  case patchProduct
  /// Ungrouped 1x1 and strided convolutions with many filters (ResNet-50's): weights packed once
  /// per run times column panels each task packs from the input, every output written once with its
  /// epilogue (`Conv2D.packedProductForward`). Inference only.
  case packedProduct
  /// Ungrouped pointwise convolutions with 64 inputs and filters and more (all of ResNet-50's
  /// stride-1 1x1 layers but its reductions on 14x14 and 28x28 maps): weights packed once per run, tiles of 6 filters × 64 columns of a plane written straight into
  /// the planes with their epilogue (`Conv2D.planeProductForward`). Inference only.
  case planeProduct
  /// A stride-2 stem over few input channels with vectors along the output rows
  /// (`Conv2D.stridedStemForward`): the packed product's bits, written as runs of rows. Inference
  /// only.
  case stridedStem

  /// The algorithm for `geometry`: the direct depthwise kernel when it has several groups, one per
  /// input channel, the direct kernel for few input channels × taps (`DirectConv2D.applies`), else
  /// `Conv2D.algorithm(for:)`.
  public static func choose(for geometry: Conv2DGeometry) -> ConvolutionAlgorithm {
    if geometry.runsDepthwiseKernel { return .depthwise }
    if DirectConv2D.applies(to: geometry) { return .direct }
    return Conv2D.algorithm(for: geometry)
  }

  /// The algorithm for `geometry` in a plan of `mode`: `choose(for:)`, with F(2x2, 3x3) replaced by
  /// F(4x4, 3x3) for inference (which needs no backward) where it computes fewer products, and
  /// `pointwise` (and strided `im2col`) by `sampleTiles` where that applies. It depends on the geometry and the mode
  /// only, so every thread count runs the same arithmetic.
  public static func choose(for geometry: Conv2DGeometry, mode: GraphMode) -> ConvolutionAlgorithm {
    let chosen = choose(for: geometry)
    return mode == .inference ? chosen.forwardOnly(for: geometry) : chosen
  }

  /// The forward pass of a training plan's `im2col` convolution by `stridedStem` where
  /// `Conv2D.runsStridedStem`: its backward runs by im2col, which needs nothing from the forward
  /// pass but the input. ResNet-18/32's stem forward, a training step of 32 on two Xeon threads:
  /// 1.51 → 0.81 ms. Unoptimized plans choose it too, as they choose Winograd: an algorithm is not
  /// an optimization pass, and the equivalence tests compare the passes, not the kernels.
  func trainingForward(for geometry: Conv2DGeometry) -> ConvolutionAlgorithm {
    self == .im2col && Conv2D.runsStridedStem(geometry) ? .stridedStem : self
  }

  /// This algorithm for `geometry` with F(2x2, 3x3) (also under a crop) replaced by F(4x4, 3x3) where
  /// `Winograd4x4Conv2D.savesProducts`, `pointwise` and strided `im2col` by `sampleTiles` where
  /// `Conv2D.runsSamplesInInference`, `pointwise` or `im2col` (also under a crop) by
  /// `denseProduct` where `Conv2DGeometry.isDenseProduct`, `pointwise` by `planeProduct` where
  /// `Conv2D.runsPlaneProduct`, `im2col` by `stridedStem` where `Conv2D.runsStridedStem`, either by
  /// `packedProduct` where `Conv2D.runsPackedProduct`, and
  /// `im2col` by `patchProduct` where
  /// `Conv2D.runsPatchProduct` with 16 filters or more.
  func forwardOnly(for geometry: Conv2DGeometry) -> ConvolutionAlgorithm {
    if geometry.isDenseProduct, self == .pointwise || self == .im2col { return .denseProduct }
    if self == .pointwise, Conv2D.runsPlaneProduct(geometry) { return .planeProduct }
    if self == .im2col, Conv2D.runsStridedStem(geometry) { return .stridedStem }
    if self == .pointwise || self == .im2col, Conv2D.runsPackedProduct(geometry) { return .packedProduct }
    if self == .im2col, Conv2D.runsPatchProduct(geometry, outputLayout: .channelsFirst),
      geometry.outChannels >= Conv2D.patchProductMinimumFilters
    {
      return .patchProduct
    }
    switch self {
    case .winograd: return Winograd4x4Conv2D.savesProducts(geometry) ? .winograd4x4 : .winograd
    case .pointwise: return Conv2D.runsSamplesInInference(geometry) ? .sampleTiles : .pointwise
    case .im2col where Conv2D.runsSamplesInInference(geometry): return .sampleTiles
    case .cropped(let crop, let inner): return .cropped(crop, then: inner.forwardOnly(for: crop.geometry))
    case .im2col, .sampleTiles, .winograd4x4, .direct, .depthwise, .channelsLastPointwise,
      .channelsLastDepthwise, .denseProduct, .patchProduct, .packedProduct, .planeProduct, .stridedStem:
      return self
    }
  }

  /// Whether `Conv2D.forward` can add a residual shortcut in its epilogue: the im2col and pointwise
  /// paths, and Winograd's output transforms (the one ending ResNet-18's basic blocks), cropped to
  /// them too, whose epilogues see NCHW planes of the output.
  public var addsShortcut: Bool {
    switch self {
    case .im2col, .pointwise, .sampleTiles, .winograd, .winograd4x4, .channelsLastPointwise,
      .denseProduct, .patchProduct, .packedProduct, .planeProduct:
      return true
    case .cropped(_, let inner): return inner.addsShortcut
    case .direct, .depthwise, .channelsLastDepthwise, .stridedStem: return false
    }
  }

  /// Whether the kernel may write its sum over the shortcut it adds, for `g`: each output element's
  /// shortcut is read by the task that writes it, just before (the packed and plane products'
  /// epilogues, their ragged tiles gathering the shortcut before computing; the channels-last
  /// direct kernel's, also inside a separable pair). The others are not checked for it, or write
  /// the convolution first and add after (OpenBLAS's products, Winograd's output tiles): their sums
  /// stay apart.
  public func addsShortcutInPlace(_ g: Conv2DGeometry) -> Bool {
    switch self {
    case .packedProduct, .planeProduct: return true
    case .channelsLastPointwise: return Conv2D.runsDirectChannelsLastPointwise(g)
    case .im2col, .pointwise, .sampleTiles, .winograd, .winograd4x4, .direct, .cropped, .depthwise,
      .channelsLastDepthwise, .denseProduct, .patchProduct, .stridedStem:
      return false
    }
  }

  /// Whether the kernel takes a folded batchnorm in its weights rather than as an epilogue scale
  /// (the depthwise kernels have no epilogue scale).
  public var takesScaledWeights: Bool {
    switch self {
    case .depthwise, .channelsLastDepthwise: return true
    case .cropped(_, let inner): return inner.takesScaledWeights
    case .im2col, .pointwise, .sampleTiles, .winograd, .winograd4x4, .direct, .channelsLastPointwise,
      .denseProduct, .patchProduct, .packedProduct, .planeProduct, .stridedStem:
      return false
    }
  }

  /// The algorithm of a convolution in a plan of `mode` whose input is laid out as `layout`: the
  /// channels-last kernels for channels-last values (which `UseChannelsLast` gives only convolutions
  /// that have one), else `choose(for:mode:)`.
  public static func choose(
    for geometry: Conv2DGeometry, mode: GraphMode, layout: TensorLayout
  ) -> ConvolutionAlgorithm {
    switch layout {
    case .channelsFirst: return choose(for: geometry, mode: mode)
    case .channelsLast: return geometry.isPointwise ? .channelsLastPointwise : .channelsLastDepthwise
    }
  }

  /// As profiles and `nnc check --emit plan` name it.
  public var description: String {
    switch self {
    case .im2col: return "im2col"
    case .pointwise: return "pointwise"
    case .sampleTiles: return "by sample"
    case .winograd: return "winograd"
    case .winograd4x4: return "winograd 4x4"
    case .direct: return "direct"
    case .cropped(let crop, let inner):
      let size = "\(crop.geometry.kernelHeight)x\(crop.geometry.kernelWidth)"
      return inner == .denseProduct ? "cropped to \(size), dense product" : "cropped to \(size)"
    case .depthwise: return "depthwise"
    case .channelsLastPointwise: return "pointwise nhwc"
    case .channelsLastDepthwise: return "depthwise nhwc"
    case .denseProduct: return "dense product"
    case .patchProduct: return "patch product"
    case .packedProduct: return "packed product"
    case .planeProduct: return "plane product"
    case .stridedStem: return "strided stem"
    }
  }
}

extension Conv2D {
  /// The algorithm among `Conv2D`'s own (which compute any geometry, grouped and depthwise ones
  /// included): the kernel cropped to its live taps, Winograd's, a pointwise product, or im2col.
  public static func algorithm(for geometry: Conv2DGeometry) -> ConvolutionAlgorithm {
    if let crop = geometry.liveTapCrop { return .cropped(crop, then: algorithm(for: crop.geometry)) }
    if WinogradConv2D.applies(to: geometry) { return .winograd }
    return geometry.isPointwise ? .pointwise : .im2col
  }
}

extension Conv2DGeometry {
  /// The direct depthwise kernel pays off only with several groups; a single-channel input (groups
  /// == inChannels == 1) is an ordinary convolution, faster through im2col and SGEMM.
  var runsDepthwiseKernel: Bool { isDepthwise && groups > 1 }
}
