import Dispatch
import NNCGraph
import NNCRuntime

/// One optimization step on the executor's input: forward, loss, zeroed gradients, backward, gradient
/// clipping (`train.clip_norm`) and the optimizer step with the per-layer learning-rate multipliers
/// (`train.lr_multipliers`). `Trainer` and `nnc bench` both run it, so bench times the step training
/// takes.
public struct TrainingStep {
  public let executor: Executor
  public let loss: LossFunction
  public var optimizer: any Optimizer
  public let clipNorm: Float?
  /// Parameters the optimizer updates, in graph order.
  public let trainable: [Executor.ParameterSlot]
  let parameterBuffers: [UnsafeMutableBufferPointer<Float>]
  let gradientBuffers: [UnsafeMutableBufferPointer<Float>]
  /// d(loss)/d(output) of the last `forwardLoss`, one row per sample.
  var outputGradient: [Float]
  /// The class probabilities of the last `forwardLoss`, where the loss computes them.
  public private(set) var probabilities: [Float]
  /// When set, collects the seconds spent outside the executor (loss, zeroing, update).
  public var profile: StepProfile?
  /// In a data-parallel run, averages the gradients over the ranks between backward and the update.
  public var averager: GradientAverager?

  /// The step of `phase` (see `PhasePlan`): its optimizer over the executor's trainable parameters,
  /// weight decay on weights only, and the configuration's loss, clipping and multipliers.
  public init(executor: Executor, configuration: TrainingConfiguration, phase: Int = 0) throws {
    self.executor = executor
    loss = RunComponents.loss(configuration.loss, outputIsLogits: executor.outputIsLogits)
    clipNorm = configuration.clipNorm.map(Float.init)
    trainable = executor.parameterLayout.filter { $0.info.trainable }
    var optimizer = try RunComponents.optimizer(PhasePlan.optimizerSettings(phase: phase, configuration))
    // Weight decay applies to weights, not to biases or normalization parameters.
    optimizer.decayMask = trainable.map { $0.info.role == .weight }
    let multipliers = configuration.learningRateMultipliers
    if !multipliers.isEmpty {
      optimizer.learningRateScales = trainable.map { slot in
        Float(Self.multiplier(multipliers, tensor: slot.info.name) ?? 1)
      }
    }
    let decayMultipliers = configuration.decayMultipliers
    if !decayMultipliers.isEmpty {
      optimizer.decayScales = trainable.map { slot in
        // Unmatched parameters keep the default: weights decay, the rest do not.
        Float(
          Self.multiplier(decayMultipliers, tensor: slot.info.name) ?? (slot.info.role == .weight ? 1 : 0))
      }
    }
    self.optimizer = optimizer
    parameterBuffers = trainable.map { executor.parameter($0) }
    gradientBuffers = trainable.map { executor.gradient($0) }
    outputGradient = [Float](repeating: 0, count: executor.maxBatch * executor.outputSampleCount)
    probabilities = outputGradient
  }

  /// The factor of the first pattern that matches: a pattern with '.' against the tensor's name
  /// (`conv1.bias`, Caffe's per-blob `lr_mult`), any other against its layer's name.
  static func multiplier(_ patterns: [(pattern: String, factor: Double)], tensor: String) -> Double? {
    let layer = String(tensor[..<(tensor.lastIndex(of: ".") ?? tensor.endIndex)])
    return patterns.first { NamePattern.matches($0.pattern, $0.pattern.contains(".") ? tensor : layer) }?
      .factor
  }

  /// Runs the first `batch` samples of the executor's input forward and evaluates the loss against
  /// `targets`, keeping d(loss)/d(output) for `update`. Returns the batch's mean loss.
  public mutating func forwardLoss(batch: Int, targets: LossTargets) throws -> Float {
    executor.forward(batch: batch, training: true)
    let start = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
    defer { profile?.add(\.lossSeconds, since: start) }
    let classes = executor.outputSampleCount
    let count = batch * classes
    let output = UnsafeBufferPointer(start: executor.output, count: count)
    let loss = self.loss
    return try outputGradient.withUnsafeMutableBufferPointer { gradient in
      try probabilities.withUnsafeMutableBufferPointer { probabilities in
        try loss.evaluate(
          output: output, batch: batch, features: classes, targets: targets,
          gradient: UnsafeMutableBufferPointer(rebasing: gradient[0..<count]),
          probabilities: UnsafeMutableBufferPointer(rebasing: probabilities[0..<count]))
      }
    }
  }

  /// Back-propagates the last loss, clips the gradients and takes the optimizer step at
  /// `learningRate` (times each parameter's multiplier). With an `averager`, `share` is this rank's
  /// part of the global batch (its samples over the global batch's), and a rank with no samples
  /// (`batch` 0, in a last batch smaller than the number of ranks) contributes zero gradients.
  /// An averager that overlaps backward starts each bucket's all-reduce as backward finishes it.
  public mutating func update(batch: Int, learningRate: Float, share: Float = 1) throws {
    var start = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
    executor.zeroParameterGradients()
    profile?.add(\.zeroSeconds, since: start)
    averager?.beginStep(share: share)
    if batch > 0 {
      let count = batch * executor.outputSampleCount
      outputGradient.withUnsafeBufferPointer {
        executor.outputGradient.update(from: $0.baseAddress!, count: count)
      }
      if let averager, averager.overlapsBackward {
        executor.backward(batch: batch) { averager.backwardLeft(node: $0) }
      } else {
        executor.backward(batch: batch)
      }
    }
    start = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
    defer { profile?.add(\.updateSeconds, since: start) }
    try averager?.finishStep()
    if let clipNorm {
      _ = clipGradients(gradientBuffers, maxNorm: clipNorm)
    }
    try optimizer.step(parameters: parameterBuffers, gradients: gradientBuffers, learningRate: learningRate)
  }

  /// `forwardLoss` then `update`; returns the loss.
  @discardableResult
  public mutating func run(batch: Int, targets: LossTargets, learningRate: Float, share: Float = 1) throws
    -> Float
  {
    let value = try forwardLoss(batch: batch, targets: targets)
    try update(batch: batch, learningRate: learningRate, share: share)
    return value
  }
}

/// Where a training step's time goes outside the executor: the loss, zeroing the gradients, and the
/// update (clipping and the optimizer step).
public final class StepProfile {
  public var lossSeconds = 0.0
  public var zeroSeconds = 0.0
  public var updateSeconds = 0.0

  public init() {}

  public func reset() {
    lossSeconds = 0
    zeroSeconds = 0
    updateSeconds = 0
  }

  func add(_ phase: ReferenceWritableKeyPath<StepProfile, Double>, since start: UInt64) {
    self[keyPath: phase] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  }
}
