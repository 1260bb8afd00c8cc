import NNCData
import NNCMetrics
import NNCRuntime

/// Loss and accuracy of a model over a whole data set, and optionally every prediction.
public struct EvaluationResult: Sendable {
  public var loss: Double
  /// Not a number for a regression, which decides no classes; the subset accuracy of a multi-label
  /// task.
  public var accuracy: Double
  public var samples: Int
  public var labels: [Int32]
  public var predictions: [Int32]
  /// Class probabilities per sample (row-major, `classes` per row) when requested.
  public var probabilities: [Float]
  /// The model's output units.
  public var classes: Int
  /// How outputs became the predictions; a regression keeps none.
  public var rule: PredictionRule
  /// Regression and multi-label tasks, when predictions are kept: each sample's targets (in the
  /// data's units, normalization undone) and its outputs (regression values in the data's units, or
  /// label probabilities), `classes` per row.
  public var targets: [Float] = []
  public var outputs: [Float] = []
}

/// Runs inference over data sets in batches with buffers allocated once.
public final class Evaluator {
  let executor: Executor
  let loss: LossFunction
  let rule: PredictionRule
  /// Undone on regression targets and outputs, so predictions and metrics are in the data's units.
  public var targetNormalization: TargetNormalization?
  var gradient: [Float]
  var probabilities: [Float]

  /// Loader threads reading the samples (`data.workers`).
  let loaderWorkers: Int
  /// Leave unreadable files out (`data.skip_corrupt`), recorded in `skipLog`.
  let skipUnreadable: Bool
  /// The files skipped as unreadable by every evaluation so far.
  public let skipLog = SkipLog()
  /// The ranks of a data-parallel run share each evaluation (see `evaluate`).
  let communicator: any Communicator

  public init(
    executor: Executor, loss: LossFunction, rule: PredictionRule,
    targetNormalization: TargetNormalization? = nil, loaderWorkers: Int = 1, skipUnreadable: Bool = false,
    communicator: any Communicator = SingleProcess()
  ) {
    self.communicator = communicator
    self.loaderWorkers = loaderWorkers
    self.skipUnreadable = skipUnreadable
    self.executor = executor
    self.loss = loss
    self.rule = rule
    self.targetNormalization = targetNormalization
    let count = executor.maxBatch * executor.outputSampleCount
    gradient = [Float](repeating: 0, count: count)
    probabilities = [Float](repeating: 0, count: count)
  }

  /// Loss and accuracy over `dataset` and, with `keepPredictions`, every prediction in the data
  /// set's order. In a data-parallel run each rank evaluates a contiguous share of the samples
  /// (`shard`); the sums of loss and correct predictions are reduced and the predictions gathered,
  /// so every rank returns the result of the whole data set (and takes the same decisions on it).
  public func evaluate(_ dataset: Dataset, keepPredictions: Bool = false) throws -> EvaluationResult {
    let classes = executor.outputSampleCount
    try Self.checkTargets(of: dataset, rule: rule, outputs: classes)
    let part =
      communicator.isDistributed
      ? dataset.subset(Array(Self.shard(dataset.count, rank: communicator.rank, ranks: communicator.size)))
      : dataset
    let loader = try BatchLoader(
      dataset: part, batchSize: executor.maxBatch, shuffle: false, seed: 0, prefetch: true,
      workers: loaderWorkers, skipUnreadable: skipUnreadable)
    defer {
      loader.cancel()
      skipLog.record(loader.skipLog.take())
    }
    loader.startEpoch(0)
    var batch = Batch()
    var totalLoss = 0.0
    var correct = 0
    var seen = 0
    var log = PredictionLog()
    if keepPredictions { log.reset(reserving: part.count, classes: classes) }
    var result = EvaluationResult(
      loss: 0, accuracy: 0, samples: dataset.count, labels: [], predictions: [], probabilities: [],
      classes: classes, rule: rule)
    while try loader.next(into: &batch) {
      let count = batch.count
      let batchLoss = try loss.forward(
        batch, on: executor, training: false, gradient: &gradient, probabilities: &probabilities)
      let output = UnsafeBufferPointer(start: executor.output, count: count * classes)
      totalLoss += Double(batchLoss) * Double(count)
      correct += log.record(
        batch, output: output, probabilities: probabilities, classes: classes, loss: loss, rule: rule,
        keep: keepPredictions)
      seen += count
    }
    if communicator.isDistributed {
      var totals = [totalLoss, Double(correct), Double(seen)]
      try communicator.sum(&totals)
      (totalLoss, correct, seen) = (totals[0], Int(totals[1]), Int(totals[2]))
      if keepPredictions {
        // Shards follow each other in rank order: the gathered log is in the data set's order.
        let shards = try communicator.allGather(bytes: log.encoded())
        log = PredictionLog()
        for shard in shards { log.append(try PredictionLog(encoded: shard)) }
      }
    }
    result.labels = log.labels
    result.predictions = log.predictions
    result.probabilities = log.probabilities
    (result.targets, result.outputs) = log.targetsAndOutputs(undoing: targetNormalization, rule: rule)
    result.loss = seen == 0 ? 0 : totalLoss / Double(seen)
    result.accuracy = rule.accuracy(correct: correct, seen: seen)
    return result
  }

