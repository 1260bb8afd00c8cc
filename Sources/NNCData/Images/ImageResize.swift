extension Image {
  /// Bilinear resampling to `height × width` with pixel centres at half-integers: output pixel `x`
  /// is centred on source position `(x + 0.5) · inWidth / outWidth` (pixel `i` covering [i, i + 1)),
  /// the convention of OpenCV, PIL and `align_corners=False`. Enlarging interpolates the two nearest
  /// pixels (edges repeat); shrinking widens the triangle filter by the reduction factor, as PIL does,
  /// so every source pixel contributes and fine detail averages out instead of aliasing. Resizing to
  /// the same size returns the image unchanged.
  public func resized(height outHeight: Int, width outWidth: Int) -> Image {
    if outHeight == height && outWidth == width { return self }
    let columns = FlatTaps(Self.triangleTaps(from: width, to: outWidth))
    let rows = FlatTaps(Self.triangleTaps(from: height, to: outHeight))
    // Rows first into [C, H, outWidth], then columns; each sum adds its taps in order, as the
    // triangle filter lists them.
    var horizontal = [Float](repeating: 0, count: channels * height * outWidth)
    var result = Image(channels: channels, height: outHeight, width: outWidth)
    pixels.withUnsafeBufferPointer { pixels in
      horizontal.withUnsafeMutableBufferPointer { horizontal in
        for line in 0..<(channels * height) {
          let source = line * width
          let target = line * outWidth
          for x in 0..<outWidth {
            var sum: Float = 0
            for tap in columns.range(x) {
              sum += columns.weights[tap] * pixels[source + columns.starts[x] + tap - columns.offsets[x]]
            }
            horizontal[target + x] = sum
          }
        }
      }
    }
    horizontal.withUnsafeBufferPointer { horizontal in
      result.pixels.withUnsafeMutableBufferPointer { output in
        for channel in 0..<channels {
          for y in 0..<outHeight {
            let target = (channel * outHeight + y) * outWidth
            // Tap by tap over the whole row: each output still adds its taps in order, from 0.
            for tap in rows.range(y) {
              let sourceRow = channel * height + rows.starts[y] + tap - rows.offsets[y]
              let weight = rows.weights[tap]
              for x in 0..<outWidth {
                output[target + x] += weight * horizontal[sourceRow * outWidth + x]
              }
            }
          }
        }
      }
    }
    return result
  }

  /// `triangleTaps` in flat arrays: output `i`'s weights are `weights[offsets[i]..<offsets[i + 1]]`,
  /// applied from source index `starts[i]`.
  struct FlatTaps {
    var starts: [Int]
    var offsets: [Int]
    var weights: [Float]

    init(_ taps: [(start: Int, weights: [Float])]) {
      starts = taps.map(\.start)
      offsets = [0]
      weights = []
      for tap in taps {
        weights += tap.weights
        offsets.append(weights.count)
      }
    }

    @inline(__always)
    func range(_ index: Int) -> Range<Int> { offsets[index]..<offsets[index + 1] }
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
