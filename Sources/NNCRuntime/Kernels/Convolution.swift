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

/// Convolution by im2col + SGEMM, one product per (sample, group). A pointwise convolution
/// (`isPointwise`) multiplies the input directly. Gradients of weight and bias are *accumulated*
/// (the caller zeroes them once per step); the input gradient is overwritten.
public enum Conv2D {
  /// Float scratch elements `forward` and `backward` need: one sample's im2col matrix, or 0 when the
  /// convolution is pointwise.
  public static func scratchCount(_ geometry: Conv2DGeometry) -> Int {
    geometry.isPointwise ? 0 : geometry.columnRows * geometry.outHeight * geometry.outWidth
  }

  /// output = activation(conv(input, weight) + bias). The activation is fused into the bias pass, so
  /// the output is written by the product and touched once more.
  public static func forward(
    _ geometry: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>?, activation: ActivationKind = .linear
  ) {
    let g = geometry
    let outPlane = g.outHeight * g.outWidth
    let inSample = g.inChannels * g.inHeight * g.inWidth
    let outSample = g.outChannels * outPlane
    let groupRows = g.inChannelsPerGroup * g.kernelHeight * g.kernelWidth
    let groupOut = g.outChannelsPerGroup
    for n in 0..<g.batch {
      let columns = columnMatrix(g, sample: input + n * inSample, scratch: scratch)
      let sampleOutput = output + n * outSample
      for group in 0..<g.groups {
        sgemm(
          transposeA: false, transposeB: false, m: groupOut, n: outPlane, k: groupRows,
          a: weight + group * groupOut * groupRows, lda: groupRows,
          b: columns + group * groupRows * outPlane, ldb: outPlane,
          c: sampleOutput + group * groupOut * outPlane, ldc: outPlane)
      }
      addBiasAndActivate(
        sampleOutput, channels: g.outChannels, plane: outPlane, bias: bias, activation: activation)
    }
  }

  /// Gradients of `forward` without activation (run the activation's backward first). Any of
  /// `gradInput`, `gradWeight`, `gradBias` may be nil to skip it (the first layer needs no gradInput).
  public static func backward(
    _ geometry: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>?,
    gradWeight: UnsafeMutablePointer<Float>?, gradBias: UnsafeMutablePointer<Float>?,
    scratch: UnsafeMutablePointer<Float>?
  ) {
    let g = geometry
    let outPlane = g.outHeight * g.outWidth
    let inSample = g.inChannels * g.inHeight * g.inWidth
    let outSample = g.outChannels * outPlane
    let groupRows = g.inChannelsPerGroup * g.kernelHeight * g.kernelWidth
    let groupOut = g.outChannelsPerGroup
    // Samples run in order and each product accumulates with beta = 1, so the batch sum is
    // deterministic; OpenBLAS parallelizes inside each product.
    for n in 0..<g.batch {
      let sampleGradOutput = gradOutput + n * outSample
      if let gradWeight {
        let columns = columnMatrix(g, sample: input + n * inSample, scratch: scratch)
        for group in 0..<g.groups {
          sgemm(
            transposeA: false, transposeB: true, m: groupOut, n: groupRows, k: outPlane,
            a: sampleGradOutput + group * groupOut * outPlane, lda: outPlane,
            b: columns + group * groupRows * outPlane, ldb: outPlane, beta: 1,
            c: gradWeight + group * groupOut * groupRows, ldc: groupRows)
        }
      }
      if let gradInput {
        let sampleGradInput = gradInput + n * inSample
        // Pointwise: the column matrix is the input gradient itself, so the product writes it directly.
        let columns = g.isPointwise ? sampleGradInput : requireScratch(g, scratch)
        for group in 0..<g.groups {
          sgemm(
            transposeA: true, transposeB: false, m: groupRows, n: outPlane, k: groupOut,
            a: weight + group * groupOut * groupRows, lda: groupRows,
            b: sampleGradOutput + group * groupOut * outPlane, ldb: outPlane,
            c: columns + group * groupRows * outPlane, ldc: outPlane)
        }
        if !g.isPointwise { col2im(g, columns: columns, sample: sampleGradInput) }
      }
    }
    if let gradBias {
      accumulateBiasGradient(
        gradOutput, batch: g.batch, channels: g.outChannels, plane: outPlane, gradBias: gradBias)
    }
  }

