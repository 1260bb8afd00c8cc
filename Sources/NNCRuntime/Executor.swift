import CBLAS
import NNCGraph
import NNCRandom

/// How an `Executor` compiles its graph: for training (forward and backward) or inference only, and
/// which optimizations run (`PassManager`, memory planning).
public struct ExecutionConfiguration: Sendable, Equatable {
  public var mode: GraphMode
  public var optimization: OptimizationOptions
  /// Inference only: prepare each node's derived weights (Winograd transforms, kernels cropped to
  /// their live taps, batchnorm folded into scales or weights) on the first `forward` and reuse them
  /// until `Executor.parametersChanged()`, instead of deriving them again for every batch. For runs
  /// whose weights are fixed once loaded (`nnc eval`, `nnc predict`, `nnc bench`'s inference); costs
  /// one copy of the derived weights.
  public var cachesPreparedWeights: Bool

  public init(
    mode: GraphMode = .training, optimization: OptimizationOptions = .all, cachesPreparedWeights: Bool = false
  ) {
    self.mode = mode
    self.optimization = optimization
    self.cachesPreparedWeights = cachesPreparedWeights && mode == .inference
  }

  public static let training = ExecutionConfiguration(mode: .training)
  public static let inference = ExecutionConfiguration(mode: .inference)
}

/// Runs a graph on the CPU: the forward pass for inference or training, and the backward pass that
/// applies each node's vector-Jacobian product in reverse order, summing the gradients of values
/// with several consumers (residual shortcuts, Inception branches).
///
/// What runs where is decided once by `ExecutionPlanner` (see `ExecutionPlan`): the graph is
/// optimized for the configured mode (fusion, in-place activations, see `PassManager`), then all
/// memory is planned for `maxBatch`: parameters and their gradients in one flat buffer each, laid out
/// from the unoptimized graph so checkpoints do not depend on the optimizations; values and their
/// gradients in one arena at offsets from `MemoryPlanner`, where tensors with disjoint lifetimes
/// share space; kernel scratch shared. The executor owns those buffers and runs the plan's steps.
/// Smaller batches use a prefix of each NCHW tensor. Because of that sharing, only the input, the
/// output and (in training) the output gradient keep their contents between calls.
public final class Executor {
  /// What this executor runs: the optimized graph, its memory and one step per node.
  public let plan: ExecutionPlan
  /// The graph as executed (after optimization).
  public let graph: Graph
  /// The graph as lowered from the spec.
  public let sourceGraph: Graph
  public let configuration: ExecutionConfiguration
  public let maxBatch: Int
  /// Where every value and gradient lives in the activation arena.
  public let memoryPlan: MemoryPlan

  /// Where each parameter lives in `parameters` and, if trainable, in `parameterGradients`.
  public let parameterLayout: [ParameterSlot]
  public let parameterCount: Int
  /// Elements of `parameterGradients`: only trainable parameters have gradients.
  public let trainableParameterCount: Int
  let parameterStore: Arena<Float>
  let gradientStore: Arena<Float>

  let activations: Arena<Float>
  /// The plan's steps, one per node of `graph`.
  let steps: [PlannedStep]
  let valueOffsets: [Int]
  let gradientOffsets: [Int]
  let sampleCounts: [Int]
  /// Shared im2col columns, and a buffer for a gradient contribution that must be added, not written.
  let scratch: Arena<Float>
  let contribution: Arena<Float>
  /// Per node: argmax indices (max pooling), saved batch statistics (batchnorm), dropout masks.
  let indices: Arena<Int32>
  let saved: Arena<Float>
  /// A batchnorm folded into the fused node running now (inference only, so nothing needs it
  /// afterwards): the per-channel scale and shift, after the scaled weights for the kernels that
  /// take the scale in their weights (depthwise, dense). One buffer, the size of the largest; with
  /// `cachesPreparedWeights`, one region per node (its step's `foldedOffset`), kept between batches.
  let folded: Arena<Float>
  /// Whether the prepared weights (`cachesPreparedWeights`) were derived from the parameters as
  /// they are now: set by a `forward`, cleared by `parametersChanged()`.
  var preparedWeightsAreCurrent = false
  /// A depthwise convolution whose step only prepared its operands, for the pointwise step after it
  /// (`PlannedStep.separableDepthwise`), which computes both; set and taken within one forward.
  var pendingDepthwise: PendingDepthwise?
  /// The weights convolutions prepare (a crop to the live taps or a Winograd transform), kept by
  /// forward for backward in training, at their steps' `keptWeightOffset`.
  let keptWeights: Arena<Float>
  /// Per value: whether d(loss)/d(value) is needed (see `ExecutionPlan.needsGradient`).
  let needsGradient: [Bool]
  /// Per node, the pointers a concat reads (built once: no per-step arrays).
  let concatInputs: [[UnsafePointer<Float>]]
  var gradientWritten: [Bool]

