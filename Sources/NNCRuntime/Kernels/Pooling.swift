import CKernels

/// The shape of a 2-D pooling over NCHW tensors: input [batch, channels, inHeight, inWidth], output
/// [batch, channels, outHeight, outWidth]. Padding may differ on each side (TF-style `same`) but must
/// be smaller than the window on each axis, so every window holds at least one real pixel.
public struct Pool2DGeometry: Sendable, Hashable {
  public var batch: Int
  public var channels: Int
  public var inHeight: Int
  public var inWidth: Int
  public var windowH: Int
  public var windowW: Int
  public var strideH: Int
  public var strideW: Int
  public var padTop: Int
  public var padBottom: Int
  public var padLeft: Int
  public var padRight: Int

  public init(
    batch: Int, channels: Int, inHeight: Int, inWidth: Int, windowH: Int, windowW: Int,
    strideH: Int, strideW: Int, padTop: Int = 0, padBottom: Int = 0, padLeft: Int = 0,
    padRight: Int = 0
  ) {
    self.batch = batch
    self.channels = channels
    self.inHeight = inHeight
    self.inWidth = inWidth
    self.windowH = windowH
    self.windowW = windowW
    self.strideH = strideH
    self.strideW = strideW
    self.padTop = padTop
    self.padBottom = padBottom
    self.padLeft = padLeft
    self.padRight = padRight
  }

  public var outHeight: Int { (inHeight + padTop + padBottom - windowH) / strideH + 1 }
  public var outWidth: Int { (inWidth + padLeft + padRight - windowW) / strideW + 1 }
  public var inputCount: Int { batch * channels * inHeight * inWidth }
  public var outputCount: Int { batch * channels * outHeight * outWidth }

  /// Throws a `KernelError` naming the first inconsistent field.
  public func validate() throws(KernelError) {
    let name = "pool2d"
    try requirePositive(batch, "batch", in: name)
    try requirePositive(channels, "channels", in: name)
    try requirePositive(inHeight, "inHeight", in: name)
    try requirePositive(inWidth, "inWidth", in: name)
    try requirePositive(windowH, "windowH", in: name)
    try requirePositive(windowW, "windowW", in: name)
    try requirePositive(strideH, "strideH", in: name)
    try requirePositive(strideW, "strideW", in: name)
    for (pad, field, window) in [
      (padTop, "padTop", windowH), (padBottom, "padBottom", windowH),
      (padLeft, "padLeft", windowW), (padRight, "padRight", windowW),
    ] {
      try requireNonNegative(pad, field, in: name)
      guard pad < window else {
        throw KernelError("\(name): \(field) (\(pad)) must be smaller than the window (\(window))")
      }
    }
    guard windowH <= inHeight + padTop + padBottom, windowW <= inWidth + padLeft + padRight else {
      throw KernelError(
        "\(name): the window (\(windowH)x\(windowW)) is larger than the padded input "
          + "(\(inHeight + padTop + padBottom)x\(inWidth + padLeft + padRight))")
    }
  }

  /// A 2x2 window with stride 2 and no padding: every window lies inside the input.
  var isUnpaddedTwoByTwo: Bool {
    windowH == 2 && windowW == 2 && strideH == 2 && strideW == 2 && padTop == 0 && padBottom == 0
      && padLeft == 0 && padRight == 0
  }

  /// The output columns whose windows lie wholly inside the input row: no padding, no clipping.
  var columnsInsideRow: Range<Int> {
    let first = min(outWidth, (padLeft + strideW - 1) / strideW)
    let lastStart = inWidth - windowW + padLeft
    guard lastStart >= 0 else { return first..<first }
    return first..<max(first, min(outWidth, lastStart / strideW + 1))
  }

  /// The clipped input rows and columns that output position (oy, ox) pools over.
  @inline(__always)
  func window(_ oy: Int, _ ox: Int) -> (rows: Range<Int>, columns: Range<Int>) {
    let top = oy * strideH - padTop
    let left = ox * strideW - padLeft
    return (
      max(top, 0)..<min(top + windowH, inHeight), max(left, 0)..<min(left + windowW, inWidth)
    )
  }
}

/// Max pooling. Forward records, for each output, the index within its input plane (y * inWidth + x)
/// of the maximum, in caller scratch of `Int32`; backward routes each gradient to that pixel. Ties go
/// to the first maximum in row-major order. Padding never wins (it is not a value).
public enum MaxPool2D {
  /// `Int32` scratch elements for the argmax indices: one per output element.
  public static func indexScratchCount(_ geometry: Pool2DGeometry) -> Int { geometry.outputCount }

