import Foundation
import Testing

@testable import NNCTrain

/// Runs `loss` on arrays and returns (loss, gradient, probabilities).
private func evaluate(
  _ loss: LossFunction, output: [Float], batch: Int, features: Int, labels: [Int32]? = nil,
  values: [Float]? = nil
) throws -> (Float, [Float], [Float]) {
  var gradient = [Float](repeating: .nan, count: output.count)
  var probabilities = [Float](repeating: .nan, count: output.count)
  let result = try output.withUnsafeBufferPointer { out in
    try gradient.withUnsafeMutableBufferPointer { grad in
      try probabilities.withUnsafeMutableBufferPointer { prob in
        if let labels {
          return try labels.withUnsafeBufferPointer {
            try loss.evaluate(
              output: out, batch: batch, features: features, targets: .labels($0), gradient: grad,
              probabilities: prob)
          }
        }
        return try values!.withUnsafeBufferPointer {
          try loss.evaluate(
            output: out, batch: batch, features: features, targets: .values($0), gradient: grad,
            probabilities: prob)
        }
      }
    }
  }
  return (result, gradient, probabilities)
}

/// Central finite differences of a Double reference loss.
private func numericGradient(_ f: ([Double]) -> Double, at x: [Float], h: Double = 1e-5) -> [Double] {
  let base = x.map(Double.init)
  return base.indices.map { j in
    var plus = base
    var minus = base
    plus[j] += h
    minus[j] -= h
    return (f(plus) - f(minus)) / (2 * h)
  }
}

/// PyTorch's CrossEntropyLoss written directly: weighted NLL plus the smoothing term, both divided by
/// the sum of the weights of the true classes.
private func referenceCrossEntropy(
  _ logits: [Double], batch: Int, classes: Int, labels: [Int32], smoothing: Double, weights: [Double]?
) -> Double {
  var nll = 0.0
  var smooth = 0.0
  var weightTotal = 0.0
  for i in 0..<batch {
    let row = Array(logits[(i * classes)..<((i + 1) * classes)])
    let logSum = log(row.map { exp($0) }.reduce(0, +))
    let logp = row.map { $0 - logSum }
    let y = Int(labels[i])
    let w = weights?[y] ?? 1
    nll -= w * logp[y]
    weightTotal += w
    for k in 0..<classes { smooth -= (weights?[k] ?? 1) * logp[k] }
  }
  return ((1 - smoothing) * nll + smoothing / Double(classes) * smooth) / weightTotal
}

private let logits: [Float] = [0.3, -1.2, 2.0, 0.5, 1.1, 0.0, -0.7, 0.2, -2.0, 0.4, 1.5, -0.3]
private let labels: [Int32] = [2, 0, 3]

