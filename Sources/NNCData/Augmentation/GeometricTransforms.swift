import Foundation
import NNCRandom

/// Rotation, scaling and translation, crops and flips. Coordinates put pixel centres at integers,
/// so the image centre is ((W-1)/2, (H-1)/2) and a quarter turn maps pixels exactly onto pixels.
enum GeometricTransforms {
  /// Rotates counter-clockwise (as displayed, y pointing down) by `degrees` about the centre.
  static func rotate(
    _ sample: UnsafeMutableBufferPointer<Float>, _ shape: ImageShape, degrees: Double, fill: Fill
  ) {
    guard degrees != 0 else { return }
    let radians = degrees * Double.pi / 180
    // Exact values at multiples of 90 degrees keep quarter turns free of rounding noise.
    let cosine = snapped(cos(radians))
    let sine = snapped(sin(radians))
    let cx = Double(shape.width - 1) / 2
    let cy = Double(shape.height - 1) / 2
    warp(sample, shape, fill: fill) { x, y in
      let dx = Double(x) - cx
      let dy = Double(y) - cy
      return (cx + dx * cosine - dy * sine, cy + dx * sine + dy * cosine)
    }
  }

  static func snapped(_ value: Double) -> Double {
    let rounded = value.rounded()
    return abs(value - rounded) < 1e-12 ? rounded : value
  }

  /// Zooms by `scale` about the centre, then shifts by (shiftX, shiftY) pixels.
  static func affine(
    _ sample: UnsafeMutableBufferPointer<Float>, _ shape: ImageShape, scale: Double, shiftX: Double,
    shiftY: Double, fill: Fill
  ) {
    guard scale != 1 || shiftX != 0 || shiftY != 0 else { return }
    let cx = Double(shape.width - 1) / 2
    let cy = Double(shape.height - 1) / 2
    warp(sample, shape, fill: fill) { x, y in
      (cx + (Double(x) - shiftX - cx) / scale, cy + (Double(y) - shiftY - cy) / scale)
    }
  }

  /// The window of the padded image starting at (offsetX, offsetY), offsets in 0...2·padding.
  static func crop(
    _ sample: UnsafeMutableBufferPointer<Float>, _ shape: ImageShape, padding: Int, offsetX: Int,
    offsetY: Int,
    fill: Fill
  ) {
    guard offsetX != padding || offsetY != padding else { return }
    warp(sample, shape, fill: fill) { x, y in
      (Double(x + offsetX - padding), Double(y + offsetY - padding))
    }
  }

  /// A crop box: top-left corner and size in pixels.
  struct Box: Equatable {
    var x: Int
    var y: Int
    var width: Int
    var height: Int
  }

  /// Chooses the box of a random resized crop: up to ten tries of an area fraction from `scale` and a
  /// log-uniform aspect ratio from `ratio` that fits; otherwise the largest centred box whose ratio
  /// is within `ratio` (the procedure of Inception and torchvision).
  static func resizedCropBox(
    _ shape: ImageShape, scale: ValueRange, ratio: ValueRange, using generator: inout RandomGenerator
  ) -> Box {
    let area = Double(shape.height * shape.width)
    let logRatio = ValueRange(log(ratio.low), log(ratio.high))
    for _ in 0..<10 {
      let target = area * scale.sample(&generator)
      let aspect = exp(logRatio.sample(&generator))
      let width = pixelCount((target * aspect).squareRoot(), limit: shape.width)
      let height = pixelCount((target / aspect).squareRoot(), limit: shape.height)
      if width > 0, height > 0, width <= shape.width, height <= shape.height {
        let x = Int(generator.next() % UInt64(shape.width - width + 1))
        let y = Int(generator.next() % UInt64(shape.height - height + 1))
        return Box(x: x, y: y, width: width, height: height)
      }
    }
    let imageRatio = Double(shape.width) / Double(shape.height)
    var width = shape.width
    var height = shape.height
    if imageRatio < ratio.low {
      height = max(1, min(shape.height, pixelCount(Double(width) / ratio.low, limit: shape.height)))
    } else if imageRatio > ratio.high {
      width = max(1, min(shape.width, pixelCount(Double(height) * ratio.high, limit: shape.width)))
    }
    return Box(x: (shape.width - width) / 2, y: (shape.height - height) / 2, width: width, height: height)
  }