  /// Rank `rank`'s samples of `count`: the r-th of `ranks` contiguous parts, which differ by at most
  /// one sample.
  static func shard(_ count: Int, rank: Int, ranks: Int) -> Range<Int> {
    (count * rank / ranks)..<(count * (rank + 1) / ranks)
  }

  /// A regression or multi-label rule needs target rows as wide as the output; a classification
  /// needs class labels. Loading makes them so; this guards the classification-only paths.
  static func checkTargets(of dataset: Dataset, rule: PredictionRule, outputs: Int) throws {
    if rule.readsTargets {
      guard let targets = dataset.targets else {
        throw TrainError(
          "\(dataset.source): the task needs targets per sample, but the data has class labels")
      }
      guard targets.width == outputs else {
        throw TrainError(
          "\(dataset.source): the data has \(targets.width) targets per sample but the model outputs "
            + "\(outputs) units")
      }
    } else if dataset.targets != nil {
      throw TrainError(
        "\(dataset.source): the task decides one class per sample, but the data has target rows")
    }
  }
}

/// The predictions of the samples seen so far in an epoch, kept only when the spec's metrics need them.
struct PredictionLog {
  var labels: [Int32] = []
  var predictions: [Int32] = []
  var probabilities: [Float] = []
  /// Regression and multi-label tasks: target rows, and output rows (values or label probabilities).
  var targets: [Float] = []
  var outputs: [Float] = []
  /// After each batch `endBatch` marked, the five arrays' counts: where a rank's part of each global
  /// batch ends, so the ranks' training logs merge in the order of one process.
  var batchEnds: [Int] = []

  mutating func reset(reserving samples: Int, classes: Int) {
    batchEnds.removeAll(keepingCapacity: true)
    labels.removeAll(keepingCapacity: true)
    predictions.removeAll(keepingCapacity: true)
    probabilities.removeAll(keepingCapacity: true)
    targets.removeAll(keepingCapacity: true)
    outputs.removeAll(keepingCapacity: true)
    labels.reserveCapacity(samples)
    predictions.reserveCapacity(samples)
    probabilities.reserveCapacity(samples * classes)
  }

  /// Counts the batch's correct predictions and, when `keep` is set, appends every sample's label,
  /// prediction and class probabilities — or, for a regression or multi-label task, its targets and
  /// outputs. A multi-label sample is correct when its whole label set is; a regression has no
  /// correct predictions.
  mutating func record(
    _ batch: Batch, output: UnsafeBufferPointer<Float>, probabilities: [Float], classes: Int,
    loss: LossFunction, rule: PredictionRule, keep: Bool
  ) -> Int {
    switch rule {
    case .regression:
      if keep {
        outputs.append(contentsOf: output[0..<(batch.count * classes)])
        targets.append(contentsOf: batch.targets[0..<(batch.count * classes)])
      }
      return 0
    case .multilabel:
      var correct = 0
      for sample in 0..<batch.count {
        var exact = true
        for label in 0..<classes {
          let index = sample * classes + label
          let (probability, predicted) = rule.labelDecision(output[index], label: label)
          if predicted != (batch.targets[index] == 1) { exact = false }
          if keep { outputs.append(probability) }
        }
        if exact { correct += 1 }
      }
      if keep { targets.append(contentsOf: batch.targets[0..<(batch.count * classes)]) }
      return correct
    case .argmax, .threshold:
      var correct = 0
      for sample in 0..<batch.count {
        guard let predicted = rule.predictedClass(output, sample: sample, classes: classes) else { continue }
        if predicted == batch.labels[sample] { correct += 1 }
        if keep {
          labels.append(batch.labels[sample])
          predictions.append(predicted)
          Self.appendProbabilities(
            output, probabilities, sample: sample, classes: classes, loss: loss, to: &self.probabilities)
        }
      }
      return correct
    }
  }

