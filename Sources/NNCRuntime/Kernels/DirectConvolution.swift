import CKernels

/// A direct convolution for layers with few input channels × taps (LeNet's 5x5 layers: 1 → 6 and
/// 6 → 16 channels): `nnc_direct_conv_sample` computes a sample's filters six at a time, each output
/// position a sum in registers over every channel and tap, where im2col + SGEMM copied 25–150 rows
/// per output position into a column matrix to multiply by only 6–16 filters (the copy took as long
/// as the product). Forward only: `Conv2D.backward` computes its gradients by im2col, as before.
/// Samples run in parallel, each summed in a fixed order, so any thread count gives the same bits.
enum DirectConv2D {
  /// Input channels × taps at most: deeper sums suit SGEMM, whose cost the column copy amortizes.
  static let maximumColumnRows = 160
  /// Filters at most: more make the product wide enough for SGEMM.
  static let maximumOutChannels = 64
  /// Taps at least: 3x3 layers keep Winograd's or im2col's tuned paths, but for the first layers
  /// below.
  static let minimumTaps = 25
  /// Input channels × taps at most of a 3x3 layer that takes the direct kernel: an image's first
  /// layer (1 or 3 channels), where im2col's product is only 9-27 deep, on maps of more than
  /// `Conv2D.patchProductMaximumPlane` pixels (smaller ones keep im2col, and the patch product in
  /// inference). `cifar_cnn`'s 3 -> 64 layer on 32x32 maps, batch 64, two threads on a Xeon: 2.9 ->
  /// 1.7 ms in inference with the AVX-512 kernel, 3.5 -> 2.5 with the AVX2 one; VGG-16's on 224x224
  /// maps, batch 4: 9.8 -> 6.7 ms.
  static let maximumSmallKernelColumnRows = 27

  /// Stride and dilation 1, one group, few filters, and few channels × taps: a kernel of at least
  /// `minimumTaps` taps, or a 3x3 one over at most `maximumSmallKernelColumnRows` on a large map.
  static func applies(to g: Conv2DGeometry) -> Bool {
    let taps = g.kernelHeight * g.kernelWidth
    let firstLayer =
      taps >= 9 && g.columnRows <= maximumSmallKernelColumnRows
      && g.outHeight * g.outWidth > Conv2D.patchProductMaximumPlane
    let fewTaps = taps >= minimumTaps || firstLayer
    return g.groups == 1 && g.strideH == 1 && g.strideW == 1 && g.dilationH == 1 && g.dilationW == 1
      && fewTaps && g.columnRows <= maximumColumnRows && g.outChannels <= maximumOutChannels
  }

  static func shape(_ g: Conv2DGeometry) -> nnc_direct_conv_shape {
    nnc_direct_conv_shape(
      in_channels: Int32(g.inChannels), in_height: Int32(g.inHeight), in_width: Int32(g.inWidth),
      out_channels: Int32(g.outChannels), out_height: Int32(g.outHeight), out_width: Int32(g.outWidth),
      kernel_height: Int32(g.kernelHeight), kernel_width: Int32(g.kernelWidth), pad_top: Int32(g.padTop),
      pad_left: Int32(g.padLeft))
  }

  /// Floats of scratch one sample's call needs (its padded input and a block of wide output rows).
  static func sampleScratchCount(_ g: Conv2DGeometry) -> Int {
    var shape = shape(g)
    return nnc_direct_conv_scratch_count(&shape)
  }

  /// Floats of the weights packed for the filter-vector kernel (`nnc_direct_conv_sample_packed`:
  /// unpadded layers with filters in multiples of 8, such as LeNet's 6 → 16), 0 when it does not run
  /// `g`.
  static func packedFilterCount(_ g: Conv2DGeometry) -> Int {
    var shape = shape(g)
    return nnc_direct_conv_packed_filters_count(&shape)
  }

  /// Scratch `forward` needs: the packed weights, or one sample's worth per part of the parallel loop.
  static func scratchCount(_ g: Conv2DGeometry) -> Int {
    let packed = packedFilterCount(g)
    return packed > 0 ? packed : min(g.batch, Parallel.maximumParts) * sampleScratchCount(g)
  }

  /// output = activation(conv(input, weight) · channelScale + bias) (`convolutionEpilogue`'s bits), on
  /// the instruction set `isa` (tests pick one; the executor runs the best). With `pool` (a max
  /// pooling of one sample's channels), each plane is also max-pooled into `pool.output` as soon
  /// as its sample is written, while the sample's planes are in cache.
  static func forward(
    _ g: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?,
    output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, activation: ActivationKind,
    channelScale: UnsafePointer<Float>?, isa: DepthwiseInstructionSet = .best,
    threads: Int = Parallel.threadCount,
    pool: (geometry: Pool2DGeometry, output: UnsafeMutablePointer<Float>)? = nil
  ) {
    var shape = shape(g)
    let perSample = sampleScratchCount(g)
    let inSample = g.inChannels * g.inHeight * g.inWidth
    let plane = g.outHeight * g.outWidth
    let outSample = g.outChannels * plane
    let code = isa.code
    // The kernel applies the affine step and a ReLU or ReLU6 as it writes; another activation runs
    // after it over the sample.
    let kernelActivation = activation.pointwiseKernelCode
    // Unpadded layers with filters in multiples of 8 run filters in vectors from weights packed once
    // a call: LeNet's 6 → 16 layer 7.4 → 5.6 us a sample (AVX2, one thread), the same bits.
    let packsFilters = packedFilterCount(g) > 0
    if packsFilters { nnc_direct_conv_pack_filters(&shape, weight, scratch) }
    Parallel.forEach(g.batch, workPerItem: outSample * g.columnRows, threads: threads) {
      part, sample in
      let sampleOutput = output + sample * outSample
      if packsFilters {
        nnc_direct_conv_sample_packed(
          code, &shape, input + sample * inSample, scratch, channelScale, bias,
          kernelActivation ?? Int32(NNC_POINTWISE_LINEAR), sampleOutput)
      } else {
        nnc_direct_conv_sample(
          code, &shape, input + sample * inSample, weight, channelScale, bias,
          kernelActivation ?? Int32(NNC_POINTWISE_LINEAR), sampleOutput, scratch + part * perSample)
      }
      if kernelActivation == nil {
        activation.forwardSerial(UnsafePointer(sampleOutput), sampleOutput, count: outSample)
      }
      if let pool {
        let pooledPlane = pool.geometry.outHeight * pool.geometry.outWidth
        for channel in 0..<g.outChannels {
          MaxPool2D.forwardValues(
            pool.geometry, plane: sampleOutput + channel * plane,
            into: pool.output + (sample * g.outChannels + channel) * pooledPlane)
        }
      }
    }
  }
}
