import NNCGraph
import NNCRandom
import NNCRuntime

/// The training step of `nnc bench`: the `TrainingStep` training takes (loss, clipping,
/// multipliers, optimizer of the spec), on random weights, inputs and targets.
public final class TrainingBenchmark {
  public let batch: Int
  public var step: TrainingStep
  public var executor: Executor { step.executor }
  let labels: [Int32]
  let values: [Float]
  let targetsAreValues: Bool

  /// In a data-parallel bench, this rank's part of the global batch (1 / ranks).
  let share: Float

  /// `optimization` selects the executor's passes; the softmax fuses into the loss as in training.
  /// Under mpirun (`communicator` of several ranks), `batch` is this rank's part of the global
  /// batch, and each step averages the gradients over the ranks as training does (with
  /// `train.sync_batchnorm`, the batchnorms' statistics too).
  public init(
    graph: Graph, configuration: TrainingConfiguration, batch: Int, optimization: OptimizationOptions,
    communicator: any Communicator = SingleProcess()
  ) throws {
    var options = optimization
    options.lossTakesLogits = RunComponents.lossTakesLogits(configuration.loss)
    let executor = Executor(
      graph: PhasePlan.graph(graph, phase: 0, configuration), maxBatch: batch, seed: 1,
      configuration: ExecutionConfiguration(mode: .training, optimization: options))
    var generator = RandomGenerator(seed: 1)
    try Self.initialize(executor, generator: &generator)
    Self.fillInput(executor, batch: batch, generator: &generator)
    let classes = executor.outputSampleCount
    labels = (0..<batch).map { _ in Int32(generator.next() % UInt64(max(classes, 2))) }
    // Training reads target rows for a regression (any values) and a multi-label task (0 or 1 each),
    // class labels otherwise.
    let task = PredictionRule.task(of: configuration, graph: graph)
    values = (0..<(batch * classes)).map { _ in
      let value = generator.nextUniform()
      return task == .multilabel ? (value < 0.5 ? 0 : 1) : value
    }
    targetsAreValues = task == .regression || task == .multilabel
    self.batch = batch
    step = try TrainingStep(executor: executor, configuration: configuration)
    share = 1 / Float(communicator.size)
    if communicator.isDistributed {
      step.averager = GradientAverager(
        communicator: communicator, bucketBytes: Int(configuration.allreduceBucketMB * 1_048_576),
        executor: executor,
        overlapsBackward: try configuration.allreduceOverlap ?? communicator.ranksSpanMachines())
      // Dropout draws the masks of the whole global batch, as training does.
      executor.dropoutWindow = DropoutWindow(
        offset: communicator.rank * batch, total: communicator.size * batch)
      if configuration.syncBatchNorm {
        executor.batchStatisticsReduction = communicator.batchStatisticsReduction()
      }
    }
  }

  /// One full training step. The default rate is tiny so that the weights (and so the work per
  /// step) stay essentially unchanged while timing.
  public func run(learningRate: Float = 1e-6) throws {
    let (batch, share) = (self.batch, self.share)
    if targetsAreValues {
      _ = try values.withUnsafeBufferPointer {
        try step.run(batch: batch, targets: .values($0), learningRate: learningRate, share: share)
      }
    } else {
      _ = try labels.withUnsafeBufferPointer {
        try step.run(batch: batch, targets: .labels($0), learningRate: learningRate, share: share)
      }
    }
  }

  /// Random parameters from their initializers; running variances positive, so that inference
  /// through batchnorm is well defined.
  public static func initialize(_ executor: Executor, generator: inout RandomGenerator) throws {
    for slot in executor.parameterLayout {
      let buffer = executor.parameter(slot)
      if slot.info.role == .runningVariance {
        for index in buffer.indices { buffer[index] = generator.nextUniform(0.5, 1.5) }
      } else {
        try RunComponents.initializer(slot.info.initializer).fill(
          buffer, fanIn: slot.info.fanIn, fanOut: slot.info.fanOut, generator: &generator)
      }
    }
  }

  /// Uniform random inputs for `batch` samples.
  public static func fillInput(_ executor: Executor, batch: Int, generator: inout RandomGenerator) {
    for index in 0..<(batch * executor.inputSampleCount) { executor.input[index] = generator.nextUniform() }
  }
}
