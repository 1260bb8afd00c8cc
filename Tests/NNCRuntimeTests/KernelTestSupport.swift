import NNCRandom

/// Test data and gradient checks shared by the kernel tests. References are plain loops in Double;
/// gradients are checked by central finite differences of the Double reference, compared with the
/// Float analytic gradient of the kernel under test.

/// `count` values drawn uniformly from [-scale, scale).
func randomValues(_ count: Int, _ generator: inout RandomGenerator, scale: Float = 1) -> [Float] {
  (0..<count).map { _ in generator.nextUniform(-scale, scale) }
}

/// `count` distinct values, at least 0.05 apart, in random order: max pooling's argmax cannot flip
/// under a finite-difference step.
func distinctValues(_ count: Int, _ generator: inout RandomGenerator) -> [Float] {
  var values = (0..<count).map { Float($0) * 0.05 - Float(count) * 0.025 }
  generator.shuffle(&values)
  return values
}

func doubles(_ values: [Float]) -> [Double] { values.map(Double.init) }

/// Σ weights ⊙ values: the scalar loss L = sum(dy ⊙ f(x)) whose gradient the backward kernels compute.
func weightedSum(_ weights: [Float], _ values: [Double]) -> Double {
  precondition(weights.count == values.count, "loss weights \(weights.count) vs values \(values.count)")
  return zip(weights, values).reduce(0) { $0 + Double($1.0) * $1.1 }
}

/// Largest |a - b| / max(|a|, |b|, floor) over two arrays; `floor` keeps near-zero entries from
/// turning Float rounding noise into huge relative errors.
func maxRelativeError(_ actual: [Float], _ expected: [Double], floor: Double = 0.1) -> Double {
  precondition(actual.count == expected.count, "compared \(actual.count) values with \(expected.count)")
  var worst: Double = 0
  for (a, e) in zip(actual, expected) {
    let error = abs(Double(a) - e) / max(abs(Double(a)), abs(e), floor)
    worst = max(worst, error.isNaN ? .infinity : error)
  }
  return worst
}

/// Compares `analytic` (the kernel's gradient of `loss` with respect to `point`) with central finite
/// differences of `loss`, at up to `samples` entries chosen at random, and returns the largest
/// relative error.
func finiteDifferenceError(
  of loss: ([Double]) -> Double, at point: [Float], analytic: [Float], samples: Int = 24,
  step: Double = 1e-4, _ generator: inout RandomGenerator
) -> Double {
  precondition(point.count == analytic.count, "point \(point.count) vs gradient \(analytic.count)")
  var indices = Array(point.indices)
  if indices.count > samples {
    generator.shuffle(&indices)
    indices = Array(indices.prefix(samples))
  }
  var x = doubles(point)
  var numeric: [Double] = []
  var picked: [Float] = []
  for i in indices {
    let original = x[i]
    x[i] = original + step
    let plus = loss(x)
    x[i] = original - step
    let minus = loss(x)
    x[i] = original
    numeric.append((plus - minus) / (2 * step))
    picked.append(analytic[i])
  }
  return maxRelativeError(picked, numeric)
}

/// The loss weights dy: random, so no gradient entry can hide behind a symmetric loss.
func gradientWeights(_ count: Int, _ generator: inout RandomGenerator) -> [Float] {
  randomValues(count, &generator)
}
