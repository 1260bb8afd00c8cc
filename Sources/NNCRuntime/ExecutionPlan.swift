import NNCGraph

/// Everything an `Executor` decides before it runs: the optimized graph, where every value, gradient
/// and parameter lives, and one step per node with its buffers and, for a convolution, the algorithm
/// that computes it. Built by `ExecutionPlanner` without allocating anything; `nnc check --emit plan`
/// prints it.
public struct ExecutionPlan: Sendable {
  /// The graph as lowered from the spec.
  public let sourceGraph: Graph
  /// The graph as executed (after optimization).
  public let graph: Graph
  public let configuration: ExecutionConfiguration
  public let maxBatch: Int
  /// Where every value and gradient lives in the activation arena.
  public let memoryPlan: MemoryPlan
  /// Where each parameter lives in the parameters and, if trainable, in their gradients.
  public let parameterLayout: [Executor.ParameterSlot]
  public let parameterCount: Int
  /// Elements of the parameter gradients: only trainable parameters have gradients.
  public let trainableParameterCount: Int
  /// Per value: whether d(loss)/d(value) is needed, i.e. whether the value depends on a trainable
  /// parameter. Backward stops where it is not (the frozen base of a fine-tuned model).
  public let needsGradient: [Bool]
  /// Per value: elements of one sample.
  public let sampleCounts: [Int]
  /// One per node of `graph`, in order.
  public internal(set) var steps: [PlannedStep]
  /// Elements of each of the executor's other buffers.
  public let bufferSizes: BufferSizes

  /// Elements of the buffers besides the activation arena and the parameters.
  public struct BufferSizes: Sendable, Equatable {
    /// Kernel scratch (im2col columns, Winograd transforms, LRN gradient products), shared by every node.
    public var scratch: Int
    /// A gradient contribution that must be added, not written (a value with several consumers).
    public var contribution: Int
    /// Argmax indices of max pooling.
    public var indices: Int
    /// Saved batch statistics (batchnorm) and dropout masks.
    public var saved: Int
    /// A folded batchnorm's scale and shift, after the scaled weights if the kernel takes them so.
    public var folded: Int
    /// Prepared convolution weights forward keeps for backward (training only).
    public var keptWeights: Int
  }

  init(
    sourceGraph: Graph, graph: Graph, configuration: ExecutionConfiguration, maxBatch: Int,
    memoryPlan: MemoryPlan, parameterLayout: [Executor.ParameterSlot], parameterCount: Int,
    trainableParameterCount: Int, needsGradient: [Bool], steps: [PlannedStep], bufferSizes: BufferSizes
  ) {
    self.sourceGraph = sourceGraph
    self.graph = graph
    self.configuration = configuration
    self.maxBatch = maxBatch
    self.memoryPlan = memoryPlan
    self.parameterLayout = parameterLayout
    self.parameterCount = parameterCount
    self.trainableParameterCount = trainableParameterCount
    self.needsGradient = needsGradient
    sampleCounts = graph.shapes.map(\.sampleCount)
    self.steps = steps
    self.bufferSizes = bufferSizes
  }
}
