import NNCSpec
import Testing

@testable import NNCGraph

@Test func fuseElementwiseMergesResidualAddAndActivation() throws {
  let graph = try lowered(
    """
    model:
      input: [2, 4, 4]
      layers:
        - conv2d: {filters: 2, kernel: 3, padding: same}
        - residual:
            layers:
              - conv2d: {filters: 2, kernel: 3, padding: same}
        - relu
        - global_avgpool
    """)
  let fused = FuseElementwise().run(graph, mode: .training)
  #expect(mnemonics(fused) == ["conv2d", "conv2d", "add+relu", "global_avgpool"])
  #expect(fused.nodes[2].fusedNodes == ["relu"])
  try GraphVerifier.verify(fused, mode: .training, after: "test")
}
