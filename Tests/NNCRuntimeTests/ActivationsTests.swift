import Foundation
import NNCGraph
import NNCRandom
import NNCSpec
import Testing

@testable import NNCRuntime

let activationKinds: [ActivationKind] = [
  .linear, .relu, .relu6, .sigmoid, .tanh, .leakyRelu(alpha: 0.1), .leakyRelu(alpha: -0.5),
  .elu(alpha: 1), .elu(alpha: 0.5), .gelu(approximate: .tanh), .gelu(approximate: .erf), .silu, .hardSigmoid,
]

/// Every element-wise activation of the table with its defaults, and alphas on both sides of zero.
let graphActivations: [Activation] =
  Activation.allWithDefaults.filter(\.isElementwise) + [
    .leakyRelu(alpha: 0.1), .leakyRelu(alpha: -0.5), .elu(alpha: 0.5), .elu(alpha: -1),
    .gelu(approximate: .erf),
  ]

/// Each activation's formula in Double, written from its definition.
func referenceActivation(_ kind: ActivationKind, _ x: Double) -> Double {
  switch kind {
  case .linear: x
  case .relu: max(x, 0)
  case .relu6: min(max(x, 0), 6)
  case .sigmoid: 1 / (1 + exp(-x))
  case .tanh: tanh(x)
  case .leakyRelu(let alpha): x > 0 ? x : Double(alpha) * x
  case .elu(let alpha): x > 0 ? x : Double(alpha) * (exp(x) - 1)
  case .gelu(.tanh): 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
  case .gelu(.erf): 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
  case .silu: x / (1 + exp(-x))
  case .hardSigmoid: min(max(x / 6 + 0.5, 0), 1)
  }
}

/// Inputs over [-8, 8), kept 0.01 away from every kink (0, ±3, 6) so finite differences never
/// straddle one.
func activationInputs(_ count: Int, _ generator: inout RandomGenerator) -> [Float] {
  randomValues(count, &generator, scale: 8).map { x in
    var value = x
    for kink: Float in [0, -3, 3, 6] where abs(value - kink) < 0.01 { value = kink + 0.02 }
    return value
  }
}

@Suite struct ActivationsTests {
  @Test(arguments: activationKinds)
  func forwardMatchesFormula(_ kind: ActivationKind) {
    var generator = RandomGenerator(seed: 51)
    let x = activationInputs(40, &generator)
    var y = [Float](repeating: .nan, count: x.count)
    kind.forward(x, &y, count: x.count)
    let expected = x.map { referenceActivation(kind, Double($0)) }
    let error = maxRelativeError(y, expected)
    #expect(error < 1e-5, "\(kind) forward max relative error \(error)")
  }

  @Test(arguments: activationKinds)
  func forwardInPlaceEqualsOutOfPlace(_ kind: ActivationKind) {
    var generator = RandomGenerator(seed: 52)
    var x = activationInputs(30, &generator)
    var separate = [Float](repeating: .nan, count: x.count)
    kind.forward(x, &separate, count: x.count)
    x.withUnsafeMutableBufferPointer { buffer in
      kind.forward(UnsafePointer(buffer.baseAddress!), buffer.baseAddress!, count: buffer.count)
    }
    #expect(x == separate)
  }