  public static func forward(
    _ geometry: Pool2DGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
    argmax: UnsafeMutablePointer<Int32>
  ) {
    let g = geometry
    let (outH, outW) = (g.outHeight, g.outWidth)
    let inPlane = g.inHeight * g.inWidth
    Parallel.forEach(g.batch * g.channels, workPerItem: outH * outW * g.windowH * g.windowW) { plane in
      let src = input + plane * inPlane
      let dst = output + plane * outH * outW
      let indices = argmax + plane * outH * outW
      if g.isUnpaddedTwoByTwo {
        twoByTwo(g, src, dst, indices)
        return
      }
      if outW >= 8 {
        paddedRows(g, src, dst, argmax: indices)
        return
      }
      for oy in 0..<outH {
        for ox in 0..<outW {
          let (rows, columns) = g.window(oy, ox)
          var best = rows.lowerBound * g.inWidth + columns.lowerBound
          var bestValue = src[best]
          for y in rows {
            for x in columns where src[y * g.inWidth + x] > bestValue {
              best = y * g.inWidth + x
              bestValue = src[best]
            }
          }
          dst[oy * outW + ox] = bestValue
          indices[oy * outW + ox] = Int32(best)
        }
      }
    }
  }

  /// The common 2x2, stride-2, unpadded window without the general loop's bookkeeping; the same
  /// comparisons in the same order (row-major, strictly greater), so the same results.
  @inline(__always)
  private static func twoByTwo(
    _ g: Pool2DGeometry, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
    _ indices: UnsafeMutablePointer<Int32>
  ) {
    let width = g.inWidth
    for oy in 0..<g.outHeight {
      let top = 2 * oy * width
      for ox in 0..<g.outWidth {
        let first = top + 2 * ox
        var best = first
        var bestValue = src[first]
        if src[first + 1] > bestValue {
          best = first + 1
          bestValue = src[best]
        }
        if src[first + width] > bestValue {
          best = first + width
          bestValue = src[best]
        }
        if src[first + width + 1] > bestValue {
          best = first + width + 1
          bestValue = src[best]
        }
        dst[oy * g.outWidth + ox] = bestValue
        indices[oy * g.outWidth + ox] = Int32(best)
      }
    }
  }

  /// `forward` without the argmax, for inference executors (they never run backward): the same
  /// comparisons in the same order, so the same values.
  public static func forwardValues(
    _ geometry: Pool2DGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
  ) {
    let g = geometry
    let (outH, outW) = (g.outHeight, g.outWidth)
    let inPlane = g.inHeight * g.inWidth
    Parallel.forEach(g.batch * g.channels, workPerItem: outH * outW * g.windowH * g.windowW) { plane in
      forwardValues(g, plane: input + plane * inPlane, into: output + plane * outH * outW)
    }
  }

  /// `forwardValues` of one plane (one sample's channel), on the calling thread: what a convolution
  /// that pools its own output (`PlannedPool`) runs on each plane it has just computed.
  @inline(__always)
  static func forwardValues(
    _ g: Pool2DGeometry, plane src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>
  ) {
    if g.isUnpaddedTwoByTwo {
      twoByTwoValues(g, src, dst)
      return
    }
    let inside = g.columnsInsideRow
    if g.outWidth >= 8 && inside.count / 8 * 8 < g.outWidth / 2 {
      paddedRows(g, src, dst, argmax: nil)
      return
    }
    for oy in 0..<g.outHeight {
      var ox = 0
      while ox < g.outWidth {
        if ox >= inside.lowerBound && ox &+ 8 <= inside.upperBound {
          let run = inside.upperBound &- ox
          windowValues(g, src, dst, oy: oy, ox: ox, count: run)
          ox &+= run
          continue
        }
        let (rows, columns) = g.window(oy, ox)
        var bestValue = src[rows.lowerBound * g.inWidth + columns.lowerBound]
        for y in rows {
          for x in columns where src[y * g.inWidth + x] > bestValue { bestValue = src[y * g.inWidth + x] }
        }
        dst[oy * g.outWidth + ox] = bestValue
        ox &+= 1
      }
    }
  }

