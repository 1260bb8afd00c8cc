import NNCData
import NNCRuntime

/// Runs samples through a model for `nnc predict`: each sample's scores as `nnc eval --predictions`
/// computes them (class probabilities where the loss computes them, else the raw outputs) and its
/// class by the task's rule, batch by batch with buffers allocated once.
public final class Predictor {
  public let executor: Executor
  public let loss: LossFunction
  public let rule: PredictionRule
  /// A regression's `data.normalize_targets` statistics (from the checkpoint): its outputs are
  /// standardized values, printed in the data's units.
  public let targetNormalization: TargetNormalization?
  var gradient: [Float]
  var probabilities: [Float]
  var batch = Batch()

  public init(
    executor: Executor, loss: LossFunction, rule: PredictionRule,
    targetNormalization: TargetNormalization? = nil
  ) {
    self.executor = executor
    self.loss = loss
    self.rule = rule
    self.targetNormalization = targetNormalization
    let count = executor.maxBatch * executor.outputSampleCount
    gradient = [Float](repeating: 0, count: count)
    probabilities = [Float](repeating: 0, count: count)
  }

  /// The number of scores per sample.
  public var outputs: Int { executor.outputSampleCount }

  /// Whether the scores are probabilities (the loss is a cross entropy) rather than raw outputs.
  public var scoresAreProbabilities: Bool {
    switch loss {
    case .crossEntropy, .binaryCrossEntropy, .weightedBinaryCrossEntropy: return true
    case .meanSquaredError, .meanAbsoluteError, .huber: return false
    }
  }

  /// Scores and decisions of `count` samples (at most `executor.maxBatch`) stored one after the other
  /// in `samples`. Decisions are nil for a regression.
  public func predict(_ samples: ArraySlice<Float>, count: Int) throws -> (
    scores: [[Float]], classes: [Int32?]
  ) {
    batch.samples.removeAll(keepingCapacity: true)
    batch.samples.append(contentsOf: samples)
    // Labels and targets are placeholders: only the outputs and probabilities are read, never the loss.
    batch.indices = Array(0..<count)
    switch rule {
    case .argmax, .threshold:
      batch.labels = [Int32](repeating: 0, count: count)
      batch.targets = []
    case .multilabel, .regression:
      batch.labels = []
      batch.targets = [Float](repeating: 0, count: count * outputs)
    }
    _ = try loss.forward(
      batch, on: executor, training: false, gradient: &gradient, probabilities: &probabilities)
    let classes = outputs
    let output = UnsafeBufferPointer(start: executor.output, count: count * classes)
    var scores: [[Float]] = []
    var decisions: [Int32?] = []
    var row: [Float] = []
    for sample in 0..<count {
      row.removeAll(keepingCapacity: true)
      PredictionLog.appendProbabilities(
        output, probabilities, sample: sample, classes: classes, loss: loss, to: &row)
      if case .regression = rule, let targetNormalization, targetNormalization.width == row.count {
        row = targetNormalization.denormalize(row)
      }
      scores.append(row)
      decisions.append(rule.predictedClass(output, sample: sample, classes: classes))
    }
    return (scores, decisions)
  }
}
