/// The shape of a sample seen as an image: `[C, H, W]` as is, `[F]` as F channels of one pixel (so
/// per-channel steps treat features like `Normalization` does).
public struct ImageShape: Sendable, Equatable {
  public var channels: Int
  public var height: Int
  public var width: Int

  public init(channels: Int, height: Int, width: Int) {
    self.channels = channels
    self.height = height
    self.width = width
  }

  /// Nil for shapes that are neither [C, H, W] nor [F].
  public init?(sampleShape: [Int]) {
    switch sampleShape.count {
    case 1: self.init(channels: sampleShape[0], height: 1, width: 1)
    case 3: self.init(channels: sampleShape[0], height: sampleShape[1], width: sampleShape[2])
    default: return nil
    }
  }

  public var planeSize: Int { height * width }
  public var count: Int { channels * height * width }
}

/// Reads pixels of one channel plane at any integer position, filling outside the image by a `Fill`.
struct PlaneReader {
  let plane: UnsafeBufferPointer<Float>
  let height: Int
  let width: Int
  let fill: Fill

  @inline(__always)
  func pixel(_ x: Int, _ y: Int) -> Float {
    if x >= 0 && x < width && y >= 0 && y < height { return plane[y * width + x] }
    switch fill.mode {
    case .constant: return fill.value
    case .nearest: return plane[min(max(y, 0), height - 1) * width + min(max(x, 0), width - 1)]
    case .reflect: return plane[reflected(y, height) * width + reflected(x, width)]
    }
  }

  /// Bilinear interpolation with pixel centres at integer coordinates; an exactly integer position
  /// returns that pixel unchanged.
  @inline(__always)
  func bilinear(_ x: Double, _ y: Double) -> Float {
    guard x.isFinite, y.isFinite else { return fill.value }
    // Far outside is as good as just outside, and keeps the conversion to Int in range.
    let cx = min(max(x, -2 - Double(width)), 2 * Double(width) + 2)
    let cy = min(max(y, -2 - Double(height)), 2 * Double(height) + 2)
    let fx = cx.rounded(.down)
    let fy = cy.rounded(.down)
    let x0 = Int(fx)
    let y0 = Int(fy)
    let wx = Float(cx - fx)
    let wy = Float(cy - fy)
    let top = wx == 0 ? pixel(x0, y0) : pixel(x0, y0) * (1 - wx) + pixel(x0 + 1, y0) * wx
    if wy == 0 { return top }
    let bottom = wx == 0 ? pixel(x0, y0 + 1) : pixel(x0, y0 + 1) * (1 - wx) + pixel(x0 + 1, y0 + 1) * wx
    return top * (1 - wy) + bottom * wy
  }
}

/// `index` mirrored into `0..<size` (…, 2, 1, 0, 1, 2, …, size-1, size-2, …).
@inline(__always)
func reflected(_ index: Int, _ size: Int) -> Int {
  guard size > 1 else { return 0 }
  let period = 2 * (size - 1)
  var value = index % period
  if value < 0 { value += period }
  return value < size ? value : period - value
}

/// Rewrites every pixel from a position in the original sample: `source(x, y)` gives where output
/// pixel (x, y) comes from, sampled bilinearly in every channel.
func warp(
  _ sample: UnsafeMutableBufferPointer<Float>, _ shape: ImageShape, fill: Fill,
  source: (Int, Int) -> (Double, Double)
) {
  let original = Array(sample)
  original.withUnsafeBufferPointer { original in
    for y in 0..<shape.height {
      for x in 0..<shape.width {
        let (sx, sy) = source(x, y)
        for channel in 0..<shape.channels {
          let plane = UnsafeBufferPointer(
            rebasing: original[channel * shape.planeSize..<(channel + 1) * shape.planeSize])
          let reader = PlaneReader(plane: plane, height: shape.height, width: shape.width, fill: fill)
          sample[channel * shape.planeSize + y * shape.width + x] = reader.bilinear(sx, sy)
        }
      }
    }
  }
}

extension ImageShape {
  /// `[C, H, W]`.
  public var sampleShape: [Int] { [channels, height, width] }
}

/// `value` rounded to a pixel count in `0...limit + 1`: extreme ranges (an aspect of 1e300) give
/// sizes that cannot fit, not a trap converting a huge Double to Int.
@inline(__always)
func pixelCount(_ value: Double, limit: Int) -> Int {
  guard value.isFinite else { return limit + 1 }
  return Int(min(max(value.rounded(), 0), Double(limit + 1)))
}
