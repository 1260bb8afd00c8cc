/// `flatten` only reinterprets an NCHW tensor as [N, C·H·W]: the same bytes. Marked in place, its
/// output shares its input's buffer and the copy disappears.
public struct MakeFlattenViews: GraphPass {
  public init() {}
  public var name: String { "make-flatten-views" }
  public func applies(to mode: GraphMode) -> Bool { true }

  public func run(_ graph: Graph, mode: GraphMode) -> Graph {
    var graph = graph
    for index in graph.nodes.indices where graph.nodes[index].op == .flatten {
      graph.nodes[index].inPlace = true
    }
    return graph
  }
}