  /// `count` outputs (oy, ox ..< ox + count, 8 or more) of a row whose windows lie inside the
  /// row (the 3x3, stride-2 pooling after ResNet-50's stem, most of each row), by the C kernel
  /// `nnc_max_pool_run`: each lane makes the scalar loop's comparisons in its order (row-major, a
  /// later pixel replacing the best only when strictly greater), its stride-2 pixels split from two
  /// vector loads. (Eight outputs at a time gathered pixel by pixel in Swift ran ResNet-50's pooling
  /// at 2.5 ms a batch of 8 against ONNX Runtime's 1.0.)
  @inline(__always)
  private static func windowValues(
    _ g: Pool2DGeometry, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, oy: Int, ox: Int,
    count: Int
  ) {
    let rows = g.window(oy, ox).rows
    let origin = src + rows.lowerBound * g.inWidth + ox * g.strideW - g.padLeft
    nnc_max_pool_run(
      DepthwiseInstructionSet.best.code, origin, g.inWidth, Int32(rows.count), Int32(g.windowW),
      Int32(g.strideW), Int32(count), dst + oy * g.outWidth + ox)
  }

  /// The outputs of a plane (and, with `argmax`, each one's index in the plane: the first maximum
  /// in row-major order, as `forward`'s scalar loop) by the C kernel `nnc_max_pool_padded_plane`:
  /// the rows copied with −∞ around them, then eight windows at a time, each lane making the scalar
  /// loop's comparisons that can change the result; at least 8 outputs a row. Inference takes it
  /// for planes whose rows are mostly border windows (ResNet's stem pooling at 32x32 input, 16x16 to
  /// 8x8: in Swift, over rows split by column phase, 0.53 ms a batch of 32 on two threads), training
  /// for every such plane (the scalar loop: 0.95 ms).
  private static func paddedRows(
    _ g: Pool2DGeometry, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
    argmax: UnsafeMutablePointer<Int32>?
  ) {
    nnc_max_pool_padded_plane(
      DepthwiseInstructionSet.best.code, src, Int32(g.inHeight), Int32(g.inWidth), Int32(g.outHeight),
      Int32(g.outWidth), Int32(g.windowH), Int32(g.windowW), Int32(g.strideH), Int32(g.strideW),
      Int32(g.padTop), Int32(g.padLeft), dst, argmax)
  }

  /// `twoByTwo` without the argmax, eight outputs of a row at once: each lane makes the scalar
  /// loop's comparisons (a later pixel replaces the best only when strictly greater).
  @inline(__always)
  private static func twoByTwoValues(
    _ g: Pool2DGeometry, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>
  ) {
    let width = g.inWidth
    for oy in 0..<g.outHeight {
      let top = src + 2 * oy * width
      let bottom = top + width
      let row = dst + oy * g.outWidth
      forEachLaneGroup(g.outWidth) { ox, vector in
        if vector {
          var best = SIMD8<Float>.load(top + 2 * ox, stride: 2)
          var candidate = SIMD8<Float>.load(top + 2 * ox + 1, stride: 2)
          best.replace(with: candidate, where: candidate .> best)
          candidate = SIMD8<Float>.load(bottom + 2 * ox, stride: 2)
          best.replace(with: candidate, where: candidate .> best)
          candidate = SIMD8<Float>.load(bottom + 2 * ox + 1, stride: 2)
          best.replace(with: candidate, where: candidate .> best)
          best.store(row + ox)
        } else {
          var best = top[2 * ox]
          if top[2 * ox + 1] > best { best = top[2 * ox + 1] }
          if bottom[2 * ox] > best { best = bottom[2 * ox] }
          if bottom[2 * ox + 1] > best { best = bottom[2 * ox + 1] }
          row[ox] = best
        }
      }
    }
  }

  /// gradInput (overwritten) receives each output's gradient at the pixel recorded in `argmax`.
  public static func backward(
    _ geometry: Pool2DGeometry, gradOutput: UnsafePointer<Float>, argmax: UnsafePointer<Int32>,
    gradInput: UnsafeMutablePointer<Float>
  ) {
    let g = geometry
    let outPlane = g.outHeight * g.outWidth
    let inPlane = g.inHeight * g.inWidth
    Parallel.forEach(g.batch * g.channels, workPerItem: inPlane + outPlane) { plane in
      let dst = gradInput + plane * inPlane
      dst.update(repeating: 0, count: inPlane)
      let src = gradOutput + plane * outPlane
      let indices = argmax + plane * outPlane
      for i in 0..<outPlane { dst[Int(indices[i])] += src[i] }
    }
  }
}