  /// When set, `forward` and `backward` add each node's wall-clock time to it.
  public var profile: ExecutionProfile?

  /// Draws dropout masks; saved in checkpoints so a resumed run draws the same ones.
  public var generator: RandomGenerator
  /// Set in a data-parallel run: the batch of a training `forward` is this part of the global
  /// batch, so dropout draws the masks of the global batch's samples at these positions and passes
  /// over the others' (the draws one process makes for the whole batch).
  public var dropoutWindow: DropoutWindow?

  /// Set in a data-parallel run with `train.sync_batchnorm`: sums batchnorm's batch statistics over
  /// the ranks (`BatchNorm.forwardTrainingSynchronized`). Nil normalizes over this process's samples.
  public var batchStatisticsReduction: BatchNorm.Reduction?
  /// Per node, the element count per channel over all ranks of its last synchronized forward.
  var synchronizedTotals: [Double]

  public struct ParameterSlot: Sendable {
    public var info: ParameterInfo
    public var offset: Int
    /// Where the gradient lives in `parameterGradients`; nil for a frozen parameter, which has none.
    public var gradientOffset: Int?
  }

  /// Plans `graph` for `configuration` (`ExecutionPlanner`) and allocates its buffers. A graph from
  /// `Lowering` always optimizes; a pass that breaks the graph's invariants is a bug, and stops here
  /// with its name.
  public convenience init(
    graph: Graph, maxBatch: Int, seed: UInt64 = 0, configuration: ExecutionConfiguration = .training
  ) {
    let plan: ExecutionPlan
    do {
      plan = try ExecutionPlanner.plan(graph: graph, configuration: configuration, maxBatch: maxBatch)
    } catch {
      preconditionFailure("\(error)")
    }
    self.init(plan: plan, seed: seed)
  }

  /// Allocates the buffers `plan` sizes, every element zero.
  public init(plan: ExecutionPlan, seed: UInt64 = 0) {
    self.plan = plan
    graph = plan.graph
    sourceGraph = plan.sourceGraph
    configuration = plan.configuration
    maxBatch = plan.maxBatch
    memoryPlan = plan.memoryPlan
    parameterLayout = plan.parameterLayout
    parameterCount = plan.parameterCount
    trainableParameterCount = plan.trainableParameterCount
    generator = RandomGenerator(seed: seed)
    steps = plan.steps
    needsGradient = plan.needsGradient
    sampleCounts = plan.sampleCounts
    valueOffsets = plan.memoryPlan.valueOffsets.map { $0 ?? -1 }
    gradientOffsets = plan.memoryPlan.gradientOffsets.map { $0 ?? -1 }

    parameterStore = Arena(count: plan.parameterCount, zero: 0)
    gradientStore = Arena(count: plan.trainableParameterCount, zero: 0)
    activations = Arena(count: plan.memoryPlan.arenaElements, zero: 0, hugePages: true)
    let sizes = plan.bufferSizes
    contribution = Arena(count: sizes.contribution, zero: 0)
    scratch = Arena(count: sizes.scratch, zero: 0, hugePages: true)
    indices = Arena(count: sizes.indices, zero: 0)
    saved = Arena(count: sizes.saved, zero: 0)
    folded = Arena(count: sizes.folded, zero: 0)
    keptWeights = Arena(count: sizes.keptWeights, zero: 0)
    gradientWritten = [Bool](repeating: false, count: plan.graph.shapes.count)
    synchronizedTotals = [Double](repeating: 0, count: plan.graph.nodes.count)
    let activationBase = activations.base
    concatInputs = zip(plan.graph.nodes, plan.steps).map { node, step in
      node.op == .concat ? step.inputOffsets.map { UnsafePointer(activationBase + $0) } : []
    }
  }

  // MARK: Buffers

  /// Where convolution node `index` keeps its prepared weights between forward and backward, if it
  /// prepares them and the executor trains.
  /// Tells an executor that caches prepared weights that its parameters changed since its last
  /// `forward`, so the next one derives them again. (Weights written before the first `forward`
  /// need no call.)
  public func parametersChanged() {
    preparedWeightsAreCurrent = false
  }

  func keptWeight(_ index: Int) -> UnsafeMutablePointer<Float>? {
    steps[index].keptWeightOffset.map { keptWeights[$0] }
  }

  public var parameters: UnsafeMutableBufferPointer<Float> {
    UnsafeMutableBufferPointer(start: parameterStore.base, count: parameterCount)
  }

  /// The gradients of the trainable parameters, each at its slot's `gradientOffset`.
  public var parameterGradients: UnsafeMutableBufferPointer<Float> {
    UnsafeMutableBufferPointer(start: gradientStore.base, count: trainableParameterCount)
  }

  public func parameter(_ slot: ParameterSlot) -> UnsafeMutableBufferPointer<Float> {
    UnsafeMutableBufferPointer(start: parameterStore[slot.offset], count: slot.info.count)
  }

