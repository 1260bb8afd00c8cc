/// Removes nodes whose output never reaches the graph output (a branch left unused, or one orphaned
/// by another pass).
public struct EliminateDeadCode: GraphPass {
  public init() {}
  public var name: String { "eliminate-dead-code" }
  public func applies(to mode: GraphMode) -> Bool { true }

  public func run(_ graph: Graph, mode: GraphMode) -> Graph {
    var live = [Bool](repeating: false, count: graph.shapes.count)
    live[graph.output.index] = true
    var removed = Set<Int>()
    for (index, node) in graph.nodes.enumerated().reversed() {
      guard live[node.output.index] else {
        removed.insert(index)
        continue
      }
      for input in node.inputs { live[input.index] = true }
    }
    return graph.removingNodes(removed)
  }
}
