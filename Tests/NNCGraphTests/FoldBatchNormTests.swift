import NNCSpec
import Testing

@testable import NNCGraph

@Test func foldBatchNormOnlyAtInferenceAndKeepsParameterNames() throws {
  let graph = try lowered(convBatchNormReLU)
  #expect(FoldBatchNorm().applies(to: .inference))
  #expect(!FoldBatchNorm().applies(to: .training))
  let folded = FoldBatchNorm().run(graph, mode: .inference)
  #expect(mnemonics(folded) == ["conv2d+batchnorm", "relu", "dropout", "flatten", "dense", "relu", "dense"])
  #expect(parameterNames(folded) == parameterNames(graph))
  #expect(folded.nodes[0].fusedNodes == ["batchnorm"])
  #expect(folded.nodes[0].output == graph.nodes[1].output)
  try GraphVerifier.verify(folded, mode: .inference, after: "test")
  // Verifying the folded graph as a training graph must fail: training needs batch statistics.
  #expect(throws: PassError.self) { try GraphVerifier.verify(folded, mode: .training, after: "test") }
}
