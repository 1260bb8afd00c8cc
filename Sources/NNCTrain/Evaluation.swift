import NNCData
import NNCMetrics
import NNCRuntime

/// Loss and accuracy of a model over a whole data set, and optionally every prediction.
public struct EvaluationResult: Sendable {
  public var loss: Double
  /// Not a number for a regression, which decides no classes.
  public var accuracy: Double
  public var samples: Int
  public var labels: [Int32]
  public var predictions: [Int32]
  /// Class probabilities per sample (row-major, `classes` per row) when requested.
  public var probabilities: [Float]
  public var classes: Int
  /// How outputs became the predictions; a regression keeps none.
  public var rule: PredictionRule
}

/// Runs inference over data sets in batches with buffers allocated once.
public final class Evaluator {
  let executor: Executor
  let loss: LossFunction
  let rule: PredictionRule
  var gradient: [Float]
  var probabilities: [Float]

  /// Loader threads reading the samples (`data.workers`).
  let loaderWorkers: Int
  /// Leave unreadable files out (`data.skip_corrupt`), recorded in `skipLog`.
  let skipUnreadable: Bool
  /// The files skipped as unreadable by every evaluation so far.
  public let skipLog = SkipLog()

  public init(
    executor: Executor, loss: LossFunction, rule: PredictionRule, loaderWorkers: Int = 1,
    skipUnreadable: Bool = false
  ) {
    self.loaderWorkers = loaderWorkers
    self.skipUnreadable = skipUnreadable
    self.executor = executor
    self.loss = loss
    self.rule = rule
    let count = executor.maxBatch * executor.outputSampleCount
    gradient = [Float](repeating: 0, count: count)
    probabilities = [Float](repeating: 0, count: count)
  }

  public func evaluate(_ dataset: Dataset, keepPredictions: Bool = false) throws -> EvaluationResult {
    let classes = executor.outputSampleCount
    let loader = try BatchLoader(
      dataset: dataset, batchSize: executor.maxBatch, shuffle: false, seed: 0, prefetch: true,
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
    if keepPredictions { log.reset(reserving: dataset.count, classes: classes) }
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
    result.labels = log.labels
    result.predictions = log.predictions
    result.probabilities = log.probabilities
    result.loss = seen == 0 ? 0 : totalLoss / Double(seen)
    result.accuracy = rule.accuracy(correct: correct, seen: seen)
    return result
  }
}

/// The predictions of the samples seen so far in an epoch, kept only when the spec's metrics need them.
struct PredictionLog {
  var labels: [Int32] = []
  var predictions: [Int32] = []
  var probabilities: [Float] = []

  mutating func reset(reserving samples: Int, classes: Int) {
    labels.removeAll(keepingCapacity: true)
    predictions.removeAll(keepingCapacity: true)
    probabilities.removeAll(keepingCapacity: true)
    labels.reserveCapacity(samples)
    predictions.reserveCapacity(samples)
    probabilities.reserveCapacity(samples * classes)
  }

  /// Counts the batch's correct predictions and, when `keep` is set, appends every sample's label,
  /// prediction and class probabilities. A regression has neither classes nor anything to keep.
  mutating func record(
    _ batch: Batch, output: UnsafeBufferPointer<Float>, probabilities: [Float], classes: Int,
    loss: LossFunction, rule: PredictionRule, keep: Bool
  ) -> Int {
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

  func predictions(classes: Int) -> NNCMetrics.Predictions {
    NNCMetrics.Predictions(
      labels: labels.map(Int.init), predictions: predictions.map(Int.init),
      scores: probabilities.map(Double.init), classes: classes)
  }

  /// Appends a sample's class probabilities (or raw outputs, for losses that compute none) without
  /// allocating.
  static func appendProbabilities(
    _ output: UnsafeBufferPointer<Float>, _ probabilities: [Float], sample: Int, classes: Int,
    loss: LossFunction, to destination: inout [Float]
  ) {
    let row = sample * classes
    switch loss {
    case .crossEntropy(true, _, _), .binaryCrossEntropy(true):
      destination.append(contentsOf: probabilities[row..<(row + classes)])
    default:
      destination.append(contentsOf: output[row..<(row + classes)])
    }
  }
}

extension LossFunction {
  /// Runs a batch forward and evaluates the loss on its labels, writing d(loss)/d(output) into
  /// `gradient` and, where the loss computes them, class probabilities into `probabilities`. Both
  /// buffers hold at least `batch.count` rows and are reused across batches.
  func forward(
    _ batch: Batch, on executor: Executor, training: Bool, gradient: inout [Float],
    probabilities: inout [Float]
  ) throws -> Float {
    let count = batch.count
    let classes = executor.outputSampleCount
    try executor.setInput(batch)
    executor.forward(batch: count, training: training)
    let output = UnsafeBufferPointer(start: executor.output, count: count * classes)
    return try batch.labels.withUnsafeBufferPointer { labels in
      try gradient.withUnsafeMutableBufferPointer { gradient in
        try probabilities.withUnsafeMutableBufferPointer { probabilities in
          try evaluate(
            output: output, batch: count, features: classes, targets: .labels(labels),
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
