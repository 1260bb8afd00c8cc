import NNCSpec
import Testing

@testable import NNCGraph

/// What each op's backward pass reads decides which values training keeps alive and which nodes may
/// run in place, so every family's answer is pinned here.
@Test func backwardReadsInputsOfWeightedOpsAndOutputsOfInvertibleActivations() throws {
  let graph = try lowered(
    """
    model:
      input: [2, 4, 4]
      layers:
        - conv2d: {filters: 2, kernel: 3, padding: same}
        - batchnorm
        - relu
        - gelu
        - maxpool: 2
        - residual:
            layers: [sigmoid]
        - global_avgpool
        - dropout: 0.5
        - dense: 3
        - softmax
    """)
  func reads(_ mnemonic: String) throws -> String {
    let node = try #require(graph.nodes.first { $0.op.mnemonic == mnemonic }, "no \(mnemonic)")
    return node.valuesReadByBackward.map {
      $0 == node.output ? "output" : $0 == node.inputs.first ? "input" : "other"
    }
    .joined(separator: ",")
  }
  #expect(try reads("conv2d") == "input")
  #expect(try reads("batchnorm") == "input")
  #expect(try reads("dense") == "input")
  // relu, sigmoid and softmax differentiate from their output; gelu needs its input.
  #expect(try reads("relu") == "output")
  #expect(try reads("sigmoid") == "output")
  #expect(try reads("softmax") == "output")
  #expect(try reads("gelu") == "input")
  // Pooling and dropout keep their own index and mask buffers; add and the global pool read nothing.
  #expect(try reads("maxpool") == "")
  #expect(try reads("dropout") == "")
  #expect(try reads("add") == "")
  #expect(try reads("global_avgpool") == "")
}

@Test func fusedNodesKeepTheirBaseInputAndTheActivationOutput() throws {
  let graph = try lowered(convBatchNormReLU)
  let fused = try PassManager.optimize(graph, mode: .training, options: .all)
  let denseReLU = try #require(fused.nodes.first { $0.op.mnemonic == "dense+relu" })
  #expect(denseReLU.valuesReadByBackward == [denseReLU.inputs[0], denseReLU.output])
}

@Test func leakyActivationsWithANegativeSlopeNeedTheirInput() {
  #expect(Activation.leakyRelu(alpha: 0.1).gradientFromOutput)
  #expect(!Activation.leakyRelu(alpha: -0.1).gradientFromOutput)
  #expect(Activation.elu(alpha: 1).gradientFromOutput)
  #expect(!Activation.elu(alpha: -1).gradientFromOutput)
}
