/// At inference a batchnorm is an affine map per channel with fixed statistics, so it folds into the
/// preceding convolution or dense layer: w' = w·s, b' = (b − mean)·s + beta with s = gamma/√(var + ε).
/// The fused node keeps both layers' parameters; the runtime computes w' and b' from them, so
/// checkpoints keep their names. Training needs batch statistics, so the pass is inference-only.
public struct FoldBatchNorm: GraphPass {
  public init() {}
  public var name: String { "fold-batchnorm" }
  public func applies(to mode: GraphMode) -> Bool { mode == .inference }

  public func run(_ graph: Graph, mode: GraphMode) -> Graph {
    graph.absorbingIntoProducers { node, producer in
      guard case .batchNorm(let batchNorm) = node.op else { return nil }
      switch producer.op {
      case .convolution(let attributes):
        return .fused(FusedAttributes(base: .convolution(attributes), batchNorm: batchNorm))
      case .dense(let attributes):
        return .fused(FusedAttributes(base: .dense(attributes), batchNorm: batchNorm))
      case .input, .pool, .globalPool, .flatten, .dropout, .batchNorm, .activation, .add, .concat,
        .zeroPadding,
        .upsample, .lrn, .fused, .reorder:
        return nil
      }
    }
  }
}