@Test(arguments: [(0.0, false), (0.1, false), (0.0, true), (0.2, true)])
func crossEntropyMatchesReferenceAndFiniteDifferences(smoothing: Double, weighted: Bool) throws {
  let weights: [Double]? = weighted ? [0.5, 2.0, 1.0, 3.0] : nil
  let loss = LossFunction.crossEntropy(
    fromLogits: true, labelSmoothing: Float(smoothing), classWeights: weights?.map(Float.init))
  let (value, gradient, probabilities) = try evaluate(
    loss, output: logits, batch: 3, features: 4, labels: labels)
  let reference = {
    referenceCrossEntropy(
      $0, batch: 3, classes: 4, labels: labels, smoothing: smoothing, weights: weights)
  }
  #expect(abs(Double(value) - reference(logits.map(Double.init))) < 1e-5)
  for (analytic, numeric) in zip(gradient, numericGradient(reference, at: logits)) {
    #expect(abs(Double(analytic) - numeric) < 1e-5)
  }
  for i in 0..<3 {
    let row = logits[(i * 4)..<(i * 4 + 4)].map { exp(Double($0)) }
    let total = row.reduce(0, +)
    for k in 0..<4 { #expect(abs(Double(probabilities[i * 4 + k]) - row[k] / total) < 1e-6) }
  }
}

@Test func crossEntropyStaysFiniteForExtremeLogits() throws {
  let extreme: [Float] = [1e4, -1e4, 0, -1e4, 1e4, 1e4]
  let (value, gradient, probabilities) = try evaluate(
    .crossEntropy(), output: extreme, batch: 2, features: 3, labels: [1, 2])
  // Sample 0: log p_1 = -1e4 - 1e4 = -2e4. Sample 1: two equal maxima, log p_2 = -log 2.
  #expect(abs(Double(value) - (2e4 + log(2.0)) / 2) < 1e-2)
  #expect(gradient.allSatisfy { $0.isFinite })
  #expect(probabilities.allSatisfy { $0.isFinite })
  #expect(abs(gradient[0] - 0.5) < 1e-6)  // (p - onehot) / N = (1 - 0) / 2
  #expect(abs(gradient[1] + 0.5) < 1e-6)
  #expect(abs(gradient[5] - (0.5 - 1) / 2) < 1e-6)
}

@Test func crossEntropyWithSoftTargetsDividesByBatch() throws {
  let targets: [Float] = [0.2, 0.3, 0.5, 0, 1, 0, 0, 0, 0.25, 0.25, 0.25, 0.25]
  let reference: ([Double]) -> Double = { x in
    var total = 0.0
    for i in 0..<3 {
      let row = Array(x[(i * 4)..<(i * 4 + 4)])
      let logSum = log(row.map { exp($0) }.reduce(0, +))
      for k in 0..<4 { total -= Double(targets[i * 4 + k]) * (row[k] - logSum) }
    }
    return total / 3
  }
  let (value, gradient, _) = try evaluate(
    .crossEntropy(), output: logits, batch: 3, features: 4, values: targets)
  #expect(abs(Double(value) - reference(logits.map(Double.init))) < 1e-5)
  for (analytic, numeric) in zip(gradient, numericGradient(reference, at: logits)) {
    #expect(abs(Double(analytic) - numeric) < 1e-5)
  }
}

@Test func crossEntropyOnProbabilities() throws {
  let probabilities: [Float] = [0.1, 0.6, 0.3, 0.25, 0.25, 0.5]
  let reference: ([Double]) -> Double = { p in (-log(p[1]) - log(p[3])) / 2 }
  let (value, gradient, _) = try evaluate(
    .crossEntropy(fromLogits: false), output: probabilities, batch: 2, features: 3, labels: [1, 0])
  #expect(abs(Double(value) - reference(probabilities.map(Double.init))) < 1e-6)
  for (analytic, numeric) in zip(gradient, numericGradient(reference, at: probabilities)) {
    #expect(abs(Double(analytic) - numeric) < 1e-4)
  }
  // An exact zero on the true class is clamped: large but finite.
  let (clamped, clampedGradient, _) = try evaluate(
    .crossEntropy(fromLogits: false), output: [0, 1], batch: 1, features: 2, labels: [0])
  #expect(clamped.isFinite && clamped > 10)
  #expect(clampedGradient.allSatisfy { $0.isFinite })
}

@Test func binaryCrossEntropyFromLogitsAndProbabilities() throws {
  let x: [Float] = [2.5, -0.4, 0.0, -3.0, 1.0, 0.7]
  let t: [Float] = [1, 0, 1, 0, 0, 1]
  let sigmoid = { (v: Double) in 1 / (1 + exp(-v)) }
  let fromLogits: ([Double]) -> Double = { v in
    var total = 0.0
    for (x, target) in zip(v, t.map(Double.init)) {
      let p = sigmoid(x)
      total -= target * log(p) + (1 - target) * log(1 - p)
    }
    return total / 6
  }
  let (value, gradient, probabilities) = try evaluate(
    .binaryCrossEntropy(), output: x, batch: 3, features: 2, values: t)
  #expect(abs(Double(value) - fromLogits(x.map(Double.init))) < 1e-6)
  for (analytic, numeric) in zip(gradient, numericGradient(fromLogits, at: x)) {
    #expect(abs(Double(analytic) - numeric) < 1e-5)
  }
  for (p, v) in zip(probabilities, x) { #expect(abs(Double(p) - sigmoid(Double(v))) < 1e-6) }

  let p: [Float] = [0.9, 0.2, 0.5, 0.05, 0.6, 0.7]
  let fromProbabilities: ([Double]) -> Double = { v in
    var total = 0.0
    for (p, target) in zip(v, t.map(Double.init)) {
      total -= target * log(p) + (1 - target) * log(1 - p)
    }
    return total / 6
  }
  let (pValue, pGradient, _) = try evaluate(
    .binaryCrossEntropy(fromLogits: false), output: p, batch: 3, features: 2, values: t)
  #expect(abs(Double(pValue) - fromProbabilities(p.map(Double.init))) < 1e-6)
  for (analytic, numeric) in zip(pGradient, numericGradient(fromProbabilities, at: p)) {
    #expect(abs(Double(analytic) - numeric) < 1e-4)
  }
}

@Test func binaryCrossEntropyExtremeLogitsAndIntegerLabels() throws {
  let (value, gradient, _) = try evaluate(
    .binaryCrossEntropy(), output: [1e4, -1e4, 1e4], batch: 3, features: 1, labels: [1, 0, 0])
  #expect(abs(Double(value) - 1e4 / 3) < 1e-2)  // only the last sample is wrong, by 1e4
  #expect(gradient.allSatisfy { $0.isFinite })
  #expect(abs(gradient[2] - 1.0 / 3) < 1e-6)
}

@Test func meanSquaredErrorAgainstValuesAndOneHotLabels() throws {
  let y: [Float] = [0.5, -1, 2, 0.1, 0.9, 0]
  let oneHot: [Double] = [0, 0, 1, 0, 1, 0]
  let reference: ([Double]) -> Double = { v in
    zip(v, oneHot).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / 6
  }
  let (value, gradient, _) = try evaluate(
    .meanSquaredError, output: y, batch: 2, features: 3, labels: [2, 1])
  #expect(abs(Double(value) - reference(y.map(Double.init))) < 1e-6)
  for (analytic, numeric) in zip(gradient, numericGradient(reference, at: y)) {
    #expect(abs(Double(analytic) - numeric) < 1e-5)
  }
  let (same, _, _) = try evaluate(
    .meanSquaredError, output: y, batch: 2, features: 3, values: oneHot.map(Float.init))
  #expect(same == value)
}

@Test func invalidInputsThrowClearErrors() throws {
  #expect(throws: TrainError.self) {
    try evaluate(.crossEntropy(), output: logits, batch: 3, features: 4, labels: [0, 4, 1])
  }
  #expect(throws: TrainError.self) {
    try evaluate(.crossEntropy(), output: logits, batch: 3, features: 4, labels: [0, -1, 1])
  }
  #expect(throws: TrainError.self) {
    try evaluate(
      .crossEntropy(classWeights: [1, 2]), output: logits, batch: 3, features: 4, labels: labels)
  }
  #expect(throws: TrainError.self) {
    try evaluate(.crossEntropy(), output: logits, batch: 4, features: 4, labels: [0, 1, 2, 3])
  }
  do {
    _ = try evaluate(.crossEntropy(), output: logits, batch: 3, features: 4, labels: [0, 7, 1])
    Issue.record("expected an error")
  } catch let error as TrainError {
    #expect(error.message.contains("label 7 of sample 1"))
  }
}

