import NNCGraph
import NNCSpec

/// How a model's outputs become decisions per sample, by the task: the arg-max of K scores, the
/// probability of class 1 against a threshold, each label's probability against its threshold, or no
/// decision at all for a regression.
public enum PredictionRule: Sendable, Equatable {
  /// The class of the largest output (a single output: class 1 when positive).
  case argmax
  /// One output: class 1 when its probability is at least `threshold`; `outputIsLogit` when the
  /// output is a logit (the loss applies the sigmoid), else it is the probability itself.
  case threshold(Double, outputIsLogit: Bool)
  /// K outputs, each an independent yes/no: label k is predicted when its probability reaches
  /// `thresholds[k]` (a single threshold serves every label).
  case multilabel(thresholds: [Double], outputIsLogit: Bool)
  /// Real-valued outputs: nothing to decide and no accuracy.
  case regression

  /// The rule of `task` for outputs that `loss` reads; `threshold` serves a binary task and every
  /// label of a multi-label one.
  public init(task: TaskKind, loss: LossFunction, threshold: Double) {
    self.init(task: task, loss: loss, thresholds: [threshold])
  }

  /// The rule of `task` for outputs that `loss` reads, with one threshold or one per label.
  public init(task: TaskKind, loss: LossFunction, thresholds: [Double]) {
    switch task {
    case .classification: self = .argmax
    case .regression: self = .regression
    case .binary: self = .threshold(thresholds.first ?? 0.5, outputIsLogit: loss.appliesSigmoid)
    case .multilabel: self = .multilabel(thresholds: thresholds, outputIsLogit: loss.appliesSigmoid)
    }
  }

  /// The task of a configuration's model: `data.task` when stated, else inferred from the data's
  /// target keys, the loss and the graph's output units.
  public static func task(of configuration: TrainingConfiguration, graph: Graph) -> TaskKind {
    let data = configuration.data
    let dataTargets: TaskKind? =
      data?.targetColumns != nil
      ? .regression : data?.labelColumns != nil || data?.labelLists == true ? .multilabel : nil
    return data?.task
      ?? TaskKind.inferred(
        loss: configuration.loss.kind, outputUnits: graph.outputShape.sampleCount,
        declaresClasses: data?.classes != nil || data?.classesSubset != nil, dataTargets: dataTargets)
  }

  /// The rule for a configuration's model evaluated with `loss`; `threshold` overrides the spec's.
  public static func of(
    _ configuration: TrainingConfiguration, graph: Graph, loss: LossFunction, threshold: Double? = nil
  ) -> PredictionRule {
    PredictionRule(
      task: task(of: configuration, graph: graph), loss: loss,
      thresholds: threshold.map { [$0] } ?? configuration.thresholds)
  }

  /// Whether the rule decides one class per sample (so a confusion matrix, class counts and the
  /// classification report exist).
  public var decidesClasses: Bool {
    switch self {
    case .argmax, .threshold: true
    case .multilabel, .regression: false
    }
  }

  /// Whether predictions are compared with per-sample target rows (`Dataset.targets`) instead of
  /// one class label.
  public var readsTargets: Bool { !decidesClasses }

  /// The fraction of correct decisions (for a multi-label task, of samples whose whole label set is
  /// right); not a number for a regression, which makes none.
  func accuracy(correct: Int, seen: Int) -> Double {
    guard self != .regression else { return .nan }
    return seen == 0 ? 0 : Double(correct) / Double(seen)
  }

  /// The class of one sample's outputs; nil unless the rule decides one class per sample.
  func predictedClass(_ output: UnsafeBufferPointer<Float>, sample: Int, classes: Int) -> Int32? {
    let row = sample * classes
    switch self {
    case .regression, .multilabel:
      return nil
    case .threshold(let threshold, let outputIsLogit):
      let probability = outputIsLogit ? Losses.sigmoid(output[row]) : output[row]
      return Double(probability) >= threshold ? 1 : 0
    case .argmax:
      if classes == 1 { return output[row] > 0 ? 1 : 0 }
      var best = 0
      for index in 1..<classes where output[row + index] > output[row + best] { best = index }
      return Int32(best)
    }
  }

  /// Label `label`'s probability in a multi-label output row and whether it is predicted.
  func labelDecision(_ output: Float, label: Int) -> (probability: Float, predicted: Bool) {
    guard case .multilabel(_, let outputIsLogit) = self else { return (output, output > 0) }
    let probability = outputIsLogit ? Losses.sigmoid(output) : output
    return (probability, predicts(probability: Double(probability), label: label))
  }

  /// Whether a multi-label rule predicts label `label` at this probability: its own threshold, or
  /// the single one that serves every label.
  public func predicts(probability: Double, label: Int) -> Bool {
    guard case .multilabel(let thresholds, _) = self, let first = thresholds.first else {
      return probability >= 0.5
    }
    let threshold = thresholds.count > 1 && thresholds.indices.contains(label) ? thresholds[label] : first
    return probability >= threshold
  }
}

extension LossFunction {
  /// Whether the loss applies a sigmoid to the model output (binary cross-entropy from logits), so
  /// the output is a logit and its probability the sigmoid of it.
  public var appliesSigmoid: Bool {
    switch self {
    case .binaryCrossEntropy(let fromLogits), .weightedBinaryCrossEntropy(let fromLogits, _): fromLogits
    case .crossEntropy, .meanSquaredError, .meanAbsoluteError, .huber: false
    }
  }
}
