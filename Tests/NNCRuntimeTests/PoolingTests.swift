import NNCRandom
import Testing

@testable import NNCRuntime

struct PoolCase: Sendable, CustomTestStringConvertible {
  let name: String
  let geometry: Pool2DGeometry
  var testDescription: String { name }
}

let poolCases: [PoolCase] = [
  PoolCase(
    name: "2x2 stride 2, odd width",
    geometry: Pool2DGeometry(
      batch: 1, channels: 2, inHeight: 6, inWidth: 5, windowH: 2, windowW: 2, strideH: 2, strideW: 2)),
  PoolCase(
    name: "3x3 stride 2, asymmetric padding, batch 2",
    geometry: Pool2DGeometry(
      batch: 2, channels: 3, inHeight: 7, inWidth: 8, windowH: 3, windowW: 3, strideH: 2, strideW: 2,
      padTop: 0, padBottom: 1, padLeft: 1, padRight: 0)),
  PoolCase(
    name: "3x2 stride 3, asymmetric padding",
    geometry: Pool2DGeometry(
      batch: 2, channels: 2, inHeight: 8, inWidth: 7, windowH: 3, windowW: 2, strideH: 3, strideW: 3,
      padTop: 1, padBottom: 2, padLeft: 0, padRight: 1)),
  PoolCase(
    name: "3x3 stride 1 same (overlapping windows)",
    geometry: Pool2DGeometry(
      batch: 1, channels: 2, inHeight: 5, inWidth: 6, windowH: 3, windowW: 3, strideH: 1, strideW: 1,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)),
]

/// Pooling by definition: every output scans the real pixels of its window.
func referencePool(_ g: Pool2DGeometry, input: [Double], maximum: Bool) -> [Double] {
  var output: [Double] = []
  for plane in 0..<(g.batch * g.channels) {
    for oy in 0..<g.outHeight {
      for ox in 0..<g.outWidth {
        var values: [Double] = []
        for wy in 0..<g.windowH {
          for wx in 0..<g.windowW {
            let y = oy * g.strideH - g.padTop + wy
            let x = ox * g.strideW - g.padLeft + wx
            if y >= 0 && y < g.inHeight && x >= 0 && x < g.inWidth {
              values.append(input[(plane * g.inHeight + y) * g.inWidth + x])
            }
          }
        }
        output.append(maximum ? values.max()! : values.reduce(0, +) / Double(values.count))
      }
    }
  }
  return output
}

@Suite struct PoolingTests {
  @Test(arguments: poolCases)
  func maxPoolMatchesReferenceAndFiniteDifferences(_ c: PoolCase) throws {
    let g = c.geometry
    try g.validate()
    var generator = RandomGenerator(seed: 31)
    let input = distinctValues(g.inputCount, &generator)
    var output = [Float](repeating: .nan, count: g.outputCount)
    var argmax = [Int32](repeating: -1, count: MaxPool2D.indexScratchCount(g))
    MaxPool2D.forward(g, input: input, output: &output, argmax: &argmax)
    let forwardError = maxRelativeError(output, referencePool(g, input: doubles(input), maximum: true))
    #expect(forwardError == 0, "\(c.name): max pool forward error \(forwardError)")

    let gradOutput = gradientWeights(g.outputCount, &generator)
    var gradInput = [Float](repeating: .nan, count: g.inputCount)
    MaxPool2D.backward(g, gradOutput: gradOutput, argmax: argmax, gradInput: &gradInput)
    let error = finiteDifferenceError(
      of: { weightedSum(gradOutput, referencePool(g, input: $0, maximum: true)) }, at: input,
      analytic: gradInput, samples: g.inputCount, &generator)
    #expect(error < 1e-3, "\(c.name): max pool gradInput max relative error \(error)")
  }