@Test func meanAbsoluteErrorAndHuberMatchFiniteDifferences() throws {
  // No output sits on a kink (|d| = 0 or |d| = delta), where the central difference is not the slope.
  let y: [Float] = [0.5, -1.2, 2.3, 0.1, 0.95, -0.4]
  let t: [Float] = [0.2, 0.3, 0.1, 1.4, 0.8, -0.3]
  let targets = t.map(Double.init)
  let absolute: ([Double]) -> Double = { v in zip(v, targets).map { abs($0 - $1) }.reduce(0, +) / 6 }
  let (value, gradient, _) = try evaluate(.meanAbsoluteError, output: y, batch: 2, features: 3, values: t)
  #expect(abs(Double(value) - absolute(y.map(Double.init))) < 1e-6)
  for (analytic, numeric) in zip(gradient, numericGradient(absolute, at: y)) {
    #expect(abs(Double(analytic) - numeric) < 1e-4)
  }
  for delta in [0.5, 1.0] {
    let huber: ([Double]) -> Double = { v in
      zip(v, targets).map { output, target in
        let d = abs(output - target)
        return d <= delta ? d * d / 2 : delta * (d - delta / 2)
      }.reduce(0, +) / 6
    }
    let (value, gradient, _) = try evaluate(
      .huber(delta: Float(delta)), output: y, batch: 3, features: 2, values: t)
    #expect(abs(Double(value) - huber(y.map(Double.init))) < 1e-6, "delta \(delta)")
    for (analytic, numeric) in zip(gradient, numericGradient(huber, at: y)) {
      #expect(abs(Double(analytic) - numeric) < 1e-4, "delta \(delta)")
    }
  }
  // Within delta everywhere, Huber is half the squared error.
  let (small, _, _) = try evaluate(.huber(delta: 10), output: y, batch: 2, features: 3, values: t)
  let (squared, _, _) = try evaluate(.meanSquaredError, output: y, batch: 2, features: 3, values: t)
  #expect(abs(small - squared / 2) < 1e-6)
  #expect(throws: TrainError.self) {
    try evaluate(.huber(delta: 0), output: y, batch: 2, features: 3, values: t)
  }
}

