/// An element-wise activation right after a convolution, dense layer or residual add (its only
/// reader) becomes part of that node: the kernel applies it while the output is still in cache. In
/// training, the fused backward takes the activation's gradient from the saved output, so only
/// activations whose gradient follows from their output fuse there.
public struct FuseActivations: GraphPass {
  public init() {}
  public var name: String { "fuse-activations" }
  public func applies(to mode: GraphMode) -> Bool { true }

  public func run(_ graph: Graph, mode: GraphMode) -> Graph {
    var graph = graph
    let producers = graph.producers
    let uses = graph.useCounts
    var removed = Set<Int>()
    for (index, node) in graph.nodes.enumerated() {
      guard case .activation(let activation) = node.op, activation.isElementwise, activation != .linear,
        mode == .inference || activation.gradientFromOutput,
        uses[node.inputs[0].index] == 1, let producerIndex = producers[node.inputs[0].index]
      else { continue }
      var producer = graph.nodes[producerIndex]
      switch producer.op {
      case .convolution(let attributes):
        producer.op = .fused(FusedAttributes(base: .convolution(attributes), activation: activation))
      case .dense(let attributes):
        producer.op = .fused(FusedAttributes(base: .dense(attributes), activation: activation))
      case .fused(var attributes) where attributes.activation == .linear && attributes.base != .add:
        attributes.activation = activation
        producer.op = .fused(attributes)
      default:
        continue
      }
      producer.output = node.output
      producer.fusedNodes.append(node.name)
      graph.nodes[producerIndex] = producer
      removed.insert(index)
    }
    return graph.removingNodes(removed)
  }
}
