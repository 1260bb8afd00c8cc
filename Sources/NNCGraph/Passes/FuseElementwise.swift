/// Consecutive element-wise ops become one pass over memory: a residual add followed by its
/// activation (ResNet's `add` + `relu`) computes the sum and applies the activation in one loop. The
/// same training condition as `FuseActivations` holds: the backward uses the saved output.
public struct FuseElementwise: GraphPass {
  public init() {}
  public var name: String { "fuse-elementwise" }
  public func applies(to mode: GraphMode) -> Bool { true }

  public func run(_ graph: Graph, mode: GraphMode) -> Graph {
    graph.absorbingIntoProducers { node, producer in
      guard case .activation(let activation) = node.op, activation.isElementwise, activation != .linear,
        mode == .inference || activation.gradientFromOutput, case .add = producer.op
      else { return nil }
      return .fused(FusedAttributes(base: .add, activation: activation))
    }
  }
}
