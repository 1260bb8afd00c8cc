import NNCRandom
import Testing

@testable import NNCRuntime

/// `MaxPool2D.forwardValues` (inference, no argmax) against `forward`, bit for bit: the pooling cases,
/// and 2x2 windows on maps wide enough for the vectorized rows (eight outputs and a tail), with ties,
/// both zeros and NaN among the pixels.
@Suite struct MaxPoolValuesTests {
  static let wideTwoByTwo = Pool2DGeometry(
    batch: 2, channels: 3, inHeight: 6, inWidth: 28, windowH: 2, windowW: 2, strideH: 2, strideW: 2)

  @Test(arguments: poolCases.map(\.geometry) + [wideTwoByTwo])
  func valuesEqualTheArgmaxForward(_ g: Pool2DGeometry) {
    var generator = RandomGenerator(seed: 51)
    // Few distinct values, so windows hold ties; a sprinkling of -0, +0 and NaN.
    let specials: [Float] = [0, -0.0, .nan, 1, 1, -1]
    let input = (0..<g.inputCount).map { index -> Float in
      index % 7 == 3 ? specials[index % specials.count] : Float(Int(generator.nextUniform(-3, 3)))
    }
    var expected = [Float](repeating: .nan, count: g.outputCount)
    var argmax = [Int32](repeating: -1, count: MaxPool2D.indexScratchCount(g))
    MaxPool2D.forward(g, input: input, output: &expected, argmax: &argmax)
    var values = [Float](repeating: 1234, count: g.outputCount)
    MaxPool2D.forwardValues(g, input: input, output: &values)
    #expect(values.map(\.bitPattern) == expected.map(\.bitPattern), "\(g)")
  }
}
