import Foundation
import Testing

@testable import NNCTrain

/// Applies `gradients[t]` (one list per step, one array per parameter) for each step in turn.
private func run<O: Optimizer>(
  _ optimizer: inout O, parameters: inout [[Float]], gradients: [[[Float]]], learningRate: Float
) throws {
  for stepGradients in gradients {
    let parameterPointers = parameters.indices.map { i in
      UnsafeMutableBufferPointer<Float>.allocate(capacity: parameters[i].count)
    }
    let gradientPointers = stepGradients.indices.map { i in
      UnsafeMutableBufferPointer<Float>.allocate(capacity: stepGradients[i].count)
    }
    defer {
      parameterPointers.forEach { $0.deallocate() }
      gradientPointers.forEach { $0.deallocate() }
    }
    for i in parameters.indices { _ = parameterPointers[i].initialize(from: parameters[i]) }
    for i in stepGradients.indices { _ = gradientPointers[i].initialize(from: stepGradients[i]) }
    try optimizer.step(
      parameters: parameterPointers, gradients: gradientPointers, learningRate: learningRate)
    for i in parameters.indices { parameters[i] = Array(parameterPointers[i]) }
  }
}

private let start: [[Float]] = [[1.0, -2.0], [0.5]]
/// Three steps of gradients for two parameters.
private let steps: [[[Float]]] = [
  [[0.5, -1.0], [2.0]],
  [[0.2, 0.3], [-1.0]],
  [[-0.4, 0.1], [0.5]],
]

private func close(_ actual: [[Float]], _ expected: [[Double]], tolerance: Double = 1e-6) -> Bool {
  zip(actual.joined(), expected.joined()).allSatisfy { abs(Double($0) - $1) <= tolerance }
    && actual.joined().count == expected.joined().count
}

@Test func sgdMomentumMatchesHandComputedSteps() throws {
  // p = 1, g = 1 every step, mu = 0.9, lr = 0.1: v = 1, 1.9, 2.71 so p = 0.9, 0.71, 0.439.
  var sgd = try SGD(momentum: 0.9)
  var parameters: [[Float]] = [[1]]
  try run(&sgd, parameters: &parameters, gradients: [[[1]], [[1]], [[1]]], learningRate: 0.1)
  #expect(close(parameters, [[0.439]]))
  #expect(sgd.stepCount == 3)

  // Nesterov: p -= lr (g + mu v): 1 - 0.19 = 0.81, then 0.81 - 0.1 (1 + 0.9 * 1.9) = 0.539.
  var nesterov = try SGD(momentum: 0.9, nesterov: true)
  parameters = [[1]]
  try run(&nesterov, parameters: &parameters, gradients: [[[1]], [[1]]], learningRate: 0.1)
  #expect(close(parameters, [[0.539]]))
}

/// The PyTorch update rules written out on Doubles, one scalar at a time.
private func reference(
  _ rule: (_ p: inout Double, _ g: Double, _ state: inout [Double], _ t: Int, _ index: Int) -> Void
) -> [[Double]] {
  var parameters = start.map { $0.map(Double.init) }
  var states = parameters.map { $0.map { _ in [0.0, 0.0, 0.0] } }
  for (t, stepGradients) in steps.enumerated() {
    for i in parameters.indices {
      for j in parameters[i].indices {
        rule(&parameters[i][j], Double(stepGradients[i][j]), &states[i][j], t + 1, i)
      }
    }
  }
  return parameters
}

@Test(arguments: [false, true])
func sgdWithWeightDecayAndMask(nesterov: Bool) throws {
  let (lr, mu, decay) = (0.05, 0.8, 0.1)
  var sgd = try SGD(momentum: Float(mu), nesterov: nesterov, weightDecay: Float(decay))
  sgd.decayMask = [true, false]  // the second parameter plays a bias
  var parameters = start
  try run(&sgd, parameters: &parameters, gradients: steps, learningRate: Float(lr))
  let expected = reference { p, g, s, _, index in
    let g = g + (index == 0 ? decay * p : 0)
    s[0] = mu * s[0] + g
    p -= lr * (nesterov ? g + mu * s[0] : s[0])
  }
  #expect(close(parameters, expected))
}

@Test func gradientDescentIsPlainSGD() throws {
  var gd = GradientDescent(weightDecay: 0.01)
  var parameters = start
  try run(&gd, parameters: &parameters, gradients: steps, learningRate: 0.3)
  #expect(close(parameters, reference { p, g, _, _, _ in p -= 0.3 * (g + 0.01 * p) }))
  #expect(gd.stateTensors().isEmpty)
}

@Test(arguments: [(0.0, false), (0.5, false), (0.0, true), (0.5, true)])
func rmspropMatchesPyTorchRule(momentum: Double, centered: Bool) throws {
  let (lr, rho, eps, decay) = (0.01, 0.9, 1e-8, 0.05)
  var rmsprop = try RMSProp(
    rho: Float(rho), epsilon: Float(eps), momentum: Float(momentum), centered: centered,
    weightDecay: Float(decay))
  var parameters = start
  try run(&rmsprop, parameters: &parameters, gradients: steps, learningRate: Float(lr))
  let expected = reference { p, g, s, _, _ in
    let g = g + decay * p
    s[0] = rho * s[0] + (1 - rho) * g * g
    var variance = s[0]
    if centered {
      s[2] = rho * s[2] + (1 - rho) * g
      variance -= s[2] * s[2]
    }
    let scaled = g / (variance.squareRoot() + eps)
    if momentum > 0 {
      s[1] = momentum * s[1] + scaled
      p -= lr * s[1]
    } else {
      p -= lr * scaled
    }
  }
  #expect(close(parameters, expected, tolerance: 1e-5))
}

