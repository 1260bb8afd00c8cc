import NNCSpec
import Testing

@testable import NNCGraph

@Test func eliminateDeadCodeRemovesNodesNotReachingTheOutput() throws {
  var graph = try lowered(
    """
    model:
      input: [4]
      layers:
        - dense: 3
        - relu
        - dense: 2
    """)
  // Make the graph end at the relu: the last dense becomes dead.
  graph.output = graph.nodes[1].output
  let live = EliminateDeadCode().run(graph, mode: .training)
  #expect(mnemonics(live) == ["dense", "relu"])
}
