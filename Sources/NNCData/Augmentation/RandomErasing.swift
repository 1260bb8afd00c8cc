import Foundation
import NNCRandom

/// Random erasing (Zhong et al. 2017), also called cutout: a box whose area, as a fraction of the
/// image, lies in `area` and whose aspect height/width lies in `aspect` is overwritten. The box is
/// rounded to whole pixels and kept only if it still satisfies both ranges (up to ten tries; no
/// box fits means no change), so the erased fraction always lies in the requested range.
enum RandomErasing {
  static func box(
    _ shape: ImageShape, area: ValueRange, aspect: ValueRange, using generator: inout RandomGenerator
  ) -> GeometricTransforms.Box? {
    let imageArea = Double(shape.planeSize)
    let logAspect = ValueRange(log(aspect.low), log(aspect.high))
    for _ in 0..<10 {
      let target = imageArea * area.sample(&generator)
      let ratio = exp(logAspect.sample(&generator))
      let height = pixelCount((target * ratio).squareRoot(), limit: shape.height)
      let width = pixelCount((target / ratio).squareRoot(), limit: shape.width)
      guard height >= 1, width >= 1, height <= shape.height, width <= shape.width else { continue }
      let fraction = Double(height * width) / imageArea
      let actualRatio = Double(height) / Double(width)
      guard fraction >= area.low, fraction <= area.high, actualRatio >= aspect.low, actualRatio <= aspect.high
      else { continue }
      let x = Int(generator.next() % UInt64(shape.width - width + 1))
      let y = Int(generator.next() % UInt64(shape.height - height + 1))
      return GeometricTransforms.Box(x: x, y: y, width: width, height: height)
    }
    return nil
  }

  static func apply(
    _ sample: UnsafeMutableBufferPointer<Float>, _ shape: ImageShape, area: ValueRange, aspect: ValueRange,
    fill: [Float]?, using generator: inout RandomGenerator
  ) {
    guard let box = box(shape, area: area, aspect: aspect, using: &generator) else { return }
    for channel in 0..<shape.channels {
      for y in box.y..<(box.y + box.height) {
        for x in box.x..<(box.x + box.width) {
          let value: Float
          if let fill {
            value = fill.count == 1 ? fill[0] : fill[channel]
          } else {
            value = generator.nextUniform()
          }
          sample[channel * shape.planeSize + y * shape.width + x] = value
        }
      }
    }
  }
}
