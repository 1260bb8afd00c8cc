import NNCRandom
import Testing

@testable import NNCRuntime

/// y[n, o] = Σ_i x[n, i] w[o, i] + b[o], in Double.
func referenceDense(batch: Int, inFeatures: Int, outFeatures: Int, x: [Double], w: [Double], b: [Double]?)
  -> [Double]
{
  var y: [Double] = []
  for n in 0..<batch {
    for o in 0..<outFeatures {
      var sum = b?[o] ?? 0
      for i in 0..<inFeatures { sum += x[n * inFeatures + i] * w[o * inFeatures + i] }
      y.append(sum)
    }
  }
  return y
}

@Suite struct DenseTests {
  @Test(arguments: [(1, 5, 3, true), (4, 7, 2, false), (3, 1, 6, true)])
  func forwardAndBackwardMatchReference(batch: Int, inFeatures: Int, outFeatures: Int, hasBias: Bool) {
    var generator = RandomGenerator(seed: 41)
    let x = randomValues(batch * inFeatures, &generator)
    let w = randomValues(outFeatures * inFeatures, &generator)
    let b = hasBias ? randomValues(outFeatures, &generator) : nil
    var y = [Float](repeating: .nan, count: batch * outFeatures)
    Dense.forward(
      batch: batch, inFeatures: inFeatures, outFeatures: outFeatures, input: x, weight: w, bias: b,
      output: &y)
    func reference(_ x: [Double], _ w: [Double], _ b: [Double]?) -> [Double] {
      referenceDense(batch: batch, inFeatures: inFeatures, outFeatures: outFeatures, x: x, w: w, b: b)
    }
    let (xd, wd, bd) = (doubles(x), doubles(w), b.map(doubles))
    let forwardError = maxRelativeError(y, reference(xd, wd, bd))
    #expect(forwardError < 1e-5, "dense forward error \(forwardError)")

    let dy = gradientWeights(batch * outFeatures, &generator)
    var dx = [Float](repeating: .nan, count: x.count)
    var dw = [Float](repeating: 0, count: w.count)
    var db = [Float](repeating: 0, count: outFeatures)
    Dense.backward(
      batch: batch, inFeatures: inFeatures, outFeatures: outFeatures, input: x, weight: w,
      gradOutput: dy, gradInput: &dx, gradWeight: &dw, gradBias: &db)
    let inputError = finiteDifferenceError(
      of: { weightedSum(dy, reference($0, wd, bd)) }, at: x, analytic: dx, &generator)
    #expect(inputError < 1e-3, "dense gradInput max relative error \(inputError)")
    let weightError = finiteDifferenceError(
      of: { weightedSum(dy, reference(xd, $0, bd)) }, at: w, analytic: dw, &generator)
    #expect(weightError < 1e-3, "dense gradWeight max relative error \(weightError)")
    if let b {
      let biasError = finiteDifferenceError(
        of: { weightedSum(dy, reference(xd, wd, $0)) }, at: b, analytic: db, &generator)
      #expect(biasError < 1e-3, "dense gradBias max relative error \(biasError)")
    }
  }

  @Test func fusedActivationAndAccumulation() {
    var generator = RandomGenerator(seed: 42)
    let (batch, inFeatures, outFeatures) = (3, 4, 5)
    let x = randomValues(batch * inFeatures, &generator)
    let w = randomValues(outFeatures * inFeatures, &generator)
    let b = randomValues(outFeatures, &generator)
    var y = [Float](repeating: .nan, count: batch * outFeatures)
    Dense.forward(
      batch: batch, inFeatures: inFeatures, outFeatures: outFeatures, input: x, weight: w, bias: b,
      output: &y, activation: .relu)
    let expected = referenceDense(
      batch: batch, inFeatures: inFeatures, outFeatures: outFeatures, x: doubles(x), w: doubles(w),
      b: doubles(b)
    ).map { max($0, 0) }
    #expect(maxRelativeError(y, expected) < 1e-5)

    let dy = gradientWeights(batch * outFeatures, &generator)
    var once = [Float](repeating: 0, count: w.count)
    var onceBias = [Float](repeating: 0, count: outFeatures)
    Dense.backward(
      batch: batch, inFeatures: inFeatures, outFeatures: outFeatures, input: x, weight: w,
      gradOutput: dy, gradInput: nil, gradWeight: &once, gradBias: &onceBias)
    var twice = once
    var twiceBias = onceBias
    Dense.backward(
      batch: batch, inFeatures: inFeatures, outFeatures: outFeatures, input: x, weight: w,
      gradOutput: dy, gradInput: nil, gradWeight: &twice, gradBias: &twiceBias)
    #expect(maxRelativeError(twice, doubles(once).map { 2 * $0 }) < 1e-6)
    #expect(maxRelativeError(twiceBias, doubles(onceBias).map { 2 * $0 }) < 1e-6)
  }
}
