import NNCSpec
import Testing

@testable import NNCTrain

/// `stateCopies` (what the memory estimate counts) is what each optimizer really keeps after a step.
@Suite struct OptimizerStateSizeTests {
  @Test(arguments: [
    "gd: {lr: 0.1}", "sgd: {lr: 0.1}", "sgd: {lr: 0.1, momentum: 0.9}", "rmsprop: {lr: 0.1}",
    "rmsprop: {lr: 0.1, momentum: 0.9}", "adam: {lr: 0.1}", "adamw: {lr: 0.1}",
  ])
  func stateCopiesMatchTheStateAfterAStep(_ optimizer: String) throws {
    let (spec, diagnostics) = SpecLoader.parse(
      text: "model:\n  input: [4]\n  layers:\n    - dense: 2\noptimizer: {\(optimizer)}\n",
      path: "/specs/o.yaml")
    let settings = TrainingConfiguration(spec: try #require(spec, "\(diagnostics)")).optimizer
    var instance = try RunComponents.optimizer(settings)
    var parameters: [Float] = [1, 2, 3, 4, 5]
    var gradients: [Float] = [0.5, -0.5, 0.25, 1, -1]
    try parameters.withUnsafeMutableBufferPointer { parameter in
      try gradients.withUnsafeMutableBufferPointer { gradient in
        try instance.step(parameters: [parameter], gradients: [gradient], learningRate: 0.1)
      }
    }
    let stateElements = instance.stateTensors().values.reduce(0) { $0 + $1.count }
    #expect(stateElements == settings.stateCopies * parameters.count)
  }
}
