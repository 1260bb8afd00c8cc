/// Consecutive element-wise ops become one pass over memory: a residual add followed by its
/// activation (ResNet's `add` + `relu`) computes the sum and applies the activation in one loop. The
/// same training condition as `FuseActivations` holds: the backward uses the saved output.
public struct FuseElementwise: GraphPass {
  public init() {}
  public var name: String { "fuse-elementwise" }
  public func applies(to mode: GraphMode) -> Bool { true }

  public func run(_ graph: Graph, mode: GraphMode) -> Graph {
    var graph = graph
    let producers = graph.producers
    let uses = graph.useCounts
    var removed = Set<Int>()
    for (index, node) in graph.nodes.enumerated() {
      guard case .activation(let activation) = node.op, activation.isElementwise, activation != .linear,
        mode == .inference || activation.gradientFromOutput,
        uses[node.inputs[0].index] == 1, let producerIndex = producers[node.inputs[0].index],
        case .add = graph.nodes[producerIndex].op
      else { continue }
      var producer = graph.nodes[producerIndex]
      producer.op = .fused(FusedAttributes(base: .add, activation: activation))
      producer.output = node.output
      producer.fusedNodes.append(node.name)
      graph.nodes[producerIndex] = producer
      removed.insert(index)
    }
    return graph.removingNodes(removed)
  }
}
