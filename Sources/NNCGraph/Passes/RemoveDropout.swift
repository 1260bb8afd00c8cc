/// Dropout is the identity at inference (inverted dropout scales while training), and so is a
/// dropout of rate 0 while training: such nodes are removed and their readers read the input.
public struct RemoveDropout: GraphPass {
  public init() {}
  public var name: String { "remove-dropout" }
  public func applies(to mode: GraphMode) -> Bool { true }

  public func run(_ graph: Graph, mode: GraphMode) -> Graph {
    var graph = graph
    var removed = Set<Int>()
    for (index, node) in graph.nodes.enumerated() {
      guard case .dropout(let rate) = node.op, mode == .inference || rate == 0 else { continue }
      graph.replaceUses(of: node.output, with: node.inputs[0])
      removed.insert(index)
    }
    return graph.removingNodes(removed)
  }
}
