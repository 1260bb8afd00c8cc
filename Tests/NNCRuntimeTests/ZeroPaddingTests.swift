import Foundation
import NNCRandom
import Testing

@testable import NNCRuntime

/// The zero_padding2d kernel against a plain loop written from its definition, and its backward pass
/// against finite differences of that loop.
@Suite struct ZeroPaddingTests {
  /// Output value at (plane, y, x): the input where it lands inside the padding, zero elsewhere.
  static func reference(
    _ x: [Double], planes: Int, height: Int, width: Int, _ pad: (Int, Int, Int, Int)
  ) -> [Double] {
    let (top, bottom, left, right) = pad
    let outHeight = top + height + bottom
    let outWidth = left + width + right
    var y = [Double](repeating: 0, count: planes * outHeight * outWidth)
    for p in 0..<planes {
      for oy in 0..<outHeight {
        for ox in 0..<outWidth {
          let iy = oy - top
          let ix = ox - left
          guard iy >= 0, iy < height, ix >= 0, ix < width else { continue }
          y[(p * outHeight + oy) * outWidth + ox] = x[(p * height + iy) * width + ix]
        }
      }
    }
    return y
  }

  @Test(arguments: [(1, 2, 3, 4), (0, 0, 0, 0), (2, 0, 0, 1)])
  func forwardAndBackwardMatchReference(pad: (Int, Int, Int, Int)) {
    let (planes, height, width) = (6, 3, 5)
    var generator = RandomGenerator(seed: 61)
    let x = randomValues(planes * height * width, &generator)
    let outCount = planes * (pad.0 + height + pad.1) * (pad.2 + width + pad.3)
    var y = [Float](repeating: .nan, count: outCount)
    ZeroPadding2D.forward(
      planes: planes, height: height, width: width, top: pad.0, bottom: pad.1, left: pad.2, right: pad.3,
      input: x, output: &y)
    let expected = Self.reference(doubles(x), planes: planes, height: height, width: width, pad)
    #expect(maxRelativeError(y, expected) == 0)

    let dy = gradientWeights(outCount, &generator)
    var dx = [Float](repeating: .nan, count: x.count)
    ZeroPadding2D.backward(
      planes: planes, height: height, width: width, top: pad.0, bottom: pad.1, left: pad.2, right: pad.3,
      gradOutput: dy, gradInput: &dx)
    let loss = { (x: [Double]) in
      weightedSum(dy, Self.reference(x, planes: planes, height: height, width: width, pad))
    }
    let error = finiteDifferenceError(of: loss, at: x, analytic: dx, samples: x.count, &generator)
    #expect(error < 1e-3, "zero padding gradInput max relative error \(error)")
  }
}
