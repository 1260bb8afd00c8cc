import NNCSpec
import Testing

@testable import NNCGraph

@Test func fuseActivationsMergesIntoConvolutionAndDense() throws {
  let graph = try lowered(convBatchNormReLU)
  let fused = FuseActivations().run(graph, mode: .training)
  #expect(mnemonics(fused) == ["conv2d", "batchnorm", "relu", "dropout", "flatten", "dense+relu", "dense"])
  let all = try PassManager.optimize(graph, mode: .inference)
  #expect(mnemonics(all) == ["conv2d+batchnorm+relu", "flatten", "dense+relu", "dense"])
  #expect(all.nodes[0].fusedNodes == ["batchnorm", "relu"])
  #expect(parameterNames(all) == parameterNames(graph))
}

@Test func activationsWhoseGradientNeedsTheInputDoNotFuseForTraining() throws {
  let graph = try lowered(
    """
    model:
      input: [4]
      layers:
        - dense: {units: 4, activation: gelu}
        - dense: {units: 4, activation: tanh}
        - dense: 2
    """)
  #expect(
    mnemonics(FuseActivations().run(graph, mode: .training)) == ["dense", "gelu", "dense+tanh", "dense"])
  #expect(mnemonics(FuseActivations().run(graph, mode: .inference)) == ["dense+gelu", "dense+tanh", "dense"])
}

@Test func activationsDoNotFuseIntoAProducerWithOtherReaders() throws {
  let graph = try lowered(
    """
    model:
      input: [2, 4, 4]
      layers:
        - conv2d: {filters: 2, kernel: 1}
        - residual:
            layers: [relu]
    """)
  // The convolution's output feeds both the relu and the shortcut.
  let fused = FuseActivations().run(graph, mode: .inference)
  #expect(mnemonics(fused) == ["conv2d", "relu", "add"])
}
