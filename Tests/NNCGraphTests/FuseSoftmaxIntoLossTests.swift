import NNCSpec
import Testing

@testable import NNCGraph

@Test func finalSoftmaxFusesIntoTheLossOnlyWhenAsked() throws {
  let graph = try lowered(
    """
    model:
      input: [4]
      layers:
        - dense: 3
        - softmax
    """)
  #expect(mnemonics(try PassManager.optimize(graph, mode: .training)) == ["dense", "softmax"])
  let fused = try PassManager.optimize(
    graph, mode: .training, options: OptimizationOptions(lossTakesLogits: true))
  #expect(mnemonics(fused) == ["dense"])
  #expect(graph.lostFinalSoftmax(in: fused))
  #expect(!graph.lostFinalSoftmax(in: graph))
}
