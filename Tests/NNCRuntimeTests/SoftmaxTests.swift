import Foundation
import NNCGraph
import NNCRandom
import NNCSpec
import Testing

@testable import NNCRuntime

@Suite struct SoftmaxTests {
  @Test(arguments: [(3, 5, 1), (2, 4, 6), (1, 1, 3)])
  func forwardAndBackwardMatchReference(batch: Int, channels: Int, spatial: Int) {
    var generator = RandomGenerator(seed: 54)
    let count = batch * channels * spatial
    let x = randomValues(count, &generator, scale: 3)
    func reference(_ x: [Double]) -> [Double] {
      var y = [Double](repeating: 0, count: x.count)
      for n in 0..<batch {
        for s in 0..<spatial {
          let indices = (0..<channels).map { (n * channels + $0) * spatial + s }
          let total = indices.reduce(0) { $0 + exp(x[$1]) }
          for i in indices { y[i] = exp(x[i]) / total }
        }
      }
      return y
    }
    var y = [Float](repeating: .nan, count: count)
    Softmax.forward(batch: batch, channels: channels, spatial: spatial, input: x, output: &y)
    let forwardError = maxRelativeError(y, reference(doubles(x)))
    #expect(forwardError < 1e-5, "softmax forward error \(forwardError)")

    let dy = gradientWeights(count, &generator)
    var dx = [Float](repeating: .nan, count: count)
    Softmax.backward(
      batch: batch, channels: channels, spatial: spatial, output: y, gradOutput: dy, gradInput: &dx)
    let error = finiteDifferenceError(
      of: { weightedSum(dy, reference($0)) }, at: x, analytic: dx, samples: count, &generator)
    #expect(error < 1e-3, "softmax gradInput max relative error \(error)")
  }

  @Test func largeLogitsDoNotOverflow() {
    // exp(1000) overflows Float; shifting by the maximum makes this softmax(0, -1) = (e, 1) / (e + 1).
    let x: [Float] = [1000, 999]
    var y = [Float](repeating: .nan, count: 2)
    Softmax.forward(batch: 1, channels: 2, spatial: 1, input: x, output: &y)
    let e = exp(1.0)
    #expect(maxRelativeError(y, [e / (e + 1), 1 / (e + 1)]) < 1e-6)
  }
}