  /// Marks the end of a batch's predictions.
  mutating func endBatch() {
    batchEnds += [labels.count, predictions.count, probabilities.count, targets.count, outputs.count]
  }

  func predictions(classes: Int) -> NNCMetrics.Predictions {
    NNCMetrics.Predictions(
      labels: labels.map(Int.init), predictions: predictions.map(Int.init),
      scores: probabilities.map(Double.init), classes: classes)
  }

  /// The kept targets and outputs, a regression's in the data's units.
  func targetsAndOutputs(undoing normalization: TargetNormalization?, rule: PredictionRule) -> (
    [Float], [Float]
  ) {
    guard rule == .regression, let normalization else { return (targets, outputs) }
    return (normalization.denormalize(targets), normalization.denormalize(outputs))
  }

  /// Appends a sample's class probabilities (or raw outputs, for losses that compute none) without
  /// allocating.
  static func appendProbabilities(
    _ output: UnsafeBufferPointer<Float>, _ probabilities: [Float], sample: Int, classes: Int,
    loss: LossFunction, to destination: inout [Float]
  ) {
    let row = sample * classes
    switch loss {
    case .crossEntropy(true, _, _), .binaryCrossEntropy(true), .weightedBinaryCrossEntropy(true, _):
      destination.append(contentsOf: probabilities[row..<(row + classes)])
    default:
      destination.append(contentsOf: output[row..<(row + classes)])
    }
  }
}

extension Batch {
  /// The batch's targets as a loss reads them: its target rows, or its class labels.
  func withLossTargets<Result>(_ body: (LossTargets) throws -> Result) rethrows -> Result {
    if !targets.isEmpty {
      return try targets.withUnsafeBufferPointer { try body(.values($0)) }
    }
    return try labels.withUnsafeBufferPointer { try body(.labels($0)) }
  }
}

extension LossFunction {
  /// Runs a batch forward and evaluates the loss on its labels or targets, writing d(loss)/d(output)
  /// into `gradient` and, where the loss computes them, class probabilities into `probabilities`.
  /// Both buffers hold at least `batch.count` rows and are reused across batches.
  func forward(
    _ batch: Batch, on executor: Executor, training: Bool, gradient: inout [Float],
    probabilities: inout [Float]
  ) throws -> Float {
    let count = batch.count
    let classes = executor.outputSampleCount
    try executor.setInput(batch)
    executor.forward(batch: count, training: training)
    let output = UnsafeBufferPointer(start: executor.output, count: count * classes)
    return try batch.withLossTargets { targets in
      try gradient.withUnsafeMutableBufferPointer { gradient in
        try probabilities.withUnsafeMutableBufferPointer { probabilities in
          try evaluate(
            output: output, batch: count, features: classes, targets: targets,
            gradient: UnsafeMutableBufferPointer(rebasing: gradient[0..<(count * classes)]),
            probabilities: UnsafeMutableBufferPointer(rebasing: probabilities[0..<(count * classes)]))
        }
      }
    }
  }
}

extension Executor {
  /// Copies a batch's samples into the executor's input.
  func setInput(_ batch: Batch) throws {
    let count = batch.count * inputSampleCount
    guard batch.samples.count >= count else {
      throw TrainError("a batch holds \(batch.samples.count) values where \(count) were expected")
    }
    batch.samples.withUnsafeBufferPointer { input.update(from: $0.baseAddress!, count: count) }
  }
}
