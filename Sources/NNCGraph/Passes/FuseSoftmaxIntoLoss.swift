/// A model that ends in softmax, trained with cross-entropy on probabilities, computes
/// −log(softmax(z)) in two steps: a logarithm of probabilities that may underflow, then the softmax's
/// Jacobian. Removing the final softmax lets the loss take the logits and use the stable fused form
/// (log-sum-exp, gradient p − y). The runtime reports that its output became logits
/// (`Executor.outputIsLogits`), and the trainer then switches the loss to logits. Runs only when
/// the caller says the loss can take logits (`OptimizationOptions.lossTakesLogits`).
public struct FuseSoftmaxIntoLoss: GraphPass {
  public var lossTakesLogits: Bool

  public init(lossTakesLogits: Bool = false) { self.lossTakesLogits = lossTakesLogits }
  public var name: String { "fuse-softmax-cross-entropy" }
  public func applies(to mode: GraphMode) -> Bool { lossTakesLogits }

  public func run(_ graph: Graph, mode: GraphMode) -> Graph {
    guard let last = graph.nodes.indices.last(where: { graph.nodes[$0].output == graph.output }),
      case .activation(.softmax) = graph.nodes[last].op, graph.shape(of: graph.output).rank == 2,
      graph.useCounts[graph.output.index] == 1
    else { return graph }
    var graph = graph
    graph.output = graph.nodes[last].inputs[0]
    return graph.removingNodes([last])
  }
}

extension Graph {
  /// True when `optimized` is this graph with its final softmax removed by `FuseSoftmaxIntoLoss`.
  public func lostFinalSoftmax(in optimized: Graph) -> Bool {
    guard let last = nodes.last(where: { $0.output == output }), case .activation(.softmax) = last.op else {
      return false
    }
    return optimized.output == last.inputs[0]
  }
}