@Test func binaryCrossEntropyPositiveWeights() throws {
  let x: [Float] = [2.5, -0.4, 0.0, -3.0, 1.0, 0.7]
  let t: [Float] = [1, 0, 1, 0, 0, 1]
  let sigmoid = { (v: Double) in 1 / (1 + exp(-v)) }
  for weights in [[Float(3)], [0.5, 4]] {
    let weight = { (j: Int) in Double(weights.count == 1 ? weights[0] : weights[j % 2]) }
    let weighted: ([Double], Bool) -> Double = { v, logits in
      var total = 0.0
      for (j, value) in v.enumerated() {
        let p = logits ? sigmoid(value) : value
        let target = Double(t[j])
        total -= weight(j) * target * log(p) + (1 - target) * log(1 - p)
      }
      return total / 6
    }
    let (value, gradient, probabilities) = try evaluate(
      .weightedBinaryCrossEntropy(positiveWeights: weights), output: x, batch: 3, features: 2, values: t)
    #expect(abs(Double(value) - weighted(x.map(Double.init), true)) < 1e-6, "\(weights)")
    for (analytic, numeric) in zip(gradient, numericGradient({ weighted($0, true) }, at: x)) {
      #expect(abs(Double(analytic) - numeric) < 1e-5, "\(weights)")
    }
    for (p, v) in zip(probabilities, x) { #expect(abs(Double(p) - sigmoid(Double(v))) < 1e-6) }

    let p: [Float] = [0.9, 0.2, 0.5, 0.05, 0.6, 0.7]
    let (pValue, pGradient, _) = try evaluate(
      .weightedBinaryCrossEntropy(fromLogits: false, positiveWeights: weights), output: p, batch: 3,
      features: 2, values: t)
    #expect(abs(Double(pValue) - weighted(p.map(Double.init), false)) < 1e-6, "\(weights)")
    for (analytic, numeric) in zip(pGradient, numericGradient({ weighted($0, false) }, at: p)) {
      #expect(abs(Double(analytic) - numeric) < 1e-4, "\(weights)")
    }
  }
  // A weight of one is the unweighted loss.
  let (plain, plainGradient, _) = try evaluate(
    .binaryCrossEntropy(), output: x, batch: 3, features: 2, values: t)
  let (one, oneGradient, _) = try evaluate(
    .weightedBinaryCrossEntropy(positiveWeights: [1]), output: x, batch: 3, features: 2, values: t)
  #expect(abs(plain - one) < 1e-6)
  for (a, b) in zip(plainGradient, oneGradient) { #expect(abs(a - b) < 1e-7) }
  #expect(throws: TrainError.self) {
    try evaluate(
      .weightedBinaryCrossEntropy(positiveWeights: [1, 2, 3]), output: x, batch: 3, features: 2, values: t)
  }
}
