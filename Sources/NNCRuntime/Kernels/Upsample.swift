/// Enlarges every plane of an NCHW tensor by an integer factor: input [planes, height, width], output
/// [planes, height * scale, width * scale]. Work is split over planes only, and each plane's
/// scatter-add in the backward pass runs in one order, so results do not depend on the thread count.
public enum Upsample2D {
  /// out(y, x) = in(y / scale, x / scale).
  public static func nearestForward(
    planes: Int, height: Int, width: Int, scale: Int, input: UnsafePointer<Float>,
    output: UnsafeMutablePointer<Float>
  ) {
    let outHeight = height * scale
    let outWidth = width * scale
    Parallel.forEach(planes, workPerItem: outHeight * outWidth) { plane in
      let source = input + plane * height * width
      let target = output + plane * outHeight * outWidth
      for y in 0..<outHeight {
        let sourceRow = source + (y / scale) * width
        let row = target + y * outWidth
        for x in 0..<outWidth { row[x] = sourceRow[x / scale] }
      }
    }
  }

  /// The adjoint of `nearestForward`: each input pixel receives the sum of its scale x scale block.
  public static func nearestBackward(
    planes: Int, height: Int, width: Int, scale: Int, gradOutput: UnsafePointer<Float>,
    gradInput: UnsafeMutablePointer<Float>
  ) {
    let outHeight = height * scale
    let outWidth = width * scale
    Parallel.forEach(planes, workPerItem: outHeight * outWidth) { plane in
      let source = gradOutput + plane * outHeight * outWidth
      let target = gradInput + plane * height * width
      for y in 0..<height {
        for x in 0..<width {
          var sum: Float = 0
          for dy in 0..<scale {
            let row = source + (y * scale + dy) * outWidth + x * scale
            for dx in 0..<scale { sum += row[dx] }
          }
          target[y * width + x] = sum
        }
      }
    }
  }

  /// The two input neighbours of each output position along one axis and the weight of the second:
  /// source = (destination + 0.5) / scale - 0.5, clamped at 0 below, neighbours clamped to size - 1.
  static func taps(size: Int, scale: Int) -> [(first: Int, second: Int, weight: Float)] {
    (0..<size * scale).map { destination -> (first: Int, second: Int, weight: Float) in
      let source = max((Float(destination) + 0.5) / Float(scale) - 0.5, 0)
      let first = min(Int(source), size - 1)
      return (first: first, second: min(first + 1, size - 1), weight: source - Float(first))
    }
  }

  /// Bilinear interpolation as PyTorch's `interpolate(mode: "bilinear", align_corners: False)`.
  public static func bilinearForward(
    planes: Int, height: Int, width: Int, scale: Int, input: UnsafePointer<Float>,
    output: UnsafeMutablePointer<Float>
  ) {
    let rows = taps(size: height, scale: scale)
    let columns = taps(size: width, scale: scale)
    let outWidth = width * scale
    let outPlane = height * scale * outWidth
    Parallel.forEach(planes, workPerItem: 8 * outPlane) { plane in
      let source = input + plane * height * width
      let target = output + plane * outPlane
      for (y, row) in rows.enumerated() {
        let upper = source + row.first * width
        let lower = source + row.second * width
        for (x, column) in columns.enumerated() {
          let top = upper[column.first] + column.weight * (upper[column.second] - upper[column.first])
          let bottom = lower[column.first] + column.weight * (lower[column.second] - lower[column.first])
          target[y * outWidth + x] = top + row.weight * (bottom - top)
        }
      }
    }
  }

  /// The adjoint of `bilinearForward`: each output gradient is scattered back to its four neighbours
  /// with the forward's weights.
  public static func bilinearBackward(
    planes: Int, height: Int, width: Int, scale: Int, gradOutput: UnsafePointer<Float>,
    gradInput: UnsafeMutablePointer<Float>
  ) {
    let rows = taps(size: height, scale: scale)
    let columns = taps(size: width, scale: scale)
    let outWidth = width * scale
    let outPlane = height * scale * outWidth
    Parallel.forEach(planes, workPerItem: 8 * outPlane) { plane in
      let source = gradOutput + plane * outPlane
      let target = gradInput + plane * height * width
      target.update(repeating: 0, count: height * width)
      for (y, row) in rows.enumerated() {
        let upper = target + row.first * width
        let lower = target + row.second * width
        for (x, column) in columns.enumerated() {
          let gradient = source[y * outWidth + x]
          let bottom = gradient * row.weight
          let top = gradient - bottom
          upper[column.first] += top * (1 - column.weight)
          upper[column.second] += top * column.weight
          lower[column.first] += bottom * (1 - column.weight)
          lower[column.second] += bottom * column.weight
        }
      }
    }
  }
}
