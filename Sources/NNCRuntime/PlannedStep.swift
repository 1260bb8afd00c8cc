import NNCGraph

/// What an `Executor` needs to run one node, decided once by `ExecutionPlanner`. Offsets are in
/// elements of the buffer named: values and their gradients in the activation arena, parameters and
/// their gradients in their flat buffers, the rest in the executor's per-node buffers.
public struct PlannedStep: Sendable {
  /// The node's index in the optimized graph.
  public var node: Int
  /// The values the node reads, then the one it writes.
  public var inputOffsets: [Int]
  public var outputOffset: Int
  /// Where backward writes d(loss)/d(input) per input, nil where none is needed, and reads
  /// d(loss)/d(output); nil in inference.
  public var inputGradientOffsets: [Int?]
  public var outputGradientOffset: Int?
  /// The node's parameters by role, and the gradients of its trainable ones.
  public var parameterOffsets: [ParameterRole: Int]
  public var gradientOffsets: [ParameterRole: Int]
  /// Saved batch statistics (batchnorm) or a dropout mask.
  public var savedOffset: Int?
  /// Max pooling's argmax indices.
  public var indexOffset: Int?
  /// Prepared convolution weights forward keeps for backward.
  public var keptWeightOffset: Int?
  /// Where a fused node's folded batchnorm lives in the executor's `folded` buffer: its own region
  /// when the executor caches prepared weights, else nil (the shared start of the buffer).
  public var foldedOffset: Int?
  /// The convolution the node computes, fused or not.
  public var convolution: PlannedConvolution?
  /// A concat's input channel counts, in input order; empty for other nodes.
  public var concatChannels: [Int]
  /// Inference only: the max pooling that reads this convolution's output, computed by the
  /// convolution's kernel on each sample as soon as its planes are written, while they are in cache
  /// (`ExecutionPlanner.fuseMaxPooling`).
  public var pooled: PlannedPool? = nil
  /// This max pooling's output was written by the convolution before it (`pooled`): nothing to do.
  public var isPooledByProducer = false
  /// Inference only: the residual addition that reads this convolution's output, computed in the
  /// convolution's epilogue into the addition's output (`ExecutionPlanner.fuseResidualAdditions`).
  public var residual: PlannedResidual? = nil
  /// This addition's output was written by the convolution before it (`residual`): nothing to do.
  public var isAddedByProducer = false
  /// A batchnorm's: the activation that runs in place on its output, applied to each row as it is
  /// normalized (`ExecutionPlanner.fuseBatchNormActivations`).
  public var activationAfterNormalizing: ActivationKind? = nil
  /// This activation was applied by the batchnorm before it (`activationAfterNormalizing`): nothing
  /// to do forward; its backward runs as ever, from its output.
  public var isActivatedByProducer = false
  /// Inference only: the reorder to channels-last that reads this convolution's output, whose
  /// output the convolution writes channels-last itself (`ExecutionPlanner.fuseChannelsLastOutputs`).
  public var channelsLastOutput: Int? = nil
  /// This reorder's output was written by the convolution before it: nothing to do.
  public var isReorderedByProducer = false
  /// Inference only: the depthwise convolution (a node index) whose output this pointwise
  /// convolution reads, computed by this step a band at a time in cache
  /// (`ExecutionPlanner.fuseSeparableConvolutions`).
  public var separableDepthwise: Int? = nil
  /// This depthwise convolution is computed by the pointwise convolution after it: its step only
  /// prepares its weights.
  public var isComputedByConsumer = false
}

/// A residual addition fused into the convolution before it: the addition node, its other operand
/// (the shortcut) and its activation (linear or ReLU).
public struct PlannedResidual: Sendable, Hashable {
  public var node: Int
  public var shortcut: ValueID
  public var activation: ActivationKind
}

/// A max pooling fused into the convolution that produces its input: the pooling node and its
/// geometry for one sample (the executor sets the batch).
public struct PlannedPool: Sendable, Hashable {
  public var node: Int
  public var geometry: Pool2DGeometry
}

/// A convolution's geometry for one sample (the executor sets the batch of each call) and the
/// algorithm that computes it at every batch size.
public struct PlannedConvolution: Sendable, Hashable {
  public var geometry: Conv2DGeometry
  public var algorithm: ConvolutionAlgorithm
  /// The forward pass's algorithm: `algorithm`, or in training a forward-only kernel whose backward
  /// `algorithm` computes (`ConvolutionAlgorithm.trainingForward(for:)`).
  public var forwardAlgorithm: ConvolutionAlgorithm

  public init(
    geometry: Conv2DGeometry, algorithm: ConvolutionAlgorithm, forwardAlgorithm: ConvolutionAlgorithm? = nil
  ) {
    self.geometry = geometry
    self.algorithm = algorithm
    self.forwardAlgorithm = forwardAlgorithm ?? algorithm
  }

  /// The algorithm, and the forward pass's where it differs (plans and profiles print it).
  public var algorithmDescription: String {
    forwardAlgorithm == algorithm
      ? algorithm.description : "\(forwardAlgorithm.description), backward by \(algorithm.description)"
  }
}
