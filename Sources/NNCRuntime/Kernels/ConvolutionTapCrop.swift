/// The part of a convolution's kernel that ever reads the input. A kernel tap whose every output
/// position falls in the padding multiplies only zeros; when a whole border row or column of taps is
/// like that, the convolution equals one with that row or column removed and the padding reduced
/// accordingly. The common case is a 3x3, padding-1 convolution on a 1x1 feature map (the last
/// stage of a ResNet on 32x32 images), where 8 of the 9 taps only see padding: cropping them makes
/// the product 9 times smaller. The dropped taps get a zero weight gradient, as they should.
public struct Conv2DTapCrop: Sendable, Hashable {
  /// The convolution with the cropped kernel; its padding may be negative (input rows skipped).
  var geometry: Conv2DGeometry
  /// Where the cropped kernel starts in the full one.
  var firstRow: Int
  var firstColumn: Int
  /// The full kernel's size.
  var kernelHeight: Int
  var kernelWidth: Int

  /// The cropped convolution over `batch` samples.
  func geometry(batch: Int) -> Conv2DGeometry {
    var cropped = geometry
    cropped.batch = batch
    return cropped
  }

  /// Copies the live taps of weights [outChannels, inChannels / groups, kh, kw] into `cropped`.
  func gather(_ weight: UnsafePointer<Float>, into cropped: UnsafeMutablePointer<Float>) {
    let (height, width) = (geometry.kernelHeight, geometry.kernelWidth)
    let filters = geometry.outChannels * geometry.inChannelsPerGroup
    // Reading the full weights is memory-bound (a 3x3 kernel cropped to its centre still touches
    // every cache line), so the filters are split across threads.
    let taps = kernelHeight * kernelWidth
    Parallel.forEachChunk(filters * taps, unit: taps) { range in
      if height == 1 && width == 1 {
        // One live tap (a 3x3 kernel on a 1x1 map): a strided copy, without the per-filter loops.
        let source = weight + firstRow * kernelWidth + firstColumn
        for filter in range { cropped[filter] = source[filter &* taps] }
        return
      }
      var target = cropped + range.lowerBound * height * width
      for filter in range {
        for row in 0..<height {
          let source = weight + (filter * kernelHeight + firstRow + row) * kernelWidth + firstColumn
          for column in 0..<width { target[column] = source[column] }
          target += width
        }
      }
    }
  }

  /// Adds a gradient of the cropped weights to the full weights' gradient, at the live taps.
  func scatterAdd(_ cropped: UnsafePointer<Float>, into gradWeight: UnsafeMutablePointer<Float>) {
    let (height, width) = (geometry.kernelHeight, geometry.kernelWidth)
    let filters = geometry.outChannels * geometry.inChannelsPerGroup
    let taps = kernelHeight * kernelWidth
    Parallel.forEachChunk(filters * taps, unit: taps) { range in
      if height == 1 && width == 1 {
        let target = gradWeight + firstRow * kernelWidth + firstColumn
        for filter in range { target[filter &* taps] += cropped[filter] }
        return
      }
      var source = cropped + range.lowerBound * height * width
      for filter in range {
        for row in 0..<height {
          let target = gradWeight + (filter * kernelHeight + firstRow + row) * kernelWidth + firstColumn
          for column in 0..<width { target[column] += source[column] }
          source += width
        }
      }
    }
  }
}

extension Conv2DGeometry {
  /// The crop of this convolution's kernel to its live taps, or nil when every tap is live (or none
  /// is: the output is then the bias alone, which the full kernel computes as well).
  var liveTapCrop: Conv2DTapCrop? {
    guard
      let rows = Self.liveTaps(
        kernel: kernelHeight, stride: strideH, dilation: dilationH, padBefore: padTop, input: inHeight,
        output: outHeight),
      let columns = Self.liveTaps(
        kernel: kernelWidth, stride: strideW, dilation: dilationW, padBefore: padLeft, input: inWidth,
        output: outWidth),
      rows.count < kernelHeight || columns.count < kernelWidth
    else { return nil }
    var cropped = self
    cropped.kernelHeight = rows.count
    cropped.kernelWidth = columns.count
    cropped.padTop = padTop - rows.lowerBound * dilationH
    cropped.padBottom = padBottom - (kernelHeight - rows.upperBound) * dilationH
    cropped.padLeft = padLeft - columns.lowerBound * dilationW
    cropped.padRight = padRight - (kernelWidth - columns.upperBound) * dilationW
    return Conv2DTapCrop(
      geometry: cropped, firstRow: rows.lowerBound, firstColumn: columns.lowerBound,
      kernelHeight: kernelHeight, kernelWidth: kernelWidth)
  }

  /// The smallest range of taps along one axis holding every tap that some output position reads
  /// inside the input, or nil if none does.
  static func liveTaps(
    kernel: Int, stride: Int, dilation: Int, padBefore: Int, input: Int, output: Int
  ) -> Range<Int>? {
    var first: Int?
    var last = 0
    for tap in 0..<kernel {
      // Output positions o read input o·stride + offset; the first with a non-negative one.
      let offset = tap * dilation - padBefore
      let firstOutput = offset >= 0 ? 0 : (-offset + stride - 1) / stride
      guard firstOutput < output && firstOutput * stride + offset < input else { continue }
      if first == nil { first = tap }
      last = tap
    }
    return first.map { $0..<(last + 1) }
  }
}
