import CKernels

/// A convolution that feeds a channels-last region from channels-first values (MobileNet's stem,
/// 3 channels x 3x3 taps to 32 filters): in inference plans it writes the region's channels-last
/// input itself (`PlannedStep.channelsLastOutput`), so the reorder after it has nothing left to do.
/// Each task gathers its pixels' input patches, pixel by pixel ([pixels, inChannels x taps], the
/// im2col matrix transposed), and multiplies them by the direct channels-last pointwise kernel,
/// which writes every output once with its epilogue: the im2col product's output pass, and the
/// reorder's pass over the whole tensor, are gone.
extension Conv2D {
  /// Output pixels per task: a task's patches (at most 160 floats each) stay within 160 KiB.
  static let channelsLastOutputRows = 256

  /// Whether the kernel computes `g`: ungrouped, with the direct kernel's limits on the patch
  /// length (its input channels) and the weights.
  static func writesChannelsLast(_ g: Conv2DGeometry) -> Bool {
    g.groups == 1 && g.columnRows <= directChannelsLastMaximumInputs
      && g.weightCount <= directChannelsLastMaximumWeights
  }

  /// Scratch floats: the packed weights, then one block of patches per part of a parallel loop.
  static func channelsLastOutputScratchCount(_ g: Conv2DGeometry) -> Int {
    g.weightCount + Parallel.maximumParts * channelsLastOutputRows * g.columnRows
  }

  /// output (NHWC) = activation(conv(input (NCHW), weight) · channelScale + bias), the arithmetic of
  /// `nnc_pointwise_nhwc_forward` over each pixel's patch (terms in weight order: channel, row,
  /// column; taps outside the input are zeros). Tasks depend on the geometry and batch alone.
  static func channelsLastOutputForward(
    _ g: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, activation: ActivationKind,
    channelScale: UnsafePointer<Float>?, scratch: UnsafeMutablePointer<Float>,
    threads: Int = Parallel.threadCount, instructionSet: DepthwiseInstructionSet = .best
  ) {
    precondition(writesChannelsLast(g), "no channels-last output kernel for \(g)")
    let (patch, outputs) = (g.columnRows, g.outChannels)
    let packed = scratch
    nnc_pointwise_nhwc_pack(Int32(outputs), Int32(patch), weight, packed)
    let patches = scratch + g.weightCount
    let outPlane = g.outHeight * g.outWidth
    let pixels = g.batch * outPlane
    let rows = channelsLastOutputRows
    let tasks = (pixels + rows - 1) / rows
    let code = activation.pointwiseKernelCode
    let inPlane = g.inHeight * g.inWidth
    Parallel.forEach(tasks, workPerItem: rows * patch * outputs, threads: threads) { part, task in
      let first = task * rows
      let count = min(rows, pixels - first)
      let block = patches + part * rows * patch
      for row in 0..<count {
        let (n, position) = (first + row).quotientAndRemainder(dividingBy: outPlane)
        let (oy, ox) = position.quotientAndRemainder(dividingBy: g.outWidth)
        let sample = input + n * g.inChannels * inPlane
        var k = 0
        let destination = block + row * patch
        let firstColumn = ox * g.strideW - g.padLeft
        // Columns inside the input for every tap: no check per tap.
        let columnsInside = firstColumn >= 0 && firstColumn + (g.kernelWidth - 1) * g.dilationW < g.inWidth
        for channel in 0..<g.inChannels {
          let plane = sample + channel * inPlane
          for ky in 0..<g.kernelHeight {
            let iy = oy * g.strideH - g.padTop + ky * g.dilationH
            if iy < 0 || iy >= g.inHeight {
              for kx in 0..<g.kernelWidth { destination[k + kx] = 0 }
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
      let rowsOutput = output + first * outputs
      nnc_pointwise_nhwc_forward(
        instructionSet.code, Int32(outputs), Int32(patch), Int32(count), packed, block, rowsOutput, nil,
        channelScale, bias, code ?? Int32(NNC_POINTWISE_LINEAR))
      if code == nil {
        activation.forwardSerial(UnsafePointer(rowsOutput), rowsOutput, count: count * outputs)
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
