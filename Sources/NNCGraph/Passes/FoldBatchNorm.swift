/// At inference a batchnorm is an affine map per channel with fixed statistics, so it folds into the
/// preceding convolution or dense layer: w' = w·s, b' = (b − mean)·s + beta with s = gamma/√(var + ε).
/// The fused node keeps both layers' parameters; the runtime computes w' and b' from them, so
/// checkpoints keep their names. Training needs batch statistics, so the pass is inference-only.
public struct FoldBatchNorm: GraphPass {
  public init() {}
  public var name: String { "fold-batchnorm" }
  public func applies(to mode: GraphMode) -> Bool { mode == .inference }

  public func run(_ graph: Graph, mode: GraphMode) -> Graph {
    var graph = graph
    let producers = graph.producers
    let uses = graph.useCounts
    var removed = Set<Int>()
    for (index, node) in graph.nodes.enumerated() {
      guard case .batchNorm(let batchNorm) = node.op, uses[node.inputs[0].index] == 1,
        let producerIndex = producers[node.inputs[0].index]
      else { continue }
      var producer = graph.nodes[producerIndex]
      switch producer.op {
      case .convolution(let attributes):
        producer.op = .fused(FusedAttributes(base: .convolution(attributes), batchNorm: batchNorm))
      case .dense(let attributes):
        producer.op = .fused(FusedAttributes(base: .dense(attributes), batchNorm: batchNorm))
      default:
        continue
      }
      producer.output = node.output
      producer.parameters += node.parameters
      producer.fusedNodes.append(node.name)
      graph.nodes[producerIndex] = producer
      removed.insert(index)
    }
    return graph.removingNodes(removed)
  }
}