  /// The runtime's derivatives agree with finite differences for every activation of
  /// `Vocabulary.activations`, and the backward from the output does wherever the table says the
  /// gradient can be computed from the output.
  @Test(arguments: graphActivations)
  func backwardAgreesWithTheTable(_ activation: Activation) throws {
    let kind = try #require(ActivationKind(activation))
    var generator = RandomGenerator(seed: 53)
    let x = activationInputs(40, &generator)
    let dy = gradientWeights(x.count, &generator)
    var dx = [Float](repeating: .nan, count: x.count)
    kind.backward(input: x, gradOutput: dy, gradInput: &dx, count: x.count)
    let loss = { (x: [Double]) in weightedSum(dy, x.map { referenceActivation(kind, $0) }) }
    let error = finiteDifferenceError(of: loss, at: x, analytic: dx, samples: x.count, &generator)
    #expect(error < 1e-3, "\(kind) gradInput (from x) max relative error \(error)")

    guard activation.gradientFromOutput else { return }
    var y = [Float](repeating: .nan, count: x.count)
    kind.forward(x, &y, count: x.count)
    var fromOutput = dy
    fromOutput.withUnsafeMutableBufferPointer { buffer in
      // In place: the gradient overwrites gradOutput, as an in-place activation's backward would.
      kind.backward(
        output: y, gradOutput: UnsafePointer(buffer.baseAddress!), gradInput: buffer.baseAddress!,
        count: buffer.count)
    }
    let outputError = finiteDifferenceError(
      of: loss, at: x, analytic: fromOutput, samples: x.count, &generator)
    #expect(outputError < 1e-3, "\(kind) gradInput (from y) max relative error \(outputError)")
  }

  @Test func everyTableActivationHasAKernelExceptSoftmax() {
    for definition in Vocabulary.activations {
      let activation = Activation(name: definition.name)!
      #expect((ActivationKind(activation) == nil) == (activation == .softmax), "\(definition.name)")
    }
  }

  @Test func gradientFromOutputOnlyWhereInvertible() {
    let fromOutput: [Activation] = [
      .linear, .relu, .relu6, .sigmoid, .tanh, .leakyRelu(alpha: 0.1), .elu(alpha: 1), .hardSigmoid, .softmax,
    ]
    for activation in fromOutput { #expect(activation.gradientFromOutput, "\(activation)") }
    let fromInput: [Activation] = [
      .gelu(approximate: .tanh), .gelu(approximate: .erf), .silu, .leakyRelu(alpha: -0.5), .elu(alpha: -1),
    ]
    for activation in fromInput {
      #expect(!activation.gradientFromOutput, "\(activation)")
    }
  }

  @Test func sigmoidStaysFiniteForLargeInputs() {
    let x: [Float] = [-1000, -90, 90, 1000]
    var y = [Float](repeating: .nan, count: x.count)
    ActivationKind.sigmoid.forward(x, &y, count: x.count)
    #expect(y == [0, Float(1 / (1 + exp(90.0))), 1, 1])
  }
}

/// ReLU6's vectorized gradient gate passes the output gradient exactly where 0 < gate < 6, as the
/// scalar definition: bounds, ±0, NaN and infinities, in the 16-lane body and the tail, from the
/// input and from the output, in place too.
@Test func relu6GradientGatesExactlyInsideTheBounds() {
  let gates: [Float] = [
    .nan, -0.0, 0, 6, -6, 6.5, 5.999, .infinity, -.infinity, 1e-30, -1e-30, 3, 0.5, 7, -1, 2,
  ]
  let gate = gates + gates.reversed() + gates.prefix(5)  // 37: two 16-lane blocks and a tail
  let gradient = (0..<gate.count).map { Float($0) - 11.5 }
  let expected = zip(gate, gradient).map { g, v in g > 0 && g < 6 ? v : 0 }
  for fromOutput in [false, true] {
    var result = [Float](repeating: .nan, count: gate.count)
    if fromOutput {
      ActivationKind.relu6.backward(output: gate, gradOutput: gradient, gradInput: &result, count: gate.count)
    } else {
      ActivationKind.relu6.backward(input: gate, gradOutput: gradient, gradInput: &result, count: gate.count)
    }
    #expect(result.map(\.bitPattern) == expected.map(\.bitPattern), "from output: \(fromOutput)")
  }
  var inPlace = gradient
  inPlace.withUnsafeMutableBufferPointer { buffer in
    ActivationKind.relu6.backward(
      input: gate, gradOutput: UnsafePointer(buffer.baseAddress!), gradInput: buffer.baseAddress!,
      count: gate.count)
  }
  #expect(inPlace.map(\.bitPattern) == expected.map(\.bitPattern), "in place")
}
