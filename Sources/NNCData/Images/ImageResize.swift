extension Image {
  /// Bilinear resampling to `height × width` with pixel centres at half-integers: output pixel `x`
  /// is centred on source position `(x + 0.5) · inWidth / outWidth` (pixel `i` covering [i, i + 1)),
  /// the convention of OpenCV, PIL and `align_corners=False`. Enlarging interpolates the two nearest
  /// pixels (edges repeat); shrinking widens the triangle filter by the reduction factor, as PIL does,
  /// so every source pixel contributes and fine detail averages out instead of aliasing. Resizing to
  /// the same size returns the image unchanged.
  public func resized(height outHeight: Int, width outWidth: Int) -> Image {
    if outHeight == height && outWidth == width { return self }
    let columns = TapTable(Self.triangleTaps(from: width, to: outWidth), sourceSize: width)
    let rows = TapTable(Self.triangleTaps(from: height, to: outHeight), sourceSize: height)
    // Rows first into [C, H, outWidth], then columns.
    var horizontal = [Float](repeating: 0, count: channels * height * outWidth)
    var result = Image(channels: channels, height: outHeight, width: outWidth)
    let taps = columns.count
    pixels.withUnsafeBufferPointer { pixels in
      horizontal.withUnsafeMutableBufferPointer { horizontal in
        columns.starts.withUnsafeBufferPointer { starts in
          columns.weights.withUnsafeBufferPointer { weights in
            for line in 0..<(channels * height) {
              let source = pixels.baseAddress! + line * width
              let target = horizontal.baseAddress! + line * outWidth
              for x in 0..<outWidth {
                let window = source + starts[x]
                let tapWeights = weights.baseAddress! + x * taps
                var sum: Float = 0
                for tap in 0..<taps { sum += tapWeights[tap] * window[tap] }
                target[x] = sum
              }
            }
          }
        }
      }
    }
    horizontal.withUnsafeBufferPointer { horizontal in
      result.pixels.withUnsafeMutableBufferPointer { output in
        for channel in 0..<channels {
          for y in 0..<outHeight {
            let target = output.baseAddress! + (channel * outHeight + y) * outWidth
            // Tap by tap over the whole row: each output still adds its taps in order, from 0.
            for tap in 0..<rows.count {
              let source = horizontal.baseAddress! + (channel * height + rows.starts[y] + tap) * outWidth
              let weight = rows.weights[y * rows.count + tap]
              for x in 0..<outWidth { target[x] += weight * source[x] }
            }
          }
        }
      }
    }
    return result
  }

  /// `triangleTaps` with the same number of taps for every output (the most any has), so that the
  /// inner loops have a fixed length: an output with fewer taps gets zero weights before its own
  /// (its window moved left to stay inside the source) or after them. Adding those zero products
  /// to a sum that starts at +0 leaves every finite sum unchanged, bit for bit.
  struct TapTable {
    /// Taps per output.
    var count: Int
    /// The source index of each output's first tap.
    var starts: [Int]
    /// `count` weights per output.
    var weights: [Float]

    init(_ taps: [(start: Int, weights: [Float])], sourceSize: Int) {
      count = taps.map(\.weights.count).max() ?? 0
      starts = []
      weights = []
      starts.reserveCapacity(taps.count)
      weights.reserveCapacity(taps.count * count)
      for tap in taps {
        let start = min(tap.start, sourceSize - count)
        let leading = tap.start - start
        starts.append(start)
        weights += repeatElement(0, count: leading)
        weights += tap.weights
        weights += repeatElement(0, count: count - leading - tap.weights.count)
      }
    }
  }

  /// For each output index: the first source index and the weights of the source pixels from there,
  /// a triangle of half-width max(1, inSize / outSize) around the output centre, clipped to the image
  /// and normalized to sum 1.
  static func triangleTaps(from inSize: Int, to outSize: Int) -> [(start: Int, weights: [Float])] {
    let ratio = Double(inSize) / Double(outSize)
    let support = max(ratio, 1)
    return (0..<outSize).map { index in
      let centre = (Double(index) + 0.5) * ratio
      let low = max(0, Int((centre - support).rounded(.down)))
      let high = min(inSize, Int((centre + support).rounded(.up)))
      var weights = (low..<high).map { max(0, 1 - abs((Double($0) + 0.5 - centre) / support)) }
      // Drop zero weights at the ends so exact cases (same grid points) read only the pixels they use.
      var start = low
      while weights.count > 1, weights.first == 0 {
        weights.removeFirst()
        start += 1
      }
      while weights.count > 1, weights.last == 0 { weights.removeLast() }
      let total = weights.reduce(0, +)
      return (start, weights.map { Float($0 / total) })
    }
  }
}
