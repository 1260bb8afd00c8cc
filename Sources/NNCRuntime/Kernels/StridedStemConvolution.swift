import CKernels

/// An image network's stride-2 stem over few input channels (ResNet's 7x7/2 from RGB) with vectors
/// along the output rows (`nnc_strided_stem_forward`; `ConvolutionAlgorithm.stridedStem`), inference
/// only: the input split by column phase once per sample, then tiles of 4 filters × up to 64
/// outputs of a row written as whole runs of the row (rows of one vector two at a time:
/// ResNet-18/32's stem, rows of 16, 1.02 → 0.69 ms a batch of 32 on two Xeon threads). Each
/// output's arithmetic is the packed product's, which read the same layer in place but wrote 32
/// bytes into each of 32 planes a tile.
/// ResNet-50's stem on one core of an AVX-512 Xeon (`Benchmarks/strided_stem.c`, 4 samples):
/// 138-146 GFLOP/s against the packed product's 119, the split included; with AVX2 66 against 61.
extension Conv2D {
  /// Whether inference plans run `g` (channels-first) as a strided stem: the layers the packed
  /// product would read in place (`packedProductReadsInPlace`) with a stride of 2 along both axes,
  /// undilated and unpadded below zero.
  static func runsStridedStem(_ g: Conv2DGeometry) -> Bool {
    runsPackedProduct(g) && packedProductReadsInPlace(g) && g.strideH == 2 && g.strideW == 2
      && g.dilationH == 1 && g.dilationW == 1 && g.padTop >= 0 && g.padLeft >= 0
  }

  static func stridedStemShape(_ g: Conv2DGeometry) -> nnc_strided_stem_shape {
    nnc_strided_stem_shape(
      in_channels: Int32(g.inChannels), in_height: Int32(g.inHeight), in_width: Int32(g.inWidth),
      out_height: Int32(g.outHeight), out_width: Int32(g.outWidth), kernel_height: Int32(g.kernelHeight),
      kernel_width: Int32(g.kernelWidth), pad_top: Int32(g.padTop), pad_left: Int32(g.padLeft))
  }

  /// Samples whose split inputs the scratch holds at once: enough to give both threads whole rows of
  /// work in one pair of loops, few enough that the copies (0.6 MiB a 224x224 RGB sample) stay small.
  static let stridedStemChunkSamples = 8
  /// Output rows per task of the product, and padded input rows per task of the split.
  static let stridedStemTaskRows = 4
  static let stridedStemSplitRows = 16

  /// Floats of the packed weights (kept by an inference executor).
  static func stridedStemWeightCount(_ g: Conv2DGeometry) -> Int {
    nnc_strided_stem_weight_floats(Int32(g.outChannels), Int32(g.columnRows))
  }

  /// Scratch floats: the packed weights, then the split inputs of a chunk of samples.
  static func stridedStemScratchCount(_ g: Conv2DGeometry) -> Int {
    var shape = stridedStemShape(g)
    return stridedStemWeightCount(g) + min(g.batch, stridedStemChunkSamples)
      * nnc_strided_stem_phase_floats(&shape)
  }

  /// output = activation(conv(input, weight) · channelScale + bias), all NCHW, with the packed
  /// product's bits (an activation the kernel lacks runs afterwards in place). The weights are packed
  /// into `packedWeight` (the front of `scratch` when nil) unless `packedWeightIsCurrent` says an
  /// inference executor kept them packed from an earlier batch.
  static func stridedStemForward(
    _ g: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, activation: ActivationKind,
    channelScale: UnsafePointer<Float>?, scratch: UnsafeMutablePointer<Float>,
    packedWeight: UnsafeMutablePointer<Float>? = nil, packedWeightIsCurrent: Bool = false,
    threads: Int = Parallel.threadCount, instructionSet: DepthwiseInstructionSet = .best
  ) {
    precondition(runsStridedStem(g), "the strided stem computes stride-2 convolutions over few channels")
    let packed = packedWeight ?? scratch
    if packedWeight == nil || !packedWeightIsCurrent {
      nnc_strided_stem_pack(Int32(g.outChannels), Int32(g.columnRows), weight, packed)
    }
    var shape = stridedStemShape(g)
    let phaseFloats = nnc_strided_stem_phase_floats(&shape)
    let phases = scratch + stridedStemWeightCount(g)
    let paddedRows = Int(nnc_strided_stem_padded_rows(&shape))
    let (inSample, outSample) = (
      g.inChannels * g.inHeight * g.inWidth, g.outChannels * g.outHeight * g.outWidth
    )
    let code = activation.pointwiseKernelCode
    let splitTasks = (paddedRows + stridedStemSplitRows - 1) / stridedStemSplitRows
    let rowTasks = (g.outHeight + stridedStemTaskRows - 1) / stridedStemTaskRows
    withUnsafePointer(to: &shape) { shape in
      var first = 0
      while first < g.batch {
        let samples = min(stridedStemChunkSamples, g.batch - first)
        Parallel.forEach(
          samples * splitTasks, workPerItem: g.inChannels * stridedStemSplitRows * g.inWidth, threads: threads
        ) { _, task in
          let (sample, part) = task.quotientAndRemainder(dividingBy: splitTasks)
          let row = part * stridedStemSplitRows
          nnc_strided_stem_split(
            shape, input + (first + sample) * inSample, Int32(row),
            Int32(min(stridedStemSplitRows, paddedRows - row)), phases + sample * phaseFloats)
        }
        Parallel.forEach(
          samples * rowTasks, workPerItem: stridedStemTaskRows * g.outWidth * g.outChannels * g.columnRows,
          threads: threads
        ) { _, task in
          let (sample, part) = task.quotientAndRemainder(dividingBy: rowTasks)
          let row = part * stridedStemTaskRows
          nnc_strided_stem_forward(
            instructionSet.code, shape, Int32(g.outChannels), packed, phases + sample * phaseFloats,
            Int32(row),
            Int32(min(stridedStemTaskRows, g.outHeight - row)), output + (first + sample) * outSample,
            channelScale, bias, code ?? Int32(NNC_POINTWISE_LINEAR))
        }
        first += samples
      }
    }
    if code == nil { activation.forward(UnsafePointer(output), output, count: g.outputCount) }
  }
}
