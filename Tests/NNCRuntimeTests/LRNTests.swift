import Foundation
import NNCRandom
import Testing

@testable import NNCRuntime

/// The LRN kernels against a plain loop in Double written from ONNX's definition, the backward pass
/// against finite differences of that loop, and the layer inside a trained network.
@Suite struct LRNTests {
  /// y[n, c] = x[n, c] / (bias + alpha / size * sum of x[n, k]^2 for k from c - floor((size - 1) / 2)
  /// to c + ceil((size - 1) / 2), within the channels)^beta.
  static func reference(
    _ x: [Double], batch: Int, channels: Int, spatial: Int, size: Int, alpha: Double, beta: Double,
    bias: Double
  ) -> [Double] {
    var y = [Double](repeating: 0, count: x.count)
    let before = (size - 1) / 2
    let after = Int((Double(size - 1) / 2).rounded(.up))
    for n in 0..<batch {
      for c in 0..<channels {
        for p in 0..<spatial {
          var sum = 0.0
          for k in max(0, c - before)...min(channels - 1, c + after) {
            let v = x[(n * channels + k) * spatial + p]
            sum += v * v
          }
          let index = (n * channels + c) * spatial + p
          y[index] = x[index] / pow(bias + alpha / Double(size) * sum, beta)
        }
      }
    }
    return y
  }

  @Test(arguments: [
    (1, 1.0, 0.75, 1.0), (3, 1.0, 0.75, 1.0), (5, 1e-4, 0.75, 2.0), (5, 2.0, 0.5, 0.5), (9, 0.5, 1.5, 1.0),
  ])
  func forwardAndBackwardMatchReference(size: Int, alpha: Double, beta: Double, bias: Double) {
    // Seven channels, so the size-9 window is clipped on both sides for every channel.
    let (batch, channels, spatial) = (2, 7, 6)
    var generator = RandomGenerator(seed: 17)
    let x = randomValues(batch * channels * spatial, &generator, scale: 2)
    let reference = { (x: [Double]) in
      Self.reference(
        x, batch: batch, channels: channels, spatial: spatial, size: size, alpha: alpha, beta: beta,
        bias: bias)
    }
    var y = [Float](repeating: .nan, count: x.count)
    LocalResponseNorm.forward(
      batch: batch, channels: channels, spatial: spatial, size: size, alpha: Float(alpha), beta: Float(beta),
      bias: Float(bias), input: x, output: &y)
    let forwardError = maxRelativeError(y, reference(doubles(x)))
    #expect(forwardError < 1e-5, "forward max relative error \(forwardError)")

    let dy = gradientWeights(x.count, &generator)
    var dx = [Float](repeating: .nan, count: x.count)
    // NaN scratch: a value read before the kernel writes it would poison the gradient.
    var scratch = [Float](repeating: .nan, count: x.count)
    LocalResponseNorm.backward(
      batch: batch, channels: channels, spatial: spatial, size: size, alpha: Float(alpha), beta: Float(beta),
      bias: Float(bias), input: x, gradOutput: dy, gradInput: &dx, scratch: &scratch)
    let error = finiteDifferenceError(
      of: { weightedSum(dy, reference($0)) }, at: x, analytic: dx, samples: x.count, &generator)
    #expect(error < 1e-3, "gradInput max relative error \(error)")
  }

  /// Large enough that both passes split their planes across threads.
  @Test func parallelPassesMatchReference() {
    let (batch, channels, spatial) = (4, 16, 32 * 32)
    var generator = RandomGenerator(seed: 18)
    let x = randomValues(batch * channels * spatial, &generator, scale: 3)
    let reference = { (x: [Double]) in
      Self.reference(
        x, batch: batch, channels: channels, spatial: spatial, size: 5, alpha: 1, beta: 0.75, bias: 2)
    }
    var y = [Float](repeating: .nan, count: x.count)
    LocalResponseNorm.forward(
      batch: batch, channels: channels, spatial: spatial, size: 5, alpha: 1, beta: 0.75, bias: 2, input: x,
      output: &y)
    #expect(maxRelativeError(y, reference(doubles(x))) < 1e-5)
    let dy = gradientWeights(x.count, &generator)
    var dx = [Float](repeating: .nan, count: x.count)
    // NaN scratch: a value read before the kernel writes it would poison the gradient.
    var scratch = [Float](repeating: .nan, count: x.count)
    LocalResponseNorm.backward(
      batch: batch, channels: channels, spatial: spatial, size: 5, alpha: 1, beta: 0.75, bias: 2, input: x,
      gradOutput: dy, gradInput: &dx, scratch: &scratch)
    let error = finiteDifferenceError(
      of: { weightedSum(dy, reference($0)) }, at: x, analytic: dx, samples: 12, &generator)
    #expect(error < 1e-3, "gradInput max relative error \(error)")
  }
}

/// lrn inside a trained network: the convolution before it receives its gradient through lrn's
/// backward pass, with the memory planner sharing buffers.
@Test func lrnTrainsEndToEnd() throws {
  try checkGradients(
    """
    model:
      input: [2, 5, 5]
      layers:
        - conv2d: {filters: 6, kernel: 3, padding: same}
        - lrn: {size: 3, alpha: 0.5, beta: 0.75, bias: 1}
        - conv2d: {filters: 4, kernel: 3, stride: 2}
        - lrn: 5
        - flatten
        - dense: 3
    """, batch: 3)
}
