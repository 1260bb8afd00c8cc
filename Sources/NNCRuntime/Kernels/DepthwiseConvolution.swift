/// Depthwise convolution computed directly, without im2col: `groups == inChannels` and output
/// channel `oc` reads input channel `oc / M`, where M = outChannels / inChannels is the depth
/// multiplier (the PyTorch grouping; weight [outChannels, 1, kernelHeight, kernelWidth]).
/// Gradients of weight and bias are accumulated; the input gradient is overwritten. No scratch.
public enum DepthwiseConv2D {
  /// output = activation(depthwise(input, weight) + bias), one task per (sample, output channel).
  public static func forward(
    _ geometry: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
    activation: ActivationKind = .linear
  ) {
    let g = geometry
    precondition(g.isDepthwise, "DepthwiseConv2D needs groups == inChannels, got \(g)")
    let multiplier = g.outChannels / g.inChannels
    let (outH, outW) = (g.outHeight, g.outWidth)
    let taps = g.kernelHeight * g.kernelWidth
    Parallel.forEach(g.batch * g.outChannels, workPerItem: outH * outW * taps) { task in
      let (n, oc) = task.quotientAndRemainder(dividingBy: g.outChannels)
      let plane = input + (n * g.inChannels + oc / multiplier) * g.inHeight * g.inWidth
      let kernel = weight + oc * taps
      let dst = output + task * outH * outW
      let initial = bias?[oc] ?? 0
      for oy in 0..<outH {
        for ox in 0..<outW {
          var sum = initial
          for ki in 0..<g.kernelHeight {
            let iy = oy * g.strideH - g.padTop + ki * g.dilationH
            guard iy >= 0 && iy < g.inHeight else { continue }
            for kj in 0..<g.kernelWidth {
              let ix = ox * g.strideW - g.padLeft + kj * g.dilationW
              guard ix >= 0 && ix < g.inWidth else { continue }
              sum += kernel[ki * g.kernelWidth + kj] * plane[iy * g.inWidth + ix]
            }
          }
          dst[oy * outW + ox] = sum
        }
      }
      if activation != .linear { activation.forward(UnsafePointer(dst), dst, count: outH * outW) }
    }
  }

  /// Gradients of `forward` without activation; any of the three outputs may be nil to skip it.
  /// gradInput runs one task per (sample, input channel), gradWeight one per output channel with the
  /// batch summed in order, so every sum has a fixed order.
  public static func backward(
    _ geometry: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>?,
    gradWeight: UnsafeMutablePointer<Float>?, gradBias: UnsafeMutablePointer<Float>?
  ) {
    let g = geometry
    precondition(g.isDepthwise, "DepthwiseConv2D needs groups == inChannels, got \(g)")
    let multiplier = g.outChannels / g.inChannels
    let (outH, outW) = (g.outHeight, g.outWidth)
    let inPlane = g.inHeight * g.inWidth
    let taps = g.kernelHeight * g.kernelWidth
    if let gradInput {
      Parallel.forEach(g.batch * g.inChannels, workPerItem: multiplier * outH * outW * taps) { task in
        let (n, ic) = task.quotientAndRemainder(dividingBy: g.inChannels)
        let dst = gradInput + task * inPlane
        dst.update(repeating: 0, count: inPlane)
        for m in 0..<multiplier {
          let oc = ic * multiplier + m
          let kernel = weight + oc * taps
          let src = gradOutput + (n * g.outChannels + oc) * outH * outW
          for oy in 0..<outH {
            for ki in 0..<g.kernelHeight {
              let iy = oy * g.strideH - g.padTop + ki * g.dilationH
              guard iy >= 0 && iy < g.inHeight else { continue }
              for ox in 0..<outW {
                let dy = src[oy * outW + ox]
                for kj in 0..<g.kernelWidth {
                  let ix = ox * g.strideW - g.padLeft + kj * g.dilationW
                  guard ix >= 0 && ix < g.inWidth else { continue }
                  dst[iy * g.inWidth + ix] += dy * kernel[ki * g.kernelWidth + kj]
                }
              }
            }
          }
        }
      }
    }
    if let gradWeight {
      Parallel.forEach(g.outChannels, workPerItem: g.batch * outH * outW * taps) { oc in
        let ic = oc / multiplier
        for ki in 0..<g.kernelHeight {
          for kj in 0..<g.kernelWidth {
            var sum: Float = 0
            for n in 0..<g.batch {
              let plane = input + (n * g.inChannels + ic) * inPlane
              let src = gradOutput + (n * g.outChannels + oc) * outH * outW
              for oy in 0..<outH {
                let iy = oy * g.strideH - g.padTop + ki * g.dilationH
                guard iy >= 0 && iy < g.inHeight else { continue }
                for ox in 0..<outW {
                  let ix = ox * g.strideW - g.padLeft + kj * g.dilationW
                  guard ix >= 0 && ix < g.inWidth else { continue }
                  sum += src[oy * outW + ox] * plane[iy * g.inWidth + ix]
                }
              }
            }
            gradWeight[oc * taps + ki * g.kernelWidth + kj] += sum
          }
        }
      }
    }
    if let gradBias {
      accumulateBiasGradient(
        gradOutput, batch: g.batch, channels: g.outChannels, plane: outH * outW, gradBias: gradBias)
    }
  }
}
