import CKernels

/// A depthwise convolution and the pointwise convolution that reads its output, in one pass over
/// channels-last values (inference; `ExecutionPlanner.fuseSeparableConvolutions`): each task runs the
/// depthwise kernel (`nnc_depthwise_nhwc_forward`) on a band of output rows, or on a few whole samples
/// when a sample's map is small, into its part's slot of scratch, and the pointwise kernel
/// (`nnc_pointwise_nhwc_forward`) on those pixels while they are in cache. The depthwise output
/// (MobileNetV2's widest, 144 channels of 16x16 at batch 32, is 4.7 MB) is never written to memory
/// nor read back. Both kernels compute every output as they do alone, so the bits are those of the
/// two layers run one after the other.
extension Conv2D {
  /// Floats of one part's slot at most: a band of depthwise outputs that stays in the core's cache.
  static let separableSlotFloats = 16 * 1024

  /// The tasks of `separableChannelsLastForward`: `samples` whole samples each when a sample's
  /// depthwise output fits a slot, else bands of `rows` output rows of one sample.
  struct SeparableTasks {
    let samplesPerTask: Int
    let rows: Int
    let bandsPerSample: Int

    init(_ depthwise: Conv2DGeometry) {
      let outRow = max(1, depthwise.outWidth * depthwise.outChannels)
      let sample = depthwise.outHeight * outRow
      if sample <= separableSlotFloats {
        samplesPerTask = max(1, separableSlotFloats / max(1, sample))
        (rows, bandsPerSample) = (depthwise.outHeight, 1)
      } else {
        samplesPerTask = 1
        rows = max(1, separableSlotFloats / outRow)
        bandsPerSample = (depthwise.outHeight + rows - 1) / rows
      }
    }

    /// Floats of one slot: the depthwise outputs of one task.
    func slotFloats(_ depthwise: Conv2DGeometry) -> Int {
      samplesPerTask * rows * depthwise.outWidth * depthwise.outChannels
    }
  }

  /// Whether the pair runs fused: a depthwise convolution the channels-last kernel computes
  /// (multiplier 1) and a 1x1 convolution of its output the direct channels-last kernel computes.
  static func runsSeparableChannelsLast(depthwise: Conv2DGeometry, pointwise: Conv2DGeometry) -> Bool {
    depthwise.isDepthwise && depthwise.outChannels == depthwise.inChannels && pointwise.isPointwise
      && pointwise.groups == 1 && pointwise.inChannels == depthwise.outChannels
      && pointwise.inHeight == depthwise.outHeight && pointwise.inWidth == depthwise.outWidth
      && runsDirectChannelsLastPointwise(pointwise)
  }

  /// Scratch floats of `separableChannelsLastForward` at the batch of `depthwise`: the pointwise
  /// weights packed (used when no kept copy is passed), the depthwise weights transposed, and a
  /// slot per part.
  static func separableScratchCount(depthwise: Conv2DGeometry, pointwise: Conv2DGeometry) -> Int {
    pointwise.weightCount + DepthwiseConv2D.channelsLastScratchCount(depthwise) + Parallel.maximumParts
      * SeparableTasks(depthwise).slotFloats(depthwise)
  }

  /// output = pointwise(activation₁(depthwise(input) + bias₁)) with the pointwise layer's channel
  /// scale, bias, shortcut and activation as `channelsLastPointwiseForward` takes them; `input`,
  /// `shortcut` and `output` NHWC. The pointwise weights are packed into `packedWeight` (the front of
  /// `scratch` when nil) unless `packedWeightIsCurrent`. Tasks depend on the geometries alone.
  static func separableChannelsLastForward(
    depthwise d: Conv2DGeometry, input: UnsafePointer<Float>, depthwiseWeight: UnsafePointer<Float>,
    depthwiseBias: UnsafePointer<Float>?, depthwiseActivation: ActivationKind,
    pointwise p: Conv2DGeometry, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    channelScale: UnsafePointer<Float>?, activation: ActivationKind, shortcut: UnsafePointer<Float>?,
    output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
    packedWeight: UnsafeMutablePointer<Float>? = nil, packedWeightIsCurrent: Bool = false,
    threads: Int = Parallel.threadCount, instructionSet: DepthwiseInstructionSet = .best
  ) {
    precondition(
      runsSeparableChannelsLast(depthwise: d, pointwise: p) && d.batch == p.batch,
      "not a fusable depthwise and pointwise pair: \(d), \(p)")
    let (channels, outputs) = (d.outChannels, p.outChannels)
    let packed = packedWeight ?? scratch
    if packedWeight == nil || !packedWeightIsCurrent {
      nnc_pointwise_nhwc_pack(Int32(outputs), Int32(channels), weight, packed)
    }
    let transposed = scratch + p.weightCount
    DepthwiseConv2D.transposeChannelsLastWeights(d, depthwiseWeight, into: transposed)
    let tasks = SeparableTasks(d)
    let slotFloats = tasks.slotFloats(d)
    let slots = transposed + DepthwiseConv2D.channelsLastScratchCount(d)
    let (depthwiseCode, pointwiseCode) = (
      depthwiseActivation.pointwiseKernelCode ?? Int32(NNC_POINTWISE_LINEAR),
      activation.pointwiseKernelCode ?? Int32(NNC_POINTWISE_LINEAR)
    )
    let outRow = d.outWidth * channels
    let (inSample, plane) = (d.inHeight * d.inWidth * channels, d.outHeight * d.outWidth)
    let groups = (d.batch + tasks.samplesPerTask - 1) / tasks.samplesPerTask
    let count = groups * tasks.bandsPerSample
    let isa = instructionSet.code
    withUnsafePointer(to: d.planeShape) { shape in
      Parallel.forEach(
        count, workPerItem: slotFloats * (d.kernelHeight * d.kernelWidth + outputs), threads: threads
      ) { part, task in
        let (group, band) = task.quotientAndRemainder(dividingBy: tasks.bandsPerSample)
        let firstSample = group * tasks.samplesPerTask
        let samples = min(tasks.samplesPerTask, d.batch - firstSample)
        let (firstRow, endRow) = (band * tasks.rows, min(d.outHeight, (band + 1) * tasks.rows))
        let slot = slots + part * slotFloats
        for s in 0..<samples {
          // The kernel writes row r of its sample at out + r · outRow: shifted so that the band's
          // first row lands at the start of the sample's place in the slot.
          let sampleSlot = slot + s * (endRow - firstRow) * outRow - firstRow * outRow
          nnc_depthwise_nhwc_forward(
            isa, shape, Int32(channels), input + (firstSample + s) * inSample, transposed, depthwiseBias,
            depthwiseCode, Int32(firstRow), Int32(endRow), sampleSlot)
        }
        let pixels = samples * (endRow - firstRow) * d.outWidth
        if depthwiseCode == Int32(NNC_POINTWISE_LINEAR) && depthwiseActivation != .linear {
          depthwiseActivation.forwardSerial(UnsafePointer(slot), slot, count: pixels * channels)
        }
        let firstPixel = firstSample * plane + firstRow * d.outWidth
        let rowsOutput = output + firstPixel * outputs
        nnc_pointwise_nhwc_forward(
          isa, Int32(outputs), Int32(channels), Int32(pixels), packed, slot, rowsOutput,
          shortcut.map { $0 + firstPixel * outputs }, channelScale, bias, pointwiseCode)
        if activation.pointwiseKernelCode == nil {
          activation.forwardSerial(UnsafePointer(rowsOutput), rowsOutput, count: pixels * outputs)
        }
      }
    }
  }
}