  /// A trainable parameter's gradient; a frozen parameter has none.
  public func gradient(_ slot: ParameterSlot) -> UnsafeMutableBufferPointer<Float> {
    guard let offset = slot.gradientOffset else {
      preconditionFailure("\(slot.info.name) is frozen: it has no gradient")
    }
    return UnsafeMutableBufferPointer(start: gradientStore[offset], count: slot.info.count)
  }

  /// A value's buffer. Intermediate values share memory (see `memoryPlan`): read them only right
  /// after the node that writes them, or with memory planning off.
  public func value(_ id: ValueID) -> UnsafeMutablePointer<Float> {
    let offset = valueOffsets[id.index]
    precondition(offset >= 0, "\(id) is not computed by the optimized graph")
    return activations[offset]
  }

  func valueGradient(_ id: ValueID) -> UnsafeMutablePointer<Float> {
    let offset = gradientOffsets[id.index]
    precondition(offset >= 0, "\(id) has no gradient buffer: the executor was built for inference")
    return activations[offset]
  }

  /// Where the caller writes a batch of inputs (`maxBatch` × sample size).
  public var input: UnsafeMutablePointer<Float> { value(graph.input) }
  public var inputSampleCount: Int { sampleCounts[graph.input.index] }

  /// The model's output after `forward`.
  public var output: UnsafeMutablePointer<Float> { value(graph.output) }
  public var outputSampleCount: Int { sampleCounts[graph.output.index] }

  /// Where the caller writes d(loss)/d(output) before `backward`.
  public var outputGradient: UnsafeMutablePointer<Float> { valueGradient(graph.output) }

  /// True when the optimizer removed the model's final softmax for the loss to take logits
  /// (`OptimizationOptions.lossTakesLogits`): `output` then holds logits.
  public var outputIsLogits: Bool { sourceGraph.lostFinalSoftmax(in: graph) }

  /// Bytes of the activation arena (values and their gradients) as planned, and as they would take
  /// with every tensor in a buffer of its own.
  public var plannedActivationBytes: Int { memoryPlan.plannedBytes }

  /// Bytes of every buffer the executor allocated (what `MemoryEstimate` predicts from the plan).
  public var allocatedBytes: Int {
    floatArenas.reduce(indices.allocatedBytes) { $0 + $1.allocatedBytes }
  }

  var floatArenas: [Arena<Float>] {
    [parameterStore, gradientStore, activations, scratch, contribution, saved, folded, keptWeights]
  }

  /// Sets the number of threads every kernel uses, matrix products included (OpenBLAS itself stays
  /// single-threaded; see `Parallel`). The default is one per core.
  public static func setThreads(_ count: Int) {
    Parallel.setThreadCount(count)
  }

  /// The former name of `setThreads`, kept for callers outside this module.
  public static func setBLASThreads(_ count: Int) {
    setThreads(count)
  }

  // MARK: Geometry

  static func convolutionGeometry(_ a: ConvolutionAttributes, _ input: Shape, batch: Int) -> Conv2DGeometry {
    let sample = input.sample
    return Conv2DGeometry(
      batch: batch, inChannels: sample[0], inHeight: sample[1], inWidth: sample[2], outChannels: a.filters,
      kernelHeight: a.kernel.height, kernelWidth: a.kernel.width, strideH: a.stride.height,
      strideW: a.stride.width,
      dilationH: a.dilation.height, dilationW: a.dilation.width, padTop: a.padding.top,
      padBottom: a.padding.bottom,
      padLeft: a.padding.left, padRight: a.padding.right, groups: a.groups)
  }

  static func poolGeometry(_ a: PoolAttributes, _ input: Shape, batch: Int) -> Pool2DGeometry {
    let sample = input.sample
    return Pool2DGeometry(
      batch: batch, channels: sample[0], inHeight: sample[1], inWidth: sample[2], windowH: a.window.height,
      windowW: a.window.width, strideH: a.stride.height, strideW: a.stride.width, padTop: a.padding.top,
      padBottom: a.padding.bottom, padLeft: a.padding.left, padRight: a.padding.right)
  }

  static func activationKind(_ activation: Activation) -> ActivationKind? {
    ActivationKind(activation)
  }

  /// Channels and positions per channel of a [N,C] or [N,C,H,W] value.
  static func channelsAndSpatial(_ shape: Shape) -> (Int, Int) {
    let sample = shape.sample
    return (sample[0], sample.dropFirst().reduce(1, *))
  }

  /// Whether a batchnorm runs on batch statistics: only while training and only if it is not frozen
  /// (a frozen batchnorm keeps its running statistics, as Keras does when fine-tuning).
  func usesBatchStatistics(_ node: Node, training: Bool) -> Bool {
    training && !node.isFrozen
  }
}