  @Test(arguments: poolCases)
  func averagePoolMatchesReferenceAndFiniteDifferences(_ c: PoolCase) {
    let g = c.geometry
    var generator = RandomGenerator(seed: 32)
    let input = randomValues(g.inputCount, &generator)
    var output = [Float](repeating: .nan, count: g.outputCount)
    AveragePool2D.forward(g, input: input, output: &output)
    let forwardError = maxRelativeError(output, referencePool(g, input: doubles(input), maximum: false))
    #expect(forwardError < 1e-5, "\(c.name): average pool forward error \(forwardError)")

    let gradOutput = gradientWeights(g.outputCount, &generator)
    var gradInput = [Float](repeating: .nan, count: g.inputCount)
    AveragePool2D.backward(g, gradOutput: gradOutput, gradInput: &gradInput)
    let error = finiteDifferenceError(
      of: { weightedSum(gradOutput, referencePool(g, input: $0, maximum: false)) }, at: input,
      analytic: gradInput, samples: g.inputCount, &generator)
    #expect(error < 1e-3, "\(c.name): average pool gradInput max relative error \(error)")
  }

  @Test func averageExcludesPaddingFromTheCount() {
    // A 2x2 plane of ones pooled 3x3 with padding 1: every window holds only ones, so a count that
    // included the padding would give 4/9 in the corners instead of 1.
    let g = Pool2DGeometry(
      batch: 1, channels: 1, inHeight: 2, inWidth: 2, windowH: 3, windowW: 3, strideH: 1, strideW: 1,
      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
    var output = [Float](repeating: .nan, count: g.outputCount)
    AveragePool2D.forward(g, input: [1, 1, 1, 1], output: &output)
    #expect(output == [1, 1, 1, 1])
  }

  @Test func validationRejectsPaddingAsWideAsTheWindow() {
    let g = Pool2DGeometry(
      batch: 1, channels: 1, inHeight: 4, inWidth: 4, windowH: 2, windowW: 2, strideH: 2, strideW: 2,
      padLeft: 2)
    do {
      try g.validate()
      Issue.record("padding as wide as the window was accepted")
    } catch {
      #expect(error.description.contains("padLeft"))
    }
  }

  @Test(arguments: [(2, 3, 7), (3, 2, 1)])
  func globalPoolingMatchesReferenceAndFiniteDifferences(batch: Int, channels: Int, spatial: Int) {
    var generator = RandomGenerator(seed: 33)
    let count = batch * channels * spatial
    let planes = batch * channels
    let input = distinctValues(count, &generator)
    func reference(_ x: [Double], maximum: Bool) -> [Double] {
      (0..<planes).map { plane in
        let values = x[(plane * spatial)..<((plane + 1) * spatial)]
        return maximum ? values.max()! : values.reduce(0, +) / Double(spatial)
      }
    }
    let gradOutput = gradientWeights(planes, &generator)

    var average = [Float](repeating: .nan, count: planes)
    GlobalPool.averageForward(
      batch: batch, channels: channels, spatial: spatial, input: input, output: &average)
    let averageError = maxRelativeError(average, reference(doubles(input), maximum: false))
    #expect(averageError < 1e-5, "global average forward error \(averageError)")
    var averageGrad = [Float](repeating: .nan, count: count)
    GlobalPool.averageBackward(
      batch: batch, channels: channels, spatial: spatial, gradOutput: gradOutput,
      gradInput: &averageGrad)
    let averageGradError = finiteDifferenceError(
      of: { weightedSum(gradOutput, reference($0, maximum: false)) }, at: input,
      analytic: averageGrad, samples: count, &generator)
    #expect(averageGradError < 1e-3, "global average gradInput error \(averageGradError)")

    var maximum = [Float](repeating: .nan, count: planes)
    var argmax = [Int32](
      repeating: -1, count: GlobalPool.maxIndexScratchCount(batch: batch, channels: channels))
    GlobalPool.maxForward(
      batch: batch, channels: channels, spatial: spatial, input: input, output: &maximum,
      argmax: &argmax)
    #expect(maxRelativeError(maximum, reference(doubles(input), maximum: true)) == 0)
    var maximumGrad = [Float](repeating: .nan, count: count)
    GlobalPool.maxBackward(
      batch: batch, channels: channels, spatial: spatial, gradOutput: gradOutput, argmax: argmax,
      gradInput: &maximumGrad)
    let maximumGradError = finiteDifferenceError(
      of: { weightedSum(gradOutput, reference($0, maximum: true)) }, at: input,
      analytic: maximumGrad, samples: count, &generator)
    #expect(maximumGradError < 1e-3, "global max gradInput error \(maximumGradError)")
  }
}
