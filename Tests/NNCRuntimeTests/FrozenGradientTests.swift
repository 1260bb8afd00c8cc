import NNCGraph
import NNCRandom
import Testing

@testable import NNCRuntime

/// Frozen parameters get no gradient storage, backward does not run below the last frozen layer,
/// and the gradients of the trainable parameters are exactly those of a fully trainable network.
@Suite struct FrozenGradientTests {
  static let yaml = """
    model:
      input: [2, 6, 6]
      layers:
        - conv2d: {filters: 3, kernel: 3, padding: same, name: base}
        - batchnorm: {name: norm}
        - relu
        - flatten
        - dense: {units: 5, activation: tanh, name: middle}
        - dense: {units: 4, name: head}
    """

  /// Runs one forward and backward pass with the same parameters, inputs and output gradient.
  func gradients(of graph: Graph) -> Executor {
    let executor = Executor(graph: graph, maxBatch: 2)
    randomize(executor, seed: 3)
    var rng = RandomGenerator(seed: 9)
    for index in 0..<(2 * executor.inputSampleCount) { executor.input[index] = rng.nextUniform(-1, 1) }
    executor.forward(batch: 2, training: true)
    executor.zeroParameterGradients()
    for index in 0..<(2 * executor.outputSampleCount) {
      executor.outputGradient[index] = rng.nextUniform(-1, 1)
    }
    executor.backward(batch: 2)
    return executor
  }

  @Test func frozenParametersHaveNoGradientsAndTheOthersAreUnchanged() throws {
    let full = try graph(Self.yaml)
    let frozen = full.applying(.freezeUntil("middle"))
    // Only the head trains: 5*4 + 4 values of gradient storage, nothing for the frozen layers.
    let tuned = gradients(of: frozen)
    #expect(tuned.trainableParameterCount == 24)
    #expect(tuned.parameterGradients.count == 24)
    for slot in tuned.parameterLayout {
      #expect((slot.gradientOffset != nil) == slot.info.name.hasPrefix("head."), "\(slot.info.name)")
    }
    // Backward stops at the head: no value below it needs a gradient.
    let headInput = tuned.graph.nodes.first { $0.name == "head" }!.inputs[0]
    #expect(!tuned.needsGradient[headInput.index])

    // The frozen batchnorm normalizes with running statistics, so compare against a trainable
    // network whose batchnorm is frozen the same way: the head's gradients must agree bit for bit.
    let reference = full.applying(.freeze(["norm"]))
    let all = gradients(of: reference)
    for slot in tuned.parameterLayout where slot.gradientOffset != nil {
      let match = try #require(all.parameterLayout.first { $0.info.name == slot.info.name })
      #expect(Array(tuned.gradient(slot)) == Array(all.gradient(match)), "\(slot.info.name)")
    }
  }

  @Test func selectionsFreezeTheRightLayers() throws {
    let full = try graph(Self.yaml)
    func trainableLayers(_ graph: Graph) -> [String] {
      graph.nodes.filter { $0.parameters.contains(where: \.trainable) }.map(\.name)
    }
    #expect(trainableLayers(full) == ["base", "norm", "middle", "head"])
    #expect(trainableLayers(full.applying(.freezeUntil("norm"))) == ["middle", "head"])
    #expect(trainableLayers(full.applying(.trainableFrom("middle"))) == ["middle", "head"])
    #expect(trainableLayers(full.applying(.trainable(["h*", "base"]))) == ["base", "head"])
    #expect(trainableLayers(full.applying(.freeze(["*e"]))) == ["norm", "head"])
    // A frozen batchnorm uses running statistics; its running statistics never train.
    let frozenNorm = full.applying(.freeze(["norm"]))
    #expect(frozenNorm.nodes[1].isFrozen)
    #expect(frozenNorm.parameterTotals.trainable == full.parameterTotals.trainable - 6)
    // Undoing a selection restores the model's own trainability.
    #expect(trainableLayers(frozenNorm.applying(nil)) == trainableLayers(full))
  }
}
