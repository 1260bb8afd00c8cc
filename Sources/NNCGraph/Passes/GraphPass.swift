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

  /// The rewrite every fusion shares: a single-input node whose input has no other reader is
  /// absorbed into the node producing that input. `fuse` returns the producer's new op, or nil to
  /// leave the pair alone; the producer then writes the absorbed node's output, takes over its
  /// parameters under their names, and records it in `fusedNodes`.
  func absorbingIntoProducers(_ fuse: (_ node: Node, _ producer: Node) -> Op?) -> Graph {
    var graph = self
    let producers = graph.producers
    let uses = graph.useCounts
    var removed = Set<Int>()
    for (index, node) in graph.nodes.enumerated() {
      guard node.inputs.count == 1, uses[node.inputs[0].index] == 1,
        let producerIndex = producers[node.inputs[0].index]
      else { continue }
      var producer = graph.nodes[producerIndex]
      guard let op = fuse(node, producer) else { continue }
      producer.op = op
      producer.output = node.output
      producer.parameters += node.parameters
      producer.fusedNodes.append(node.name)
      graph.nodes[producerIndex] = producer
      removed.insert(index)
    }
    return graph.removingNodes(removed)
  }
}
