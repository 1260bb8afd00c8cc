import Foundation
import NNCRandom
import Testing

@testable import NNCRuntime

/// The upsample kernels against plain loops written from their definitions (bilinear as PyTorch's
/// align_corners=False), and their backward passes against finite differences of those loops.
@Suite struct UpsampleTests {
  /// Nearest: out(y, x) = in(floor(y / s), floor(x / s)).
  static func nearest(_ x: [Double], planes: Int, height: Int, width: Int, scale: Int) -> [Double] {
    var y: [Double] = []
    for p in 0..<planes {
      for oy in 0..<(height * scale) {
        for ox in 0..<(width * scale) { y.append(x[(p * height + oy / scale) * width + ox / scale]) }
      }
    }
    return y
  }

  /// Bilinear as PyTorch's align_corners=False: sample at (d + 0.5) / s - 0.5, below 0 clamped to 0,
  /// the floor and ceiling neighbours clamped to size - 1.
  static func bilinear(_ x: [Double], planes: Int, height: Int, width: Int, scale: Int) -> [Double] {
    func source(_ d: Int, _ size: Int) -> (Int, Int, Double) {
      let s = max((Double(d) + 0.5) / Double(scale) - 0.5, 0)
      let low = min(Int(s.rounded(.down)), size - 1)
      return (low, min(low + 1, size - 1), s - Double(low))
    }
    var y: [Double] = []
    for p in 0..<planes {
      func at(_ row: Int, _ column: Int) -> Double { x[(p * height + row) * width + column] }
      for oy in 0..<(height * scale) {
        let (y0, y1, wy) = source(oy, height)
        for ox in 0..<(width * scale) {
          let (x0, x1, wx) = source(ox, width)
          y.append(
            (1 - wy) * ((1 - wx) * at(y0, x0) + wx * at(y0, x1)) + wy
              * ((1 - wx) * at(y1, x0) + wx * at(y1, x1)))
        }
      }
    }
    return y
  }

  @Test(arguments: [(false, 1), (false, 2), (false, 3), (true, 1), (true, 2), (true, 3), (true, 4)])
  func forwardAndBackwardMatchReference(bilinear: Bool, scale: Int) {
    let (planes, height, width) = (5, 3, 4)
    var generator = RandomGenerator(seed: 62)
    let x = randomValues(planes * height * width, &generator)
    let outCount = planes * height * scale * width * scale
    let reference = { (x: [Double]) in
      bilinear
        ? Self.bilinear(x, planes: planes, height: height, width: width, scale: scale)
        : Self.nearest(x, planes: planes, height: height, width: width, scale: scale)
    }
    var y = [Float](repeating: .nan, count: outCount)
    if bilinear {
      Upsample2D.bilinearForward(
        planes: planes, height: height, width: width, scale: scale, input: x, output: &y)
    } else {
      Upsample2D.nearestForward(
        planes: planes, height: height, width: width, scale: scale, input: x, output: &y)
    }
    let forwardError = maxRelativeError(y, reference(doubles(x)))
    #expect(forwardError < 1e-5, "forward max relative error \(forwardError)")

    let dy = gradientWeights(outCount, &generator)
    var dx = [Float](repeating: .nan, count: x.count)
    if bilinear {
      Upsample2D.bilinearBackward(
        planes: planes, height: height, width: width, scale: scale, gradOutput: dy, gradInput: &dx)
    } else {
      Upsample2D.nearestBackward(
        planes: planes, height: height, width: width, scale: scale, gradOutput: dy, gradInput: &dx)
    }
    let error = finiteDifferenceError(
      of: { weightedSum(dy, reference($0)) }, at: x, analytic: dx, samples: x.count, &generator)
    #expect(error < 1e-3, "gradInput max relative error \(error)")
  }

  /// The reference's sampling rule on a 1-D ramp of 2 values upsampled by 2 gives what PyTorch's
  /// `interpolate([a, b], scale_factor=2, mode="linear", align_corners=False)` documents:
  /// a, 3a/4 + b/4, a/4 + 3b/4, b (the edges clamp).
  @Test func bilinearEdgesClampLikePyTorch() {
    let x: [Float] = [4, 8]
    // A 1x2 map becomes 2x4: both rows are the 1-D interpolation (the single source row clamps).
    var y = [Float](repeating: .nan, count: 8)
    Upsample2D.bilinearForward(planes: 1, height: 1, width: 2, scale: 2, input: x, output: &y)
    let (a, b) = (Double(x[0]), Double(x[1]))
    let row = [a, 0.75 * a + 0.25 * b, 0.25 * a + 0.75 * b, b]
    #expect(maxRelativeError(y, row + row) < 1e-7)
  }
}