@Test func adamFirstStepMovesEachParameterByTheLearningRate() throws {
  // Bias correction makes the first update lr * g / |g| whatever the gradient's scale.
  var adam = try Adam()
  var parameters: [[Float]] = [[1, 1, 1]]
  try run(&adam, parameters: &parameters, gradients: [[[1000, -0.001, 3]]], learningRate: 0.1)
  #expect(close(parameters, [[0.9, 1.1, 0.9]], tolerance: 1e-5))
}

@Test(arguments: [false, true])
func adamAndAdamWMatchPyTorchRule(decoupled: Bool) throws {
  let (lr, b1, b2, eps, decay) = (0.01, 0.9, 0.999, 1e-8, 0.1)
  var adam =
    decoupled
    ? try Adam.adamW(weightDecay: Float(decay))
    : try Adam(weightDecay: Float(decay))
  var parameters = start
  try run(&adam, parameters: &parameters, gradients: steps, learningRate: Float(lr))
  let expected = reference { p, g, s, t, _ in
    var g = g
    if decoupled { p *= 1 - lr * decay } else { g += decay * p }
    s[0] = b1 * s[0] + (1 - b1) * g
    s[1] = b2 * s[1] + (1 - b2) * g * g
    let mHat = s[0] / (1 - pow(b1, Double(t)))
    let vHat = s[1] / (1 - pow(b2, Double(t)))
    p -= lr * mHat / (vHat.squareRoot() + eps)
  }
  #expect(close(parameters, expected, tolerance: 1e-5))
}

@Test func learningRateScalesApplyPerParameter() throws {
  var sgd = try SGD()
  sgd.learningRateScales = [1, 0]  // a frozen-by-rate second parameter
  var parameters = start
  try run(&sgd, parameters: &parameters, gradients: [steps[0]], learningRate: 0.1)
  #expect(close(parameters, [[0.95, -1.9], [0.5]]))
}

/// Saving the state after two steps and restoring it into a fresh optimizer must continue exactly as
/// an uninterrupted run.
private func checkResume<O: Optimizer>(_ make: () throws -> O) throws {
  var uninterrupted = try make()
  var expected = start
  try run(&uninterrupted, parameters: &expected, gradients: steps + steps, learningRate: 0.01)

  var first = try make()
  var parameters = start
  try run(&first, parameters: &parameters, gradients: steps, learningRate: 0.01)
  var resumed = try make()
  try resumed.restore(state: first.stateTensors(), parameterSizes: parameters.map(\.count))
  resumed.stepCount = first.stepCount
  try run(&resumed, parameters: &parameters, gradients: steps, learningRate: 0.01)
  #expect(parameters == expected)
  #expect(resumed.stepCount == 6)
}

@Test func stateSaveAndRestoreContinuesIdentically() throws {
  try checkResume { try SGD(momentum: 0.9, nesterov: true) }
  try checkResume { try RMSProp(momentum: 0.5, centered: true) }
  try checkResume { try Adam(weightDecay: 0.01) }
  try checkResume { try Adam.adamW() }
  let adam = try Adam()
  #expect(adam.stateTensors().isEmpty)  // state appears with the first step
}

@Test func restoreRejectsMissingOrMisSizedState() throws {
  var adam = try Adam()
  #expect(throws: TrainError.self) { try adam.restore(state: [:], parameterSizes: [2]) }
  #expect(throws: TrainError.self) {
    try adam.restore(state: ["exp_avg.0": [0], "exp_avg_sq.0": [0, 0]], parameterSizes: [2])
  }
}

@Test func mismatchedGradientsThrow() throws {
  var sgd = try SGD()
  var parameters: [[Float]] = [[1, 2]]
  #expect(throws: TrainError.self) {
    try run(&sgd, parameters: &parameters, gradients: [[[1]]], learningRate: 0.1)
  }
  var adam = try Adam()
  try run(&adam, parameters: &parameters, gradients: [[[1, 1]]], learningRate: 0.1)
  var grown: [[Float]] = [[1, 2, 3]]
  #expect(throws: TrainError.self) {
    try run(&adam, parameters: &grown, gradients: [[[1, 1, 1]]], learningRate: 0.1)
  }
  #expect(throws: TrainError.self) { try SGD(nesterov: true) }
  #expect(throws: TrainError.self) { try Adam(beta1: 1) }
}

@Test func clippingScalesToTheExactGlobalNorm() {
  var first: [Float] = [3, 4]
  var second: [Float] = [12]
  let norm = first.withUnsafeMutableBufferPointer { a in
    second.withUnsafeMutableBufferPointer { b in clipGradients([a, b], maxNorm: 6.5) }
  }
  #expect(norm == 13)
  #expect(first == [1.5, 2] && second == [6])  // every gradient halved
  let clippedNorm = (first + second).map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
  #expect(abs(clippedNorm - 6.5) < 1e-6)

  var small: [Float] = [0.3, -0.4]
  let smallNorm = small.withUnsafeMutableBufferPointer { clipGradients([$0], maxNorm: 1) }
  #expect(abs(smallNorm - 0.5) < 1e-7)
  #expect(small == [0.3, -0.4])
}
