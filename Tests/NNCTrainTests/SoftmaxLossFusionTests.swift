import NNCGraph
import NNCRandom
import NNCRuntime
import NNCSpec
import Testing

@testable import NNCTrain

/// A model ending in softmax, trained with cross_entropy(from_logits: false): with the softmax fused
/// into the loss, the executor outputs logits and the loss takes them, and loss, probabilities and
/// parameter gradients match the unfused computation.
@Test func fusingTheFinalSoftmaxIntoTheLossKeepsLossAndGradients() throws {
  let (parsed, diagnostics) = SpecLoader.parse(
    text: """
      model:
        input: [6]
        layers:
          - dense: {units: 8, activation: tanh}
          - dense: 4
          - softmax
      loss: {cross_entropy: {from_logits: false}}
      """, path: "softmax.yaml")
  let spec = try #require(parsed, "\(diagnostics)")
  let graph = try #require(Lowering.lower(spec).graph)
  let settings = TrainingConfiguration(spec: spec).loss
  #expect(RunComponents.lossTakesLogits(settings))

  let batch = 3
  let fused = Executor(
    graph: graph, maxBatch: batch,
    configuration: ExecutionConfiguration(
      mode: .training, optimization: OptimizationOptions(lossTakesLogits: true)))
  let reference = Executor(
    graph: graph, maxBatch: batch, configuration: ExecutionConfiguration(mode: .training, optimization: .none)
  )
  #expect(fused.outputIsLogits)
  #expect(!reference.outputIsLogits)
  #expect(!fused.graph.nodes.contains { $0.op == .activation(.softmax) })

  var rng = RandomGenerator(seed: 4)
  for index in 0..<fused.parameterCount {
    let value = rng.nextUniform(-0.8, 0.8)
    fused.parameters[index] = value
    reference.parameters[index] = value
  }
  for index in 0..<(batch * fused.inputSampleCount) {
    let value = rng.nextUniform(-1, 1)
    fused.input[index] = value
    reference.input[index] = value
  }
  let labels: [Int32] = [0, 3, 1]
  var results: [(loss: Float, probabilities: [Float], gradients: [Float])] = []
  for (executor, fromLogits) in [(fused, true), (reference, false)] {
    let loss = RunComponents.loss(settings, outputIsLogits: executor.outputIsLogits)
    guard case .crossEntropy(let lossFromLogits, _, _) = loss else {
      Issue.record("expected cross-entropy")
      return
    }
    #expect(lossFromLogits == fromLogits)
    executor.forward(batch: batch, training: true)
    var gradient = [Float](repeating: 0, count: batch * 4)
    var probabilities = [Float](repeating: 0, count: batch * 4)
    let value = try labels.withUnsafeBufferPointer { labels in
      try gradient.withUnsafeMutableBufferPointer { gradient in
        try probabilities.withUnsafeMutableBufferPointer { probabilities in
          try loss.evaluate(
            output: UnsafeBufferPointer(start: executor.output, count: batch * 4), batch: batch, features: 4,
            targets: .labels(labels), gradient: gradient, probabilities: probabilities)
        }
      }
    }
    if !fromLogits { probabilities = Array(UnsafeBufferPointer(start: executor.output, count: batch * 4)) }
    for (index, element) in gradient.enumerated() { executor.outputGradient[index] = element }
    executor.zeroParameterGradients()
    executor.backward(batch: batch)
    results.append((value, probabilities, Array(executor.parameterGradients)))
  }
  #expect(abs(results[0].loss - results[1].loss) <= 1e-5 * abs(results[1].loss))
  for (a, b) in zip(results[0].probabilities, results[1].probabilities) { #expect(abs(a - b) <= 1e-6) }
  let scale = results[1].gradients.map(abs).max() ?? 1
  for (a, b) in zip(results[0].gradients, results[1].gradients) { #expect(abs(a - b) <= 1e-5 * scale) }
}
