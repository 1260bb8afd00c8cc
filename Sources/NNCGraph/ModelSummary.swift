/// What `nnc check` reports about a model: one row per layer, parameter totals, forward FLOPs and
/// activation memory.
public struct ModelSummary: Sendable {
  public struct Row: Sendable {
    public var name: String
    public var op: String
    public var outputShape: Shape
    public var parameters: Int
    /// Set for a layer frozen by `trainable: false` or `train.freeze`.
    public var isFrozen: Bool = false
  }

  public var name: String
  public var inputShape: Shape
  public var outputShape: Shape
  public var rows: [Row]
  public var parameters: ParameterTotals
  public var batchSize: Int
  /// Forward floating-point operations for one batch.
  public var flops: Int
  /// Bytes of every intermediate value (Float32) for one batch, without any reuse.
  public var activationBytes: Int

  public init(graph: Graph, batchSize: Int) {
    name = graph.name
    inputShape = graph.inputShape
    outputShape = graph.outputShape
    rows = graph.nodes.map { node in
      Row(
        name: node.name, op: node.op.mnemonic, outputShape: graph.shape(of: node.output),
        parameters: node.parameterCount, isFrozen: node.isFrozen)
    }
    parameters = graph.parameterTotals
    self.batchSize = batchSize
    // Lowering bounds the per-sample totals and `check` the batch size, so these saturate only for a
    // batch size given directly past `Limits.batchSize`.
    flops = CheckedArithmetic.saturatingProduct(graph.flopsPerSample, batchSize)
    activationBytes = CheckedArithmetic.saturatingProduct(
      graph.shapes.reduce(0) { $0 + $1.sampleCount }, batchSize, MemoryLayout<Float>.size)
  }
}
