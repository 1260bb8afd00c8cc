/// An element-wise activation right after a convolution, dense layer or residual add (its only
/// reader) becomes part of that node: the kernel applies it while the output is still in cache. In
/// training, the fused backward takes the activation's gradient from the saved output, so only
/// activations whose gradient follows from their output fuse there.
public struct FuseActivations: GraphPass {
  public init() {}
  public var name: String { "fuse-activations" }
  public func applies(to mode: GraphMode) -> Bool { true }

  public func run(_ graph: Graph, mode: GraphMode) -> Graph {
    graph.absorbingIntoProducers { node, producer in
      guard case .activation(let activation) = node.op, activation.isElementwise, activation != .linear,
        mode == .inference || activation.gradientFromOutput
      else { return nil }
      switch producer.op {
      case .convolution(let attributes):
        return .fused(FusedAttributes(base: .convolution(attributes), activation: activation))
      case .dense(let attributes):
        return .fused(FusedAttributes(base: .dense(attributes), activation: activation))
      case .fused(var attributes) where attributes.activation == .linear && attributes.base != .add:
        attributes.activation = activation
        return .fused(attributes)
      case .input, .pool, .globalPool, .flatten, .dropout, .batchNorm, .activation, .add, .concat,
        .zeroPadding,
        .upsample, .lrn, .fused, .reorder:
        return nil
      }
    }
  }
}
