import NNCRandom
import Testing

@testable import NNCRuntime

@Suite struct ElementwiseTests {
  @Test func addSumsAndPassesTheGradientToBoth() {
    var generator = RandomGenerator(seed: 71)
    let a = randomValues(13, &generator)
    let b = randomValues(13, &generator)
    var sum = [Float](repeating: .nan, count: 13)
    Add.forward(a, b, output: &sum, count: 13)
    #expect(maxRelativeError(sum, zip(a, b).map { Double($0) + Double($1) }) < 1e-6)

    let dy = gradientWeights(13, &generator)
    var da = [Float](repeating: .nan, count: 13)
    var db = [Float](repeating: .nan, count: 13)
    Add.backward(gradOutput: dy, gradA: &da, gradB: &db, count: 13)
    let (ad, bd) = (doubles(a), doubles(b))
    let aError = finiteDifferenceError(
      of: { a in weightedSum(dy, zip(a, bd).map { $0 + $1 }) }, at: a, analytic: da, &generator)
    let bError = finiteDifferenceError(
      of: { b in weightedSum(dy, zip(ad, b).map { $0 + $1 }) }, at: b, analytic: db, &generator)
    #expect(aError < 1e-6 && bError < 1e-6, "add gradients: \(aError), \(bError)")
  }

  @Test(arguments: [(2, 4), (3, 1)])
  func concatStacksChannelsAndSplitsTheGradient(batch: Int, spatial: Int) {
    var generator = RandomGenerator(seed: 72)
    let channels = [2, 1, 3]
    let total = channels.reduce(0, +)
    let parts = channels.map { randomValues(batch * $0 * spatial, &generator) }
    /// Output element (n, c, s) comes from the part whose channel range holds c.
    func reference(_ parts: [[Double]]) -> [Double] {
      var y: [Double] = []
      for n in 0..<batch {
        for (k, part) in parts.enumerated() {
          for c in 0..<channels[k] {
            for s in 0..<spatial { y.append(part[(n * channels[k] + c) * spatial + s]) }
          }
        }
      }
      return y
    }
    var output = [Float](repeating: .nan, count: batch * total * spatial)
    parts[0].withUnsafeBufferPointer { p0 in
      parts[1].withUnsafeBufferPointer { p1 in
        parts[2].withUnsafeBufferPointer { p2 in
          Concat.forward(
            batch: batch, spatial: spatial,
            inputs: [p0.baseAddress!, p1.baseAddress!, p2.baseAddress!], channels: channels,
            output: &output)
        }
      }
    }
    #expect(maxRelativeError(output, reference(parts.map(doubles))) == 0)

    let dy = gradientWeights(output.count, &generator)
    var grad0 = [Float](repeating: .nan, count: parts[0].count)
    var grad2 = [Float](repeating: .nan, count: parts[2].count)
    grad0.withUnsafeMutableBufferPointer { g0 in
      grad2.withUnsafeMutableBufferPointer { g2 in
        // The middle input wants no gradient: nil must be skipped, not written.
        Concat.backward(
          batch: batch, spatial: spatial, gradOutput: dy,
          gradInputs: [g0.baseAddress!, nil, g2.baseAddress!], channels: channels)
      }
    }
    let grads = [grad0, [], grad2]
    for k in [0, 2] {
      let error = finiteDifferenceError(
        of: { part in
          var all = parts.map(doubles)
          all[k] = part
          return weightedSum(dy, reference(all))
        }, at: parts[k], analytic: grads[k], &generator)
      #expect(error < 1e-6, "concat gradient of input \(k): max relative error \(error)")
    }
  }

  @Test func dropoutScalesKeptElementsAndReusesTheMask() throws {
    let rate: Float = 0.3
    try Dropout.validate(rate: rate)
    var generator = RandomGenerator(seed: 73)
    let count = 2000
    let x = randomValues(count, &generator)
    var mask = [Float](repeating: .nan, count: Dropout.maskCount(count: count))
    var y = [Float](repeating: .nan, count: count)
    var maskGenerator = RandomGenerator(seed: 74)
    Dropout.forward(
      rate: rate, input: x, output: &y, mask: &mask, count: count, generator: &maskGenerator)

    // The same seed must draw the same mask, element by element: keep when uniform >= rate.
    var replay = RandomGenerator(seed: 74)
    let expectedKept = (0..<count).map { _ in replay.nextUniform() >= rate }
    #expect(maskGenerator == replay)
    let scale = 1 / (1 - Double(rate))
    let expectedMask = expectedKept.map { $0 ? scale : 0 }
    #expect(maxRelativeError(mask, expectedMask) < 1e-6)
    #expect(maxRelativeError(y, zip(x, expectedMask).map { Double($0) * $1 }) < 1e-6)
    let keptFraction = Double(expectedKept.filter { $0 }.count) / Double(count)
    #expect(abs(keptFraction - 0.7) < 0.05, "kept fraction \(keptFraction)")

    let dy = gradientWeights(count, &generator)
    var dx = [Float](repeating: .nan, count: count)
    Dropout.backward(gradOutput: dy, mask: mask, gradInput: &dx, count: count)
    let error = finiteDifferenceError(
      of: { x in weightedSum(dy, zip(x, expectedMask).map { $0 * $1 }) }, at: x, analytic: dx,
      &generator)
    #expect(error < 1e-6, "dropout gradInput max relative error \(error)")
  }

  @Test func dropoutRateZeroIsTheIdentity() throws {
    var generator = RandomGenerator(seed: 75)
    let x = randomValues(17, &generator)
    var y = [Float](repeating: .nan, count: 17)
    var mask = [Float](repeating: .nan, count: 17)
    let before = generator
    Dropout.forward(rate: 0, input: x, output: &y, mask: &mask, count: 17, generator: &generator)
    #expect(y == x)
    #expect(mask.allSatisfy { $0 == 1 })
    #expect(generator == before, "rate 0 should draw nothing")
  }

  @Test func dropoutRejectsRatesOutsideTheUnitInterval() {
    for rate: Float in [-0.1, 1, 1.5, .nan] {
      #expect(throws: KernelError.self, "rate \(rate)") { try Dropout.validate(rate: rate) }
    }
  }
}
