import NNCData
import NNCRuntime

/// Runs samples through a model for `nnc predict`: each sample's scores as `nnc eval --predictions`
/// computes them (class probabilities where the loss computes them, else the raw outputs) and its
/// class by the task's rule, batch by batch with buffers allocated once.
public final class Predictor {
  public let executor: Executor
  public let loss: LossFunction
  public let rule: PredictionRule
  var gradient: [Float]
  var probabilities: [Float]
  var batch = Batch()

  public init(executor: Executor, loss: LossFunction, rule: PredictionRule) {
    self.executor = executor
    self.loss = loss
    self.rule = rule
    let count = executor.maxBatch * executor.outputSampleCount
    gradient = [Float](repeating: 0, count: count)
    probabilities = [Float](repeating: 0, count: count)
  }

  /// The number of scores per sample.
  public var outputs: Int { executor.outputSampleCount }

  /// Whether the scores are probabilities (the loss is a cross entropy) rather than raw outputs.
  public var scoresAreProbabilities: Bool {
    switch loss {
    case .crossEntropy, .binaryCrossEntropy: return true
    case .meanSquaredError: return false
    }
  }

  /// Scores and decisions of `count` samples (at most `executor.maxBatch`) stored one after the other
  /// in `samples`. Decisions are nil for a regression.
  public func predict(_ samples: ArraySlice<Float>, count: Int) throws -> (
    scores: [[Float]], classes: [Int32?]
  ) {
    batch.samples.removeAll(keepingCapacity: true)
    batch.samples.append(contentsOf: samples)
    batch.labels = [Int32](repeating: 0, count: count)
    // The labels are placeholders: only the outputs and probabilities are read, never the loss.
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
      scores.append(row)
      decisions.append(rule.predictedClass(output, sample: sample, classes: classes))
    }
    return (scores, decisions)
  }
}