  /// Resizes `box` to the full sample size (bilinear, pixel centres at half-integers as in
  /// `Image.resized`). The same arithmetic as `warp` with `PlaneReader.bilinear` (the reference the
  /// tests compare with, bit for bit), but the box is axis-aligned: each source row of the box is
  /// interpolated horizontally once, and each output row blends two of those rows.
  static func resizeCrop(_ sample: UnsafeMutableBufferPointer<Float>, _ shape: ImageShape, box: Box) {
    guard box != Box(x: 0, y: 0, width: shape.width, height: shape.height) else { return }
    let columns = cropTaps(count: shape.width, boxStart: box.x, boxSize: box.width)
    let rows = cropTaps(count: shape.height, boxStart: box.y, boxSize: box.height)
    let width = shape.width
    // The next pixel's index, kept inside the image where its weight is zero.
    let firsts = columns.map(\.first)
    let nexts = columns.map { min($0.first + 1, shape.width - 1) }
    let weights = columns.map(\.weight)
    var interpolated = [Float](repeating: 0, count: box.height * width)
    // Each channel's box rows are all read into `interpolated` before that plane is written, and
    // planes do not overlap, so the sample needs no copy.
    interpolated.withUnsafeMutableBufferPointer { interpolated in
      for channel in 0..<shape.channels {
        let plane = channel * shape.planeSize
        firsts.withUnsafeBufferPointer { firsts in
          nexts.withUnsafeBufferPointer { nexts in
            weights.withUnsafeBufferPointer { weights in
              for row in 0..<box.height {
                let source = UnsafePointer(sample.baseAddress!) + plane + (box.y + row) * width
                let target = interpolated.baseAddress! + row * width
                for x in 0..<width {
                  let left = source[firsts[x]]
                  let weight = weights[x]
                  let blended = left * (1 - weight) + source[nexts[x]] * weight
                  target[x] = weight == 0 ? left : blended
                }
              }
            }
          }
        }
        for y in 0..<shape.height {
          let row = rows[y]
          let upper = interpolated.baseAddress! + (row.first - box.y) * width
          let output = sample.baseAddress! + plane + y * width
          if row.weight == 0 {
            output.update(from: upper, count: width)
          } else {
            let lower = upper + width
            let wy = row.weight
            for x in 0..<width {
              output[x] = upper[x] * (1 - wy) + lower[x] * wy
            }
          }
        }
      }
    }
  }

  /// An output coordinate's source pixel and the weight of the next one, as `PlaneReader.bilinear`
  /// derives them from the source position.
  struct CropTap {
    var first: Int
    var weight: Float
  }

  static func cropTaps(count: Int, boxStart: Int, boxSize: Int) -> [CropTap] {
    let scale = Double(boxSize) / Double(count)
    return (0..<count).map { index in
      let position = Double(boxStart) + min(max((Double(index) + 0.5) * scale - 0.5, 0), Double(boxSize - 1))
      let floor = position.rounded(.down)
      return CropTap(first: Int(floor), weight: Float(position - floor))
    }
  }

  static func flipHorizontally(_ sample: UnsafeMutableBufferPointer<Float>, _ shape: ImageShape) {
    for row in 0..<(shape.channels * shape.height) {
      let start = row * shape.width
      var left = start
      var right = start + shape.width - 1
      while left < right {
        sample.swapAt(left, right)
        left += 1
        right -= 1
      }
    }
  }

  static func flipVertically(_ sample: UnsafeMutableBufferPointer<Float>, _ shape: ImageShape) {
    for channel in 0..<shape.channels {
      let plane = channel * shape.planeSize
      for y in 0..<(shape.height / 2) {
        let top = plane + y * shape.width
        let bottom = plane + (shape.height - 1 - y) * shape.width
        for x in 0..<shape.width { sample.swapAt(top + x, bottom + x) }
      }
    }
  }
}