/// Average pooling that excludes padding from the count: each output is the mean of the real pixels
/// in its window (Keras `same`, PyTorch `count_include_pad=False`), so border outputs are not pulled
/// toward zero. No scratch.
public enum AveragePool2D {
  public static func forward(
    _ geometry: Pool2DGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
  ) {
    let g = geometry
    let (outH, outW) = (g.outHeight, g.outWidth)
    let inPlane = g.inHeight * g.inWidth
    Parallel.forEach(g.batch * g.channels, workPerItem: outH * outW * g.windowH * g.windowW) { plane in
      let src = input + plane * inPlane
      let dst = output + plane * outH * outW
      for oy in 0..<outH {
        for ox in 0..<outW {
          let (rows, columns) = g.window(oy, ox)
          var sum: Float = 0
          for y in rows {
            for x in columns { sum += src[y * g.inWidth + x] }
          }
          dst[oy * outW + ox] = sum / Float(rows.count * columns.count)
        }
      }
    }
  }

  /// gradInput (overwritten): each output's gradient shared equally among its window's real pixels.
  public static func backward(
    _ geometry: Pool2DGeometry, gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>
  ) {
    let g = geometry
    let (outH, outW) = (g.outHeight, g.outWidth)
    let inPlane = g.inHeight * g.inWidth
    Parallel.forEach(g.batch * g.channels, workPerItem: outH * outW * g.windowH * g.windowW) { plane in
      let src = gradOutput + plane * outH * outW
      let dst = gradInput + plane * inPlane
      dst.update(repeating: 0, count: inPlane)
      for oy in 0..<outH {
        for ox in 0..<outW {
          let (rows, columns) = g.window(oy, ox)
          let share = src[oy * outW + ox] / Float(rows.count * columns.count)
          for y in rows {
            for x in columns { dst[y * g.inWidth + x] += share }
          }
        }
      }
    }
  }
}

/// Global pooling [batch, channels, H, W] -> [batch, channels]: the mean or the maximum of each
/// plane (`spatial` = H * W). Global max records each plane's argmax in `Int32` scratch of
/// batch * channels elements; ties go to the first maximum. Each task takes a run of planes: a
/// closure call per plane of 4 pixels (MobileNetV2's 2x2 maps, 40,960 planes a batch of 32) cost
/// more than the sums.
public enum GlobalPool {
  public static func averageForward(
    batch: Int, channels: Int, spatial: Int, input: UnsafePointer<Float>,
    output: UnsafeMutablePointer<Float>
  ) {
    Parallel.forEachChunk(batch * channels * spatial, unit: spatial) { planes in
      for plane in planes {
        let src = input + plane * spatial
        var sum: Float = 0
        for i in 0..<spatial { sum += src[i] }
        output[plane] = sum / Float(spatial)
      }
    }
  }

  /// gradInput (overwritten) = gradOutput / spatial, broadcast over each plane.
  public static func averageBackward(
    batch: Int, channels: Int, spatial: Int, gradOutput: UnsafePointer<Float>,
    gradInput: UnsafeMutablePointer<Float>
  ) {
    Parallel.forEachChunk(batch * channels * spatial, unit: spatial) { planes in
      for plane in planes {
        (gradInput + plane * spatial).update(
          repeating: gradOutput[plane] / Float(spatial), count: spatial)
      }
    }
  }

  /// `Int32` scratch elements global max pooling needs for its argmax indices.
  public static func maxIndexScratchCount(batch: Int, channels: Int) -> Int { batch * channels }

  public static func maxForward(
    batch: Int, channels: Int, spatial: Int, input: UnsafePointer<Float>,
    output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>
  ) {
    Parallel.forEachChunk(batch * channels * spatial, unit: spatial) { planes in
      for plane in planes {
        let src = input + plane * spatial
        var best = 0
        for i in 1..<max(spatial, 1) where src[i] > src[best] { best = i }
        output[plane] = src[best]
        argmax[plane] = Int32(best)
      }
    }
  }

  /// gradInput (overwritten) is zero except at each plane's maximum, which gets the plane's gradient.
  public static func maxBackward(
    batch: Int, channels: Int, spatial: Int, gradOutput: UnsafePointer<Float>,
    argmax: UnsafePointer<Int32>, gradInput: UnsafeMutablePointer<Float>
  ) {
    Parallel.forEachChunk(batch * channels * spatial, unit: spatial) { planes in
      for plane in planes {
        let dst = gradInput + plane * spatial
        dst.update(repeating: 0, count: spatial)
        dst[Int(argmax[plane])] = gradOutput[plane]
      }
    }
  }
}
