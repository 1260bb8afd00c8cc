import CKernels

/// The depthwise forward pass (multiplier 1) in channels-last (NHWC) layout, for inference graphs
/// whose depthwise-separable parts run channels-last: a pixel's channels are contiguous, so the C
/// kernel (`nnc_depthwise_nhwc_forward`) computes 8 channels of an output pixel as one vector with one
/// load per tap, without the interleaving the NCHW channel blocks pay on small maps. Every output is
/// the bias plus the taps inside the input in row-major order, whichever task computes it, so results
/// depend on the instruction set only.
extension DepthwiseConv2D {
  /// Floats of `scratch` `forwardChannelsLast` needs: the weights transposed to [taps][channels].
  public static func channelsLastScratchCount(_ g: Conv2DGeometry) -> Int {
    g.kernelHeight * g.kernelWidth * g.outChannels
  }

  /// nnc's [channels][1][kh][kw] weights as the channels-last kernel reads them, [taps][channels]
  /// (`channelsLastScratchCount` floats).
  static func transposeChannelsLastWeights(
    _ g: Conv2DGeometry, _ weight: UnsafePointer<Float>, into transposed: UnsafeMutablePointer<Float>
  ) {
    let (channels, taps) = (g.outChannels, g.kernelHeight * g.kernelWidth)
    for channel in 0..<channels {
      for tap in 0..<taps { transposed[tap * channels + channel] = weight[channel * taps + tap] }
    }
  }

  /// Output rows per task of `forwardChannelsLast`: about 2^16 multiply-adds, from the geometry only.
  static func channelsLastBandRows(_ g: Conv2DGeometry) -> Int {
    let rowWork = max(1, g.outWidth * g.outChannels * g.kernelHeight * g.kernelWidth)
    return min(max(1, g.outHeight), max(1, (1 << 16) / rowWork))
  }

  /// output = activation(depthwise(input, weight) + bias) for the whole batch, `input` and `output`
  /// in NHWC ([batch][height][width][channels]) and `weight` in nnc's [channels][1][kh][kw]. One task
  /// per (sample, band of output rows). ReLU and ReLU6 run inside the kernel; other activations
  /// afterwards, in place, per task. `threads` (nil: `Parallel.threadCount`) lets tests force a count.
  public static func forwardChannelsLast(
    _ geometry: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, activation: ActivationKind,
    scratch: UnsafeMutablePointer<Float>, instructionSet: DepthwiseInstructionSet = .best, threads: Int? = nil
  ) {
    let g = geometry
    precondition(
      g.isDepthwise && g.outChannels == g.inChannels,
      "forwardChannelsLast needs a depthwise multiplier of 1, got \(g)")
    precondition(instructionSet.isAvailable, "this CPU cannot run the \(instructionSet) depthwise kernels")
    let channels = g.outChannels
    let taps = g.kernelHeight * g.kernelWidth
    transposeChannelsLastWeights(g, weight, into: scratch)
    let code = activation.pointwiseKernelCode ?? Int32(NNC_POINTWISE_LINEAR)
    let bandRows = channelsLastBandRows(g)
    let bands = (g.outHeight + bandRows - 1) / bandRows
    let (inSample, outSample, outRow) = (
      g.inHeight * g.inWidth * channels, g.outHeight * g.outWidth * channels, g.outWidth * channels
    )
    let isa = instructionSet.code
    let weights = UnsafePointer(scratch)
    withUnsafePointer(to: g.planeShape) { shape in
      Parallel.forEach(
        g.batch * bands, workPerItem: bandRows * outRow * taps, threads: threads ?? Parallel.threadCount
      ) { _, task in
        let (n, band) = task.quotientAndRemainder(dividingBy: bands)
        let (first, end) = (band * bandRows, min(g.outHeight, (band + 1) * bandRows))
        let sampleOutput = output + n * outSample
        nnc_depthwise_nhwc_forward(
          isa, shape, Int32(channels), input + n * inSample, weights, bias, code, Int32(first), Int32(end),
          sampleOutput)
        if code == Int32(NNC_POINTWISE_LINEAR) && activation != .linear {
          let rows = sampleOutput + first * outRow
          activation.forwardSerial(UnsafePointer(rows), rows, count: (end - first) * outRow)
        }
      }
    }
  }
}
