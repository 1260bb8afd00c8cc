extension Image {
  /// Bilinear resampling to `height × width` with pixel centres at half-integers: output pixel `x`
  /// covers source position `(x + 0.5) · inWidth / outWidth − 0.5`, clamped to the edge pixels (the
  /// convention of OpenCV, PIL and `align_corners=False`), so resizing to the same size is exact and a
  /// 2× reduction averages pixel pairs.
  public func resized(height outHeight: Int, width outWidth: Int) -> Image {
    if outHeight == height && outWidth == width { return self }
    let rows = Self.bilinearTaps(from: height, to: outHeight)
    let columns = Self.bilinearTaps(from: width, to: outWidth)
    var result = Image(channels: channels, height: outHeight, width: outWidth)
    pixels.withUnsafeBufferPointer { source in
      result.pixels.withUnsafeMutableBufferPointer { output in
        for channel in 0..<channels {
          let plane = channel * height * width
          let outPlane = channel * outHeight * outWidth
          for y in 0..<outHeight {
            let (y0, y1, wy) = rows[y]
            for x in 0..<outWidth {
              let (x0, x1, wx) = columns[x]
              let top = source[plane + y0 * width + x0] * (1 - wx) + source[plane + y0 * width + x1] * wx
              let bottom = source[plane + y1 * width + x0] * (1 - wx) + source[plane + y1 * width + x1] * wx
              output[outPlane + y * outWidth + x] = top * (1 - wy) + bottom * wy
            }
          }
        }
      }
    }
    return result
  }

  /// For each output index: the two source indices and the weight of the second.
  static func bilinearTaps(from inSize: Int, to outSize: Int) -> [(Int, Int, Float)] {
    let ratio = Double(inSize) / Double(outSize)
    return (0..<outSize).map { index in
      let position = min(max((Double(index) + 0.5) * ratio - 0.5, 0), Double(inSize - 1))
      let low = Int(position.rounded(.down))
      let high = min(low + 1, inSize - 1)
      return (low, high, Float(position - Double(low)))
    }
  }
}
