/// What a graph is compiled for. Training keeps everything the backward pass needs (batchnorm with
/// batch statistics, dropout, activations' inputs or outputs); inference may fold and drop more.
public enum GraphMode: String, Sendable, CaseIterable {
  case training
  case inference
}

/// One rewrite of the graph, run by `PassManager`. A pass returns a new graph and never changes the
/// parameters a graph has (names, shapes, order within a node): checkpoints must load into optimized
/// and unoptimized graphs alike. Dead-code elimination is the one pass that may drop nodes, and with
/// them their parameters; the runtime lays parameters out from the unoptimized graph.
public protocol GraphPass: Sendable {
  /// The name `--disable-pass` takes, in kebab case (`fuse-activations`).
  var name: String { get }
  /// Whether the pass is valid for graphs compiled for `mode`.
  func applies(to mode: GraphMode) -> Bool
  func run(_ graph: Graph, mode: GraphMode) -> Graph
}

extension Graph {
  /// How many times each value is read: by nodes, plus one for the graph output (which the caller
  /// reads), so a value with one use feeds exactly one node and is not the result.
  public var useCounts: [Int] {
    var counts = [Int](repeating: 0, count: shapes.count)
    for node in nodes {
      for input in node.inputs { counts[input.index] += 1 }
    }
    counts[output.index] += 1
    return counts
  }

  /// Points every read of `old` (and the graph output, if it is `old`) at `new`.
  mutating func replaceUses(of old: ValueID, with new: ValueID) {
    for index in nodes.indices {
      nodes[index].inputs = nodes[index].inputs.map { $0 == old ? new : $0 }
    }
    if output == old { output = new }
  }

  /// The graph without the nodes at `indices`.
  func removingNodes(_ indices: Set<Int>) -> Graph {
    var graph = self
    graph.nodes = nodes.enumerated().filter { !indices.contains($0.offset) }.map(\.element)
    return graph
  }
}
