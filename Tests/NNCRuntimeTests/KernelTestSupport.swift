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

/// The error Float rounding allows in a sum of `terms` products whose magnitudes add up to
/// `magnitude`: each addition rounds by at most ε times the partial sum, itself at most `magnitude`,
/// and independent roundings grow like √terms. Kernels that reorder or transform the sum (blocked
/// SGEMM, Winograd) stay within a small multiple of it; a wrong term is off by about `magnitude`.
func roundingTolerance(magnitude: Double, terms: Int) -> Double {
  Double(Float.ulpOfOne) * Double(max(terms, 1)).squareRoot() * magnitude
}

/// Largest |actual − expected| in units of `roundingTolerance`, element by element: `magnitudes`
/// holds each element's sum of |products| (the Double reference evaluated on absolute values).
func maxRoundingError(
  _ actual: [Float], _ expected: [Double], magnitudes: [Double], terms: Int
) -> Double {
  precondition(actual.count == expected.count && expected.count == magnitudes.count, "sizes differ")
  var worst: Double = 0
  for ((a, e), magnitude) in zip(zip(actual, expected), magnitudes) {
    // Float's smallest normal keeps an all-zero sum from dividing by zero.
    let error = abs(Double(a) - e) / max(roundingTolerance(magnitude: magnitude, terms: terms), 1e-30)
    worst = max(worst, error.isNaN ? .infinity : error)
  }
  return worst
}
