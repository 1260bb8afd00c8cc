import Foundation

/// Separable gaussian blur with a kernel of radius ⌈3σ⌉ (normalized to sum 1) and mirrored borders.
enum GaussianBlur {
  /// Weights for offsets -radius...radius; the radius stops at `maxRadius` (the image size: taps
  /// further out only revisit mirrored pixels), so a huge sigma cannot make a huge kernel.
  static func kernel(sigma: Double, maxRadius: Int = 4096) -> [Float] {
    let radius = max(1, min(pixelCount((3 * sigma).rounded(.up), limit: maxRadius), maxRadius))
    let weights = (-radius...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
    let total = weights.reduce(0, +)
    return weights.map { Float($0 / total) }
  }

  static func blur(_ sample: UnsafeMutableBufferPointer<Float>, _ shape: ImageShape, sigma: Double) {
    guard sigma > 0 else { return }
    for channel in 0..<shape.channels {
      let range = channel * shape.planeSize..<(channel + 1) * shape.planeSize
      var plane = Array(sample[range])
      blurPlane(&plane, height: shape.height, width: shape.width, sigma: sigma)
      // Weights sum to 1 only up to rounding; keep values in [0, 1].
      for (offset, value) in plane.enumerated() { sample[range.lowerBound + offset] = min(max(value, 0), 1) }
    }
  }

  /// Blurs one `height × width` plane in place: rows, then columns.
  static func blurPlane(_ plane: inout [Float], height: Int, width: Int, sigma: Double) {
    let weights = kernel(sigma: sigma, maxRadius: max(height, width))
    let radius = weights.count / 2
    var pass = plane
    for y in 0..<height {
      for x in 0..<width {
        var sum: Float = 0
        for (tap, weight) in weights.enumerated() {
          sum += weight * plane[y * width + reflected(x + tap - radius, width)]
        }
        pass[y * width + x] = sum
      }
    }
    for y in 0..<height {
      for x in 0..<width {
        var sum: Float = 0
        for (tap, weight) in weights.enumerated() {
          sum += weight * pass[reflected(y + tap - radius, height) * width + x]
        }
        plane[y * width + x] = sum
      }
    }
  }
}