  /// The [columnRows, outPlane] matrix for one sample: the sample itself when pointwise, else im2col
  /// into `scratch`.
  private static func columnMatrix(
    _ g: Conv2DGeometry, sample: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>?
  ) -> UnsafePointer<Float> {
    if g.isPointwise { return sample }
    let columns = requireScratch(g, scratch)
    im2col(g, sample: sample, columns: columns)
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

  /// Row (c, ki, kj) of the column matrix holds, for every output position, the input pixel that
  /// kernel tap (ki, kj) of channel c sees there, or 0 in the padding.
  static func im2col(
    _ g: Conv2DGeometry, sample: UnsafePointer<Float>, columns: UnsafeMutablePointer<Float>
  ) {
    let (outH, outW) = (g.outHeight, g.outWidth)
    let taps = g.kernelHeight * g.kernelWidth
    Parallel.forEach(g.inChannels, workPerItem: taps * outH * outW) { channel in
      let plane = sample + channel * g.inHeight * g.inWidth
      for ki in 0..<g.kernelHeight {
        for kj in 0..<g.kernelWidth {
          let row = columns + ((channel * g.kernelHeight + ki) * g.kernelWidth + kj) * outH * outW
          for oy in 0..<outH {
            let iy = oy * g.strideH - g.padTop + ki * g.dilationH
            let dst = row + oy * outW
            guard iy >= 0 && iy < g.inHeight else {
              dst.update(repeating: 0, count: outW)
              continue
            }
            let src = plane + iy * g.inWidth
            for ox in 0..<outW {
              let ix = ox * g.strideW - g.padLeft + kj * g.dilationW
              dst[ox] = ix >= 0 && ix < g.inWidth ? src[ix] : 0
            }
          }
        }
      }
    }
  }

  /// The adjoint of im2col: overwrites `sample` with the sum, over every column entry, of the entry
  /// added to the pixel it was copied from. Each channel is summed by one task in a fixed order.
  static func col2im(
    _ g: Conv2DGeometry, columns: UnsafePointer<Float>, sample: UnsafeMutablePointer<Float>
  ) {
    let (outH, outW) = (g.outHeight, g.outWidth)
    let taps = g.kernelHeight * g.kernelWidth
    Parallel.forEach(g.inChannels, workPerItem: taps * outH * outW) { channel in
      let plane = sample + channel * g.inHeight * g.inWidth
      plane.update(repeating: 0, count: g.inHeight * g.inWidth)
      for ki in 0..<g.kernelHeight {
        for kj in 0..<g.kernelWidth {
          let row = columns + ((channel * g.kernelHeight + ki) * g.kernelWidth + kj) * outH * outW
          for oy in 0..<outH {
            let iy = oy * g.strideH - g.padTop + ki * g.dilationH
            guard iy >= 0 && iy < g.inHeight else { continue }
            let src = row + oy * outW
            let dst = plane + iy * g.inWidth
            for ox in 0..<outW {
              let ix = ox * g.strideW - g.padLeft + kj * g.dilationW
              if ix >= 0 && ix < g.inWidth { dst[ix] += src[ox] }
            }
          }
        }
      }
    }
  }
}

/// One pass over a sample's [channels, plane] output: add the channel's bias, apply the activation.
func addBiasAndActivate(
  _ output: UnsafeMutablePointer<Float>, channels: Int, plane: Int, bias: UnsafePointer<Float>?,
  activation: ActivationKind
) {
  guard bias != nil || activation != .linear else { return }
  Parallel.forEach(channels, workPerItem: plane) { channel in
    let row = output + channel * plane
    if let bias {
      let b = bias[channel]
      for i in 0..<plane { row[i] += b }
    }
    if activation != .linear { activation.forward(UnsafePointer(row), row, count: plane) }
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
